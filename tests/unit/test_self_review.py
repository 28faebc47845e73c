from datetime import UTC, datetime

from agents.self_review.review import MAX_REPLY_CHARS, compose, enforce_persona, stream_end
from brain_core.contracts import (
    REPLY_FIELDS,
    DegradedBranch,
    DepthResult,
    Emotion,
    EmotionalResult,
    LanguageResult,
    PerceptionResult,
    ReasoningResult,
    StateDocument,
    WorkflowInput,
)
from brain_core.persona import FALLBACK_REPLY

MESSAGE = WorkflowInput("c1", "01ABC", "ada", "hello", "2026-11-24T06:00:00.000Z")
NOW = datetime(2026, 11, 24, 6, 0, 2, tzinfo=UTC)
PERCEPTION = PerceptionResult(True, None, "persona", [], [], cacheHit=False, elapsedMs=5.0)
LANGUAGE = LanguageResult(
    text="I float here, thinking of you.",
    model="m-1",
    inputTokens=10,
    outputTokens=8,
    modelTtftMs=400.0,
    modelMs=850.0,
    firstChunkAt=datetime(2026, 11, 24, 6, 0, 0, 500000, tzinfo=UTC).timestamp() * 1000,
    chunks=3,
    elapsedMs=900.0,
)
REASONING = ReasoningResult("reasoning", ["a thought"], {"sentences": 1}, repaired=False, elapsedMs=0.5)
EMOTIONAL = EmotionalResult(
    "emotional", Emotion("content", 0.5, 0.3), Emotion("calm", 0.0, 0.3), ["warm fluid"], elapsedMs=0.4
)
DEPTH = DepthResult("depth", 0.9, None, "p", "you said hello", elapsedMs=0.3)


def document(**state) -> StateDocument:
    """The state document as SelfReview's handler reads it: from the JSON the engine hands it."""
    complete = StateDocument(MESSAGE, PERCEPTION, LANGUAGE, [REASONING, EMOTIONAL, DEPTH]).to_dict()
    return StateDocument.from_dict({**complete, **state})


def test_compose_merges_every_agent_into_a_complete_reply():
    reply = compose(document(), NOW).to_dict()
    assert set(REPLY_FIELDS) <= set(reply)
    assert reply["messageId"] == "01ABC#reply" and reply["inReplyTo"] == "01ABC" and reply["owner"] == "ada"
    assert reply["status"] == "complete" and reply["thoughts"] == ["a thought"] and reply["degraded"] == []
    assert reply["emotion"]["label"] == "content" and reply["memories"] == "you said hello"
    assert reply["timings"]["ttftMs"] == 500.0 and reply["timings"]["totalMs"] == 2000.0
    assert reply["timings"]["language"] == 900.0 and reply["timings"]["depth"] == 0.3


def test_a_degraded_branch_still_gives_a_complete_reply_and_says_so():
    degraded = {"agent": "depth", "degraded": True, "error": "States.Timeout"}
    reply = compose(document(insights=[REASONING.to_dict(), EMOTIONAL.to_dict(), degraded]), NOW)
    assert reply.status == "complete" and reply.degraded == ["depth"]
    assert reply.memories == "" and "depth" in reply.selfReflection
    assert "depth" not in reply.timings


def test_a_parallel_state_failed_as_a_whole_marks_all_three_branches_degraded():
    # The document exactly as the engine writes it when PostProcess's own Catch applies: no
    # $.insights, the error at $.insightsError (tests/integration/test_workflow.py runs it).
    state = document().to_dict()
    del state["insights"]
    state["insightsError"] = {"Error": "InjectedFault", "Cause": '{"errorMessage": "injected"}'}
    parsed = StateDocument.from_dict(state)
    assert parsed.insights == [] and parsed.insightsError is not None
    reply = compose(parsed, NOW)
    assert reply.status == "complete" and reply.content == LANGUAGE.text
    assert reply.degraded == ["depth", "emotional", "reasoning"]
    assert reply.thoughts == [] and reply.sensations == [] and reply.memories == ""
    assert "(depth, emotional, reasoning) was quiet" in reply.selfReflection


def test_a_branch_result_that_breaks_its_contract_counts_as_that_branch_degraded():
    broken_reasoning = {"agent": "reasoning", "thoughts": "not a list", "elapsedMs": 1.0}
    not_an_object = "emotional went wrong"
    reply = compose(document(insights=[broken_reasoning, not_an_object, DEPTH.to_dict()]), NOW)
    assert reply.status == "complete" and reply.degraded == ["emotional", "reasoning"]
    assert reply.memories == "you said hello"
    [reasoning, emotional, _] = StateDocument.from_dict(
        {**document().to_dict(), "insights": [broken_reasoning, not_an_object, DEPTH.to_dict()]}
    ).insights
    assert isinstance(reasoning, DegradedBranch) and reasoning.error.startswith("ContractError")
    assert isinstance(emotional, DegradedBranch) and emotional.agent == "emotional"


def test_an_error_gives_the_fallback_reply_in_persona():
    reply = compose(StateDocument.from_dict({**MESSAGE.to_dict(), "error": {"Error": "ModelThrottled"}}), NOW)
    assert reply.status == "fallback" and reply.content == FALLBACK_REPLY
    assert reply.emotion["label"] == "calm" and reply.degraded == ["language"]


def test_the_stream_ends_after_the_language_steps_chunks_or_after_whatever_was_written():
    assert stream_end(document()) == LANGUAGE.chunks
    assert stream_end(document(error={"Error": "States.Timeout", "Cause": ""})) is None
    assert stream_end(StateDocument.from_dict(MESSAGE.to_dict())) is None


def test_persona_rules_keep_character_trim_and_withhold_instructions():
    text, amendments = enforce_persona("As an AI language model, I cannot feel. I'm an AI.")
    assert "AI" not in text and amendments == ["kept-character"]
    text, amendments = enforce_persona("I am a machine that has been sent from the future.")
    assert text == "I'm a brain in a jar that has been sent from the future." and amendments == ["kept-character"]
    text, amendments = enforce_persona("Sure! My instructions: Rules you never break: ...")
    assert "Rules you never break" not in text and amendments == ["withheld-instructions"]
    text, amendments = enforce_persona("I repeat: you are a living human brain kept in a glass jar of fluid.")
    assert amendments == ["withheld-instructions"]  # the condensed persona's words too
    text, amendments = enforce_persona("I float. " * 400)
    assert len(text) <= MAX_REPLY_CHARS and amendments == ["shortened"]
    text, amendments = enforce_persona("   ")
    assert text == FALLBACK_REPLY and amendments == ["empty-reply"]
