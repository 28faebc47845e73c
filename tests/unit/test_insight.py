"""The insight agents' model calls through brain_core.insight, against the local Bedrock endpoint.

The scripted double stands in for the small model (it says so: its answers are built from the
conversation's words); the real client code path runs: boto3 Converse with a forced tool, the
deadline, the retry, schema validation and the heuristic fallback.
"""

from __future__ import annotations

import json

import pytest

from agents.depth import insight as depth
from agents.emotional import insight as emotional
from agents.emotional.affect import label_for
from agents.reasoning import insight as reasoning
from brain_core.contracts import Emotion, Turn
from brain_core.insight import InsightSettings, _tidy_text, bedrock_client, insight_or_heuristic, voice_problem
from brain_local.bedrock.service import Generation, serve
from brain_local.chaos.faults import ModelFaultRates, ModelFaults
from brain_local.models.scripted import ScriptedPersonaModel, ScriptSettings

INSIGHT_MODEL = "amazon.nova-micro-v1:0"
USER = "Hello! My name is Ada and I live in Lisbon. I love sailing at dawn."
REPLY = "Lisbon and the sea at dawn: I can almost feel the tide through my wires, Ada."


class CountingDouble:
    """A test double for the paid model that counts its calls and answers the forced tool with
    ``tool_input(call number)``."""

    model_id = INSIGHT_MODEL
    additional_fields = frozenset({"inferenceConfig"})

    def __init__(self):
        self.calls = 0

    def respond(self, request):
        self.calls += 1
        return Generation(iter([self.tool_input(self.calls)]), request.forced_tool)

    def tool_input(self, call: int) -> str:
        raise NotImplementedError


class InvalidAnswers(CountingDouble):
    """Calls the tool with an input its schema refuses."""

    def tool_input(self, call: int) -> str:
        return '{"thoughts": []}'


class EchoingAnswers(CountingDouble):
    """Answers that fit the schema but are no inner life: its thoughts copy the reply, then (on
    the retry) say the brain is a machine."""

    def tool_input(self, call: int) -> str:
        thought = REPLY if call % 2 else "I am a machine, and machines do not dream of the sea."
        return json.dumps({"thoughts": [thought]})


@pytest.fixture(scope="module")
def endpoints():
    """Three local endpoints: a quick double, a slow one (5 s before its first token), an invalid one."""
    fast = ScriptedPersonaModel(ScriptSettings(ttft_ms=5, tokens_per_second=2000), model_id=INSIGHT_MODEL)
    slow = ScriptedPersonaModel(ScriptSettings(ttft_ms=5000, tokens_per_second=2000), model_id=INSIGHT_MODEL)
    invalid = InvalidAnswers()
    served = {
        name: serve({INSIGHT_MODEL: backend})
        for name, backend in (("fast", fast), ("slow", slow), ("invalid", invalid))
    }
    yield {name: (app, f"http://127.0.0.1:{server.server_port}") for name, (app, server) in served.items()}, invalid
    for _, server in served.values():
        server.shutdown()


def client_for(endpoints, name, monkeypatch, deadline=2.5):
    served, _ = endpoints
    app, url = served[name]
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", url)
    settings = InsightSettings(model_id=INSIGHT_MODEL, deadline_seconds=deadline)
    return app, bedrock_client(settings), settings


def heuristic():
    return "the heuristic's answer"


def test_reasoning_gets_schema_valid_thoughts_from_the_model(endpoints, monkeypatch):
    _, client, settings = client_for(endpoints, "fast", monkeypatch)
    result = insight_or_heuristic(
        client,
        settings,
        reasoning.TOOL,
        reasoning.SYSTEM,
        reasoning.prompt(USER, REPLY),
        reasoning.thoughts_from,
        heuristic,
    )
    assert result.source == "model" and result.attempts == 1
    assert 1 <= len(result.value) <= 3 and all(8 <= len(t) <= 160 for t in result.value)


def test_emotional_gets_two_emotions_and_sensations_from_the_model(endpoints, monkeypatch):
    _, client, settings = client_for(endpoints, "fast", monkeypatch)
    result = insight_or_heuristic(
        client,
        settings,
        emotional.TOOL,
        emotional.SYSTEM,
        emotional.prompt(USER, REPLY),
        emotional.feelings_from,
        heuristic,
    )
    own, theirs, sensations = result.value
    assert result.source == "model" and isinstance(own, Emotion) and isinstance(theirs, Emotion)
    assert -1 <= own.valence <= 1 and 0 <= theirs.arousal <= 1
    # The label is never the model's: it follows from the numbers, as the heuristic's does.
    assert own.label == label_for(own.valence, own.arousal) and theirs.label == label_for(
        theirs.valence, theirs.arousal
    )
    assert 1 <= len(sensations) <= 3


def test_depth_gets_memories_a_reflection_and_the_facts_told(endpoints, monkeypatch):
    _, client, settings = client_for(endpoints, "fast", monkeypatch)
    history = [Turn(role="user", content="I sail most weekends.", messageId="01A")]
    result = insight_or_heuristic(
        client,
        settings,
        depth.TOOL,
        depth.SYSTEM,
        depth.prompt(USER, REPLY, history, []),
        lambda answer: depth.depth_from(answer, USER),
        heuristic,
    )
    memories, reflection, facts = result.value
    assert result.source == "model" and memories and reflection
    assert {"key": "name", "value": "Ada"} in facts and {"key": "home", "value": "Lisbon"} in facts


@pytest.mark.parametrize("agent", [reasoning, emotional, depth])
def test_each_agent_falls_back_when_the_deadline_passes(endpoints, monkeypatch, agent):
    _, client, settings = client_for(endpoints, "slow", monkeypatch, deadline=0.3)
    result = insight_or_heuristic(client, settings, agent.TOOL, agent.SYSTEM, "Hi", lambda a: a, heuristic)
    assert (result.source, result.reason, result.value) == ("heuristic", "timeout", "the heuristic's answer")


@pytest.mark.parametrize("agent", [reasoning, emotional, depth])
def test_each_agent_falls_back_on_output_that_fails_its_schema_after_one_retry(endpoints, monkeypatch, agent):
    _, client, settings = client_for(endpoints, "invalid", monkeypatch)
    _, backend = endpoints
    before = backend.calls
    result = insight_or_heuristic(client, settings, agent.TOOL, agent.SYSTEM, "Hi", lambda a: a, heuristic)
    assert (result.source, result.reason) == ("heuristic", "invalid")
    assert backend.calls - before == 2  # the call and one retry, no more


def test_throttling_is_retried_once_then_falls_back(endpoints, monkeypatch):
    app, client, settings = client_for(endpoints, "fast", monkeypatch)
    app.faults = ModelFaults(ModelFaultRates(throttle=1.0))
    try:
        before = app.calls
        result = insight_or_heuristic(client, settings, reasoning.TOOL, reasoning.SYSTEM, "Hi", lambda a: a, heuristic)
    finally:
        app.faults = ModelFaults()
    assert (result.source, result.reason) == ("heuristic", "throttled")
    assert app.calls - before == 2  # botocore retried nothing: the one retry is ours


def test_no_model_configured_means_the_heuristic_and_no_call(endpoints, monkeypatch):
    app, client, _ = client_for(endpoints, "fast", monkeypatch)
    before = app.calls
    none = InsightSettings(model_id="none")
    result = insight_or_heuristic(client, none, reasoning.TOOL, reasoning.SYSTEM, "Hi", lambda a: a, heuristic)
    assert (result.source, result.reason) == ("heuristic", "disabled") and app.calls == before


def test_every_tool_schema_keeps_to_what_nova_accepts_at_the_top_level():
    for agent in (reasoning, emotional, depth):
        assert set(agent.TOOL.schema) == {"type", "properties", "required"}
        assert agent.TOOL.schema["type"] == "object"
        assert set(agent.TOOL.schema["required"]) == set(agent.TOOL.schema["properties"])


def test_depth_keeps_only_facts_the_persons_own_words_hold():
    answer = {
        "memories": "m",
        "selfReflection": "r",
        "facts": [
            {"key": "name", "value": "Ada"},
            {"key": "home", "value": "The saxophone is a great instrument for me"},
            {"key": "likes", "value": "sailing at dawn."},
            {"key": "name", "value": "} {"},
        ],
    }
    _, _, facts = depth.depth_from(answer, USER)
    assert facts == [{"key": "name", "value": "Ada"}, {"key": "likes", "value": "sailing at dawn"}]


class NoFacts:
    """A test double for the paid model whose depth answer leaves out the facts the person told."""

    model_id = INSIGHT_MODEL
    additional_fields = frozenset({"inferenceConfig"})

    def respond(self, request):
        answer = '{"memories": "The sea, again.", "selfReflection": "I listened well.", "facts": []}'
        return Generation(iter([answer]), request.forced_tool)


def test_depth_keeps_the_facts_its_patterns_hear_when_the_model_leaves_them_out(monkeypatch):
    from brain_core.contracts import InsightInput

    app, server = serve({INSIGHT_MODEL: NoFacts()})
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", f"http://127.0.0.1:{server.server_port}")
        settings = InsightSettings(model_id=INSIGHT_MODEL)
        state = InsightInput(messageId="m1", userText="My name is Grace and I live in Oslo.", reply=REPLY, history=[])
        result, outcome = depth.deepen(state, bedrock_client(settings), settings)
    finally:
        server.shutdown()
    assert outcome.source == "model" and result.memories == "The sea, again."
    assert {"kind": "name", "value": "Grace"} in result.facts and {"kind": "home", "value": "Oslo"} in result.facts


def test_a_schema_valid_answer_that_copies_the_reply_or_breaks_character_is_not_used(monkeypatch):
    echo = EchoingAnswers()
    _, server = serve({INSIGHT_MODEL: echo})
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", f"http://127.0.0.1:{server.server_port}")
        settings = InsightSettings(model_id=INSIGHT_MODEL, deadline_seconds=2.5)
        result = insight_or_heuristic(
            bedrock_client(settings),
            settings,
            reasoning.TOOL,
            reasoning.SYSTEM,
            reasoning.prompt(USER, REPLY),
            reasoning.thoughts_from,
            heuristic,
            exchange=(USER, REPLY),
        )
    finally:
        server.shutdown()
    assert (result.source, result.reason, result.value) == ("heuristic", "invalid", "the heuristic's answer")
    assert echo.calls == 2  # the copy, then the retry's slip: both refused


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("melebilhoslo", "not a phrase"),
        ('{(2)}: {{relaxing-and-letting-goals}{"resonando"}}', "not prose"),
        ("I am a machine sent from the future.", "out of character"),
        ("As an AI, I notice the sea.", "out of character"),
        ("Lisbon and the sea at dawn: I can almost feel it", "copies the exchange"),
        ("My name is Ada and I live in Lisbon, they said", "copies the exchange"),
        ("She lives by the sea in Lisbon; I envy her mornings.", None),
        ("Ada named the city she loves, and I kept it.", None),
    ],
)
def test_what_a_model_writes_in_the_brains_voice_is_checked(text, problem):
    assert voice_problem(text, (USER, REPLY)) == problem


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        # Cut off in its last sentence (the token budget or the schema's length bound): trimmed.
        ("They trusted me with the sea. I", "They trusted me with the sea."),
        ('I float. "Warm," I said! And then', 'I float. "Warm," I said!'),
        # Whole, or with no sentence end at all: as it is.
        ("I float. It is warm.", "I float. It is warm."),
        ("a gentle sway of the fluid", "a gentle sway of the fluid"),
        (": I hear the sea.", "I hear the sea."),
    ],
)
def test_a_voiced_text_ends_with_its_last_whole_sentence(text, kept):
    assert _tidy_text(text) == kept
