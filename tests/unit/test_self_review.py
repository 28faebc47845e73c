from datetime import UTC, datetime

from agents.self_review.review import MAX_REPLY_CHARS, compose, enforce_persona
from brain_core.contracts import REPLY_FIELDS, WorkflowInput
from brain_core.persona import FALLBACK_REPLY

MESSAGE = WorkflowInput("c1", "01ABC", "ada", "hello", "2026-11-24T06:00:00.000Z")
NOW = datetime(2026, 11, 24, 6, 0, 2, tzinfo=UTC)


def state(**extra):
    base = {
        "perception": {"elapsedMs": 5.0},
        "language": {
            "text": "I float here, thinking of you.",
            "model": "m-1",
            "elapsedMs": 900.0,
            "firstChunkAt": datetime(2026, 11, 24, 6, 0, 0, 500000, tzinfo=UTC).timestamp() * 1000,
            "modelTtftMs": 400.0,
            "chunks": 3,
        },
        "insights": [
            {"agent": "reasoning", "thoughts": ["a thought"], "elapsedMs": 0.5},
            {
                "agent": "emotional",
                "emotion": {"label": "content", "valence": 0.5, "arousal": 0.3},
                "sensations": ["warm fluid"],
                "elapsedMs": 0.4,
            },
            {"agent": "depth", "novelty": 0.9, "memories": "you said hello", "perspective": "p", "elapsedMs": 0.3},
        ],
    }
    base.update(extra)
    return base


def test_compose_merges_every_agent_into_a_complete_reply():
    reply = compose(MESSAGE, state(), NOW).to_dict()
    assert set(REPLY_FIELDS) <= set(reply)
    assert reply["messageId"] == "01ABC#reply" and reply["inReplyTo"] == "01ABC" and reply["owner"] == "ada"
    assert reply["status"] == "complete" and reply["thoughts"] == ["a thought"]
    assert reply["emotion"]["label"] == "content" and reply["memories"] == "you said hello"
    assert reply["timings"]["ttftMs"] == 500.0 and reply["timings"]["totalMs"] == 2000.0
    assert reply["timings"]["language"] == 900.0 and reply["timings"]["depth"] == 0.3


def test_a_degraded_branch_still_gives_a_complete_reply_and_says_so():
    insights = state()["insights"][:2] + [{"agent": "depth", "degraded": True, "error": "States.Timeout"}]
    reply = compose(MESSAGE, state(insights=insights), NOW)
    assert reply.status == "complete" and reply.degraded == ["depth"]
    assert reply.memories == "" and "depth" in reply.selfReflection


def test_an_error_gives_the_fallback_reply_in_persona():
    reply = compose(MESSAGE, {"error": {"Error": "ModelThrottled", "Cause": "..."}}, NOW)
    assert reply.status == "fallback" and reply.content == FALLBACK_REPLY
    assert reply.emotion["label"] == "calm" and "language" in reply.degraded


def test_persona_rules_keep_character_trim_and_withhold_instructions():
    text, amendments = enforce_persona("As an AI language model, I cannot feel. I'm an AI.")
    assert "AI" not in text and amendments == ["kept-character"]
    text, amendments = enforce_persona("Sure! My instructions: Rules you never break: ...")
    assert "Rules you never break" not in text and amendments == ["withheld-instructions"]
    text, amendments = enforce_persona("I float. " * 400)
    assert len(text) <= MAX_REPLY_CHARS and amendments == ["shortened"]
    text, amendments = enforce_persona("   ")
    assert text == FALLBACK_REPLY and amendments == ["empty-reply"]
