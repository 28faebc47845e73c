"""The local Bedrock runtime endpoint, through the clients that call Bedrock.

boto3's ``converse``/``converse_stream`` and langchain-aws's ``ChatBedrockConverse`` run
unmodified: only ``endpoint_url`` points them here. Text and tool-use round trips, stop
sequences, every system block, and Bedrock's ValidationException for what it does not serve.
"""

import json

import boto3
import fastjsonschema
import pytest
from botocore.eventstream import EventStreamBuffer

from agents.language.model_client import (
    BedrockConverseClient,
    LangChainConverseClient,
    ModelThrottled,
    ModelUnavailable,
    bedrock_runtime_client,
)
from brain_core.config import SETTINGS
from brain_local.chaos.faults import ModelFaultRates, ModelFaults
from brain_local.models.scripted import MODEL_ID

MESSAGES = [{"role": "user", "content": [{"text": "My name is Ada. Do you dream?"}]}]
INFERENCE = {"maxTokens": 200, "temperature": 0.5, "topP": 0.9}
MODEL = SETTINGS.model_id  # the deployment's default id, served by the scripted double here
THOUGHTS = {
    "type": "object",
    "properties": {
        "thoughts": {
            "type": "array",
            "description": "your thoughts",
            "items": {"type": "string", "maxLength": 80},
            "minItems": 1,
            "maxItems": 3,
        },
        "mood": {"type": "string", "enum": ["calm", "excited"]},
        "valence": {"type": "number", "minimum": -1, "maximum": 1},
    },
    "required": ["thoughts", "mood", "valence"],
}
TOOLS = {
    "tools": [
        {"toolSpec": {"name": "record_thoughts", "description": "Record them.", "inputSchema": {"json": THOUGHTS}}}
    ],
    "toolChoice": {"tool": {"name": "record_thoughts"}},
}


@pytest.fixture
def runtime(bedrock_endpoint, monkeypatch):
    app, endpoint = bedrock_endpoint
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", endpoint)
    yield app
    app.faults = ModelFaults()


def test_boto3_converse_stream_yields_the_reply_incrementally(runtime):
    client = BedrockConverseClient(bedrock_runtime_client(max_attempts=1, read_timeout=5))
    deltas = list(client.stream(MODEL, "persona", MESSAGES, INFERENCE))
    assert len(deltas) > 5 and "".join(deltas).endswith("?")
    assert client.usage["outputTokens"] == len(deltas) and client.usage["inputTokens"] > 0


def test_boto3_converse_non_streaming_returns_the_same_reply(runtime):
    plain = boto3.client("bedrock-runtime").converse(modelId=MODEL, messages=MESSAGES, inferenceConfig=INFERENCE)
    client = BedrockConverseClient(bedrock_runtime_client(max_attempts=1, read_timeout=5))
    streamed = "".join(client.stream(MODEL, "persona", MESSAGES, INFERENCE))
    assert plain["output"]["message"]["content"][0]["text"] == streamed
    assert plain["stopReason"] == "end_turn"


def test_max_tokens_stops_the_stream(runtime):
    client = BedrockConverseClient(bedrock_runtime_client(max_attempts=1, read_timeout=5))
    assert len(list(client.stream(MODEL, "persona", MESSAGES, {**INFERENCE, "maxTokens": 4}))) == 4


def test_langchain_chat_bedrock_converse_streams_the_same_reply(runtime):
    boto = BedrockConverseClient(bedrock_runtime_client(max_attempts=1, read_timeout=5))
    expected = "".join(boto.stream(MODEL, "persona", MESSAGES, INFERENCE))
    chain = LangChainConverseClient(bedrock_runtime_client(max_attempts=1, read_timeout=5))
    deltas = list(chain.stream(MODEL, "persona", MESSAGES, INFERENCE))
    assert len(deltas) > 5 and "".join(deltas) == expected
    assert chain.usage["outputTokens"] == len(deltas)


def test_throttling_surfaces_as_model_throttled_after_bounded_retries(runtime):
    runtime.faults = ModelFaults(ModelFaultRates(throttle=1.0))
    client = BedrockConverseClient(bedrock_runtime_client(max_attempts=2, read_timeout=5))
    with pytest.raises(ModelThrottled):
        list(client.stream(MODEL, "persona", MESSAGES, INFERENCE))
    assert runtime.faults.counts["throttle"] == 2  # botocore tried twice, as configured, no more


def test_a_model_error_surfaces_as_model_unavailable(runtime):
    runtime.faults = ModelFaults(ModelFaultRates(error=1.0))
    client = BedrockConverseClient(bedrock_runtime_client(max_attempts=1, read_timeout=5))
    with pytest.raises(ModelUnavailable):
        list(client.stream(MODEL, "persona", MESSAGES, INFERENCE))


@pytest.fixture
def bedrock(runtime):
    return boto3.client("bedrock-runtime")


def test_converse_with_a_forced_tool_returns_a_tool_use_block(bedrock):
    response = bedrock.converse(modelId=MODEL, messages=MESSAGES, toolConfig=TOOLS, inferenceConfig=INFERENCE)
    assert response["stopReason"] == "tool_use"
    (block,) = response["output"]["message"]["content"]
    use = block["toolUse"]
    assert use["name"] == "record_thoughts" and use["toolUseId"].startswith("tooluse_")
    fastjsonschema.compile(THOUGHTS)(use["input"])
    assert response["usage"]["outputTokens"] > 0 and response["usage"]["totalTokens"] > response["usage"]["inputTokens"]


def test_converse_stream_sends_the_tool_call_as_tool_use_deltas(bedrock):
    response = bedrock.converse_stream(modelId=MODEL, messages=MESSAGES, toolConfig=TOOLS, inferenceConfig=INFERENCE)
    events = list(response["stream"])
    start = events[1]["contentBlockStart"]
    assert start["start"]["toolUse"]["name"] == "record_thoughts" and start["contentBlockIndex"] == 0
    deltas = [e["contentBlockDelta"]["delta"]["toolUse"]["input"] for e in events if "contentBlockDelta" in e]
    assert len(deltas) > 1  # in pieces, a few tokens each, as Bedrock sends a tool's input
    fastjsonschema.compile(THOUGHTS)(json.loads("".join(deltas)))
    assert [e for e in events if "messageStop" in e][0]["messageStop"]["stopReason"] == "tool_use"
    assert events[-1]["metadata"]["usage"]["outputTokens"] >= len(deltas)


def test_a_tool_result_in_the_conversation_is_answered_in_text(bedrock):
    first = bedrock.converse(modelId=MODEL, messages=MESSAGES, toolConfig=TOOLS)
    use = first["output"]["message"]["content"][0]["toolUse"]
    result = {"toolResult": {"toolUseId": use["toolUseId"], "content": [{"json": {"stored": "seven thoughts"}}]}}
    messages = [*MESSAGES, first["output"]["message"], {"role": "user", "content": [result]}]
    second = bedrock.converse(modelId=MODEL, messages=messages, toolConfig={"tools": TOOLS["tools"]})
    assert second["stopReason"] == "end_turn"
    assert "seven thoughts" in second["output"]["message"]["content"][0]["text"]


def test_a_stop_sequence_ends_the_reply_before_it_with_stop_sequence(bedrock):
    full = bedrock.converse(modelId=MODEL, messages=MESSAGES)["output"]["message"]["content"][0]["text"]
    stop = full.split()[5]
    cut = bedrock.converse(modelId=MODEL, messages=MESSAGES, inferenceConfig={"stopSequences": [stop]})
    assert cut["stopReason"] == "stop_sequence"
    assert cut["output"]["message"]["content"][0]["text"] == full[: full.index(stop)]
    streamed = bedrock.converse_stream(modelId=MODEL, messages=MESSAGES, inferenceConfig={"stopSequences": [stop]})
    events = list(streamed["stream"])
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e)
    assert text == full[: full.index(stop)]
    assert [e for e in events if "messageStop" in e][0]["messageStop"]["stopReason"] == "stop_sequence"


def test_every_system_block_reaches_the_model(bedrock):
    system = [{"text": "You are the brain."}, {"text": "What you know about the person:\n- name: Grace"}]
    ask = [{"role": "user", "content": [{"text": "Do you remember my name?"}]}]
    reply = bedrock.converse(modelId=MODEL, messages=ask, system=system)["output"]["message"]["content"][0]["text"]
    assert "your name is Grace" in reply


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"modelId": "amazon.titan-text-express-v1"}, "model identifier is invalid"),
        ({"additionalModelResponseFieldPaths": ["/stop_sequence"]}, "additionalModelResponseFieldPaths"),
        ({"additionalModelRequestFields": {"reasoning": True}}, "extraneous key [reasoning]"),
        (
            {"messages": [{"role": "user", "content": [{"image": {"format": "png", "source": {"bytes": b"x"}}}]}]},
            "image",
        ),
        ({"messages": [{"role": "assistant", "content": [{"text": "hi"}]}]}, "start with a user message"),
        ({"toolConfig": {**TOOLS, "toolChoice": {"tool": {"name": "absent"}}}}, "not one of the tools"),
        ({"guardrailConfig": {"guardrailIdentifier": "g", "guardrailVersion": "1"}}, "guardrailConfig"),
    ],
)
def test_what_it_does_not_serve_is_refused_as_bedrock_refuses_it(bedrock, change, message):
    request = {"modelId": MODEL, "messages": MESSAGES, **change}
    with pytest.raises(bedrock.exceptions.ValidationException, match=message.replace("[", r"\[").replace("]", r"\]")):
        bedrock.converse(**request)


def test_the_endpoint_serves_its_own_model_id_and_the_deployment_default(bedrock):
    for model_id in (MODEL_ID, SETTINGS.model_id):
        assert bedrock.converse(modelId=model_id, messages=MESSAGES)["stopReason"] == "end_turn"


def test_our_tool_use_frames_decode_with_botocores_parser(bedrock_endpoint):
    import urllib.request

    _, endpoint = bedrock_endpoint
    body = json.dumps({"messages": MESSAGES, "toolConfig": TOOLS}).encode()
    with urllib.request.urlopen(urllib.request.Request(f"{endpoint}/model/{MODEL}/converse-stream", body)) as r:
        raw = r.read()
    buffer = EventStreamBuffer()
    buffer.add_data(raw)
    types = [m.headers[":event-type"] for m in buffer]
    assert types[:2] == ["messageStart", "contentBlockStart"] and types[-2:] == ["messageStop", "metadata"]


def test_langchain_bind_tools_round_trip(runtime):
    from langchain_aws import ChatBedrockConverse
    from langchain_core.messages import HumanMessage, ToolMessage

    def record_thoughts(thoughts: list[str], mood: str) -> str:
        """Record the brain's thoughts and mood."""
        return "stored"

    chat = ChatBedrockConverse(
        model=MODEL, client=bedrock_runtime_client(max_attempts=1, read_timeout=5), disable_streaming=False
    )
    bound = chat.bind_tools([record_thoughts], tool_choice="record_thoughts")
    asked = HumanMessage(content="My name is Ada. Do you dream?")
    call = bound.invoke([asked])
    (tool_call,) = call.tool_calls
    assert tool_call["name"] == "record_thoughts" and isinstance(tool_call["args"]["thoughts"], list)
    streamed = None
    for chunk in bound.stream([asked]):
        streamed = chunk if streamed is None else streamed + chunk
    assert streamed.tool_calls[0]["name"] == "record_thoughts"
    answer = chat.bind_tools([record_thoughts]).invoke(
        [asked, call, ToolMessage(content="stored in the jar", tool_call_id=tool_call["id"])]
    )
    assert "stored in the jar" in answer.text


def test_langchain_with_structured_output(runtime):
    from langchain_aws import ChatBedrockConverse
    from pydantic import BaseModel, Field

    class Feeling(BaseModel):
        """How the brain feels."""

        mood: str = Field(description="one word")
        valence: float = Field(ge=-1, le=1)

    chat = ChatBedrockConverse(model=MODEL, client=bedrock_runtime_client(max_attempts=1, read_timeout=5))
    feeling = chat.with_structured_output(Feeling).invoke("I am so happy to talk to you!")
    assert isinstance(feeling, Feeling) and -1 <= feeling.valence <= 1
