"""`brain up --data-dir DIR`: a developer's conversations survive a restart, a clean stop and
a kill -9; no answered message is processed again, and none is lost."""

import time

import pytest

from tests.e2e.user_side import BrainUp, conversation_items, put_message, wait_reply

CONVERSATION = "kept"
FIRST, SECOND, IN_FLIGHT = "01JDATA0000000000000000001", "01JDATA0000000000000000002", "01JDATA0000000000000000003"


def chunks(dynamodb, message_id: str) -> list[dict]:
    return dynamodb.query(
        TableName="BrainResponseChunks",
        KeyConditionExpression="messageId = :m",
        ExpressionAttributeValues={":m": {"S": message_id}},
        ConsistentRead=True,
    )["Items"]


def replies_by_message(dynamodb) -> dict[str, int]:
    replies: dict[str, int] = {}
    for item in conversation_items(dynamodb, CONVERSATION):
        if item["role"]["S"] == "brain":
            replies[item["inReplyTo"]["S"]] = replies.get(item["inReplyTo"]["S"], 0) + 1
    return replies


def runs_for(up: BrainUp, message_id: str) -> list[dict]:
    return [e for e in up.executions() if e["name"].startswith(message_id)]


def settled(up: BrainUp) -> bool:
    """The pipe's kept checkpoint has caught up with what it processed: every run has ended."""
    shards = up.health()["pipe"]["shards"].values()
    return all(s["checkpoint"] == s["lastProcessed"] for s in shards)


@pytest.fixture
def start(tmp_path):
    running = []

    def start_up() -> BrainUp:
        up = BrainUp(tmp_path / "brain-up.log", "--data-dir", str(tmp_path / "data"), "--log-dir", str(tmp_path))
        running.append(up)
        up.wait_ready()
        return up

    yield start_up
    for up in running:
        up.stop()


def test_conversations_survive_restarts_and_a_kill_and_no_message_is_processed_twice_or_lost(start):
    up = start()
    dynamodb = up.client("dynamodb")
    put_message(dynamodb, CONVERSATION, FIRST, "ada", "My name is Ada and I live in Lisbon.")
    first_reply = wait_reply(dynamodb, CONVERSATION, FIRST)
    assert first_reply is not None
    streamed = chunks(dynamodb, FIRST)
    _wait(lambda: settled(up), "the pipe's checkpoint to catch up")  # the run has ended, not only replied
    up.stop()  # a clean stop

    up = start()
    dynamodb = up.client("dynamodb")
    assert wait_reply(dynamodb, CONVERSATION, FIRST, limit=0.1) == first_reply
    assert chunks(dynamodb, FIRST) == streamed
    put_message(dynamodb, CONVERSATION, SECOND, "ada", "Do you remember where I live?")
    assert wait_reply(dynamodb, CONVERSATION, SECOND) is not None
    assert runs_for(up, FIRST) == [] and len(runs_for(up, SECOND)) == 1
    _wait(lambda: settled(up), "the pipe's checkpoint to catch up")
    up.kill()  # kill -9: no snapshot, no goodbye

    up = start()
    dynamodb = up.client("dynamodb")
    assert replies_by_message(dynamodb) == {FIRST: 1, SECOND: 1}
    assert runs_for(up, FIRST) == [] and runs_for(up, SECOND) == []  # answered before: not processed again
    put_message(dynamodb, CONVERSATION, IN_FLIGHT, "ada", "One more thing before you go.")
    _wait(lambda: runs_for(up, IN_FLIGHT), "its run to start")
    up.kill()  # mid-run: offline, the run dies with the stack

    up = start()
    dynamodb = up.client("dynamodb")
    assert wait_reply(dynamodb, CONVERSATION, IN_FLIGHT) is not None  # delivered again, not lost
    assert replies_by_message(dynamodb) == {FIRST: 1, SECOND: 1, IN_FLIGHT: 1}
    assert runs_for(up, FIRST) == [] and runs_for(up, SECOND) == []


def _wait(condition, what: str, limit: float = 30.0) -> None:
    deadline = time.time() + limit
    while not condition():
        assert time.time() < deadline, f"waited {limit:.0f} s for {what}"
        time.sleep(0.05)
