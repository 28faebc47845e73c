from brain_core.config import SETTINGS
from brain_local.pipe import matches, render


def record(event_name="INSERT", role="user", content="hi"):
    image = {
        "conversationId": {"S": "c1"},
        "messageId": {"S": "01A"},
        "owner": {"S": "ada"},
        "createdAt": {"S": "2026-11-24T06:00:00.000Z"},
        "role": {"S": role},
    }
    if content is not None:
        image["content"] = {"S": content}
    return {"eventName": event_name, "dynamodb": {"NewImage": image}}


def test_the_filter_passes_only_new_user_messages():
    pattern = SETTINGS.pipe.filter_pattern
    assert matches(pattern, record())
    assert not matches(pattern, record(role="brain"))
    assert not matches(pattern, record(event_name="MODIFY"))
    assert not matches(pattern, {"eventName": "INSERT", "dynamodb": {}})


def test_pattern_operators_prefix_exists_anything_but():
    assert matches({"a": [{"prefix": "us-"}]}, {"a": "us-east-1"})
    assert matches({"a": [{"exists": False}]}, {})
    assert not matches({"a": [{"exists": True}]}, {})
    assert matches({"a": [{"anything-but": ["x"]}]}, {"a": "y"})
    assert not matches({"a": [{"anything-but": "x"}]}, {"a": "x"})


def test_the_input_template_produces_workflow_input():
    assert render(SETTINGS.pipe.input_template, record(content='say "hi"\n')) == {
        "conversationId": "c1",
        "messageId": "01A",
        "owner": "ada",
        "content": 'say "hi"\n',
        "createdAt": "2026-11-24T06:00:00.000Z",
    }


def test_a_missing_attribute_renders_as_null():
    assert render(SETTINGS.pipe.input_template, record(content=None))["content"] is None
