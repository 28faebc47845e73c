import json
import time

import fastjsonschema
import pytest

from brain_local.bedrock.converse_request import parse
from brain_local.models.scripted import (
    ScriptedPersonaModel,
    ScriptSettings,
    compose_reply,
    remembered_facts,
    tokens,
    tool_input,
)

INSTANT = ScriptSettings(ttft_ms=0, tokens_per_second=0)
SCHEMA = {
    "type": "object",
    "properties": {
        "thoughts": {"type": "array", "items": {"type": "string", "maxLength": 60}, "minItems": 1, "maxItems": 3},
        "label": {"type": "string", "enum": ["calm", "excited", "melancholy"]},
        "valence": {"type": "number", "minimum": -1, "maximum": 1},
        "count": {"type": "integer", "minimum": 0, "maximum": 5},
        "facts": {
            "type": "array",
            "maxItems": 2,
            "items": {
                "type": "object",
                "properties": {"key": {"enum": ["name", "home"]}, "value": {"type": "string", "maxLength": 20}},
                "required": ["key", "value"],
            },
        },
    },
    "required": ["thoughts", "label", "valence", "count", "facts"],
}


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
    generation = model.respond(parse("m", {"messages": [user("hello")], "inferenceConfig": {"maxTokens": 5}}))
    first = next(generation.pieces)
    assert time.perf_counter() - started >= 0.05 and first
    assert len([first, *generation.pieces]) == 5
    assert generation.limit_reached and generation.output_tokens == 5


def test_a_last_assistant_message_is_a_prefill_that_the_reply_continues():
    model = ScriptedPersonaModel(INSTANT)
    asked = [user("Tell me about the sea.")]
    whole = "".join(model.respond(parse("m", {"messages": asked})).pieces)
    begun = whole[:17].rstrip()
    prefilled = asked + [{"role": "assistant", "content": [{"text": begun}]}]
    rest = "".join(model.respond(parse("m", {"messages": prefilled})).pieces)
    assert begun + rest == whole and rest


def forced(text: str, schema=SCHEMA):
    body = {
        "messages": [user(text)],
        "system": [{"text": "Record your thoughts."}],
        "toolConfig": {
            "tools": [{"toolSpec": {"name": "record", "description": "thoughts", "inputSchema": {"json": schema}}}],
            "toolChoice": {"tool": {"name": "record"}},
        },
    }
    return parse("m", body)


@pytest.mark.parametrize(
    "text",
    [
        "My name is Ada and I live in Lisbon.",
        "The sea was rough today and the boats stayed home.",
        "",
        "?!",
        "I am Bartholomew-Alexander-Maximilian and I live in Llanfairpwllgwyngyll on the long coast.",
    ],
)
def test_a_forced_tool_gets_an_input_its_schema_accepts(text):
    request = forced(text or "…")
    generation = ScriptedPersonaModel(INSTANT).respond(request)
    assert generation.tool is not None and generation.tool.name == "record"
    data = json.loads("".join(generation.pieces))
    fastjsonschema.compile(SCHEMA)(data)  # raises on any violation


def test_the_tool_input_depends_on_the_conversation():
    ada = tool_input(forced("").tools[0], forced("My name is Ada and I live in Lisbon. I sail boats."))
    sea = tool_input(forced("").tools[0], forced("The storm kept every fisherman ashore this week."))
    assert ada["thoughts"] != sea["thoughts"]
    assert {"key": "name", "value": "Ada"} in ada["facts"] and {"key": "home", "value": "Lisbon"} in ada["facts"]
    assert sea["facts"] == []
    said = ("name", "ada", "live", "lisbon", "sail", "boats")
    assert all(any(w in t.lower() for w in said) for t in ada["thoughts"])


def test_under_auto_it_calls_a_tool_only_when_the_words_name_it():
    spec = {"toolSpec": {"name": "weather", "inputSchema": {"json": {"type": "object", "properties": {}}}}}
    asked = parse("m", {"messages": [user("What is the weather in Lisbon?")], "toolConfig": {"tools": [spec]}})
    other = parse("m", {"messages": [user("Tell me a story.")], "toolConfig": {"tools": [spec]}})
    assert ScriptedPersonaModel(INSTANT).respond(asked).tool.name == "weather"
    assert ScriptedPersonaModel(INSTANT).respond(other).tool is None


def test_facts_the_system_prompt_lists_are_recalled():
    system = "What you know about the person:\n- name: Ada\n- home: Lisbon"
    assert remembered_facts([], system) == ["your name is Ada", "you live in Lisbon"]
    reply = compose_reply([user("Do you remember my name?")], 40, system)
    assert "your name is Ada" in reply


def test_asked_for_one_json_object_it_writes_the_reply_and_the_rest_in_it():
    from brain_local.models.scripted import JSON_REPLY_MARKER

    schema = {"type": "object", "properties": {"response": {"type": "string"}, **SCHEMA["properties"]}}
    system = f"You are the brain. {JSON_REPLY_MARKER} {json.dumps(schema)}"
    request = parse("m", {"messages": [user("My name is Ada. Tell me about the sea.")], "system": [{"text": system}]})
    generation = ScriptedPersonaModel(INSTANT).respond(request)
    answer = json.loads("".join(generation.pieces))
    assert answer["response"] == compose_reply(request.messages, INSTANT.reply_tokens, system)
    fastjsonschema.compile(schema)(answer)
    plain = ScriptedPersonaModel(INSTANT).respond(
        parse("m", {"messages": [user("My name is Ada. Tell me about the sea.")]})
    )
    assert generation.tool is None and len(list(plain.pieces)) < generation.output_tokens  # the extra tokens count
