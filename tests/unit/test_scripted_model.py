import time

from brain_local.scripted_model import ScriptedPersonaModel, ScriptSettings, compose_reply, remembered_facts, tokens


def user(text):
    return {"role": "user", "content": [{"text": text}]}


def test_the_reply_is_deterministic_for_the_same_conversation():
    messages = [user("Tell me about the stars")]
    assert compose_reply(messages, 40) == compose_reply(messages, 40)
    assert compose_reply(messages, 40) != compose_reply([user("Tell me about bread")], 40)


def test_the_reply_recalls_what_the_person_said_earlier_by_relevance():
    messages = [
        user("My name is Ada and I live in Lisbon."),
        {"role": "assistant", "content": [{"text": "Hi"}]},
        user("I love the sea."),
        {"role": "assistant", "content": [{"text": "Oh"}]},
        user("Do you remember my name?"),
    ]
    assert remembered_facts(["My name is Ada and I live in Lisbon."]) == ["your name is Ada", "you live in Lisbon"]
    assert "your name is Ada" in compose_reply(messages, 40)


def test_tokens_join_back_into_the_text():
    text = "I float  here,\nthinking."
    assert "".join(tokens(text)) == text


def test_streaming_honours_time_to_first_token_rate_and_max_tokens():
    model = ScriptedPersonaModel(ScriptSettings(ttft_ms=50, tokens_per_second=1000, reply_tokens=40))
    started = time.perf_counter()
    stream = model.stream({"messages": [user("hello")], "inferenceConfig": {"maxTokens": 5}})
    first = next(stream)
    assert time.perf_counter() - started >= 0.05 and first
    assert len([first, *stream]) == 5


def test_a_last_assistant_message_is_a_prefill_that_the_reply_continues():
    from brain_local.scripted_model import ScriptedPersonaModel, ScriptSettings

    model = ScriptedPersonaModel(ScriptSettings(ttft_ms=0, tokens_per_second=0, reply_tokens=30))
    asked = [{"role": "user", "content": [{"text": "Tell me about the sea."}]}]
    whole = "".join(model.stream({"messages": asked}))
    begun = whole[:17]
    rest = "".join(model.stream({"messages": asked + [{"role": "assistant", "content": [{"text": begun}]}]}))
    assert begun + rest == whole and rest
