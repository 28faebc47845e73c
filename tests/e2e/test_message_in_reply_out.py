"""Message in, streamed reply out: `brain up` as a user runs it, plain boto3 as a user's client.

Nothing from this project is imported on the client side: table names and the endpoint are all
the client knows.
"""

import time
import urllib.request
from datetime import UTC, datetime

import boto3
import pytest

from tests.e2e.conftest import brain_up

REPLY_FIELDS = (
    "conversationId",
    "messageId",
    "role",
    "owner",
    "inReplyTo",
    "content",
    "sensations",
    "thoughts",
    "memories",
    "selfReflection",
    "emotion",
    "status",
    "timings",
    "model",
    "createdAt",
)


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    with brain_up(tmp_path_factory) as stack:
        yield stack.endpoint


@pytest.fixture
def dynamodb(endpoint):
    return boto3.client(
        "dynamodb", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="any", aws_secret_access_key="any"
    )


def put_message(dynamodb, conversation, message_id, owner, content):
    dynamodb.put_item(
        TableName="BrainMessages",
        Item={
            "conversationId": {"S": conversation},
            "messageId": {"S": message_id},
            "role": {"S": "user"},
            "owner": {"S": owner},
            "content": {"S": content},
            "createdAt": {"S": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")},
        },
    )


def watch(dynamodb, conversation, message_id, timeout=60):
    """Poll like a client: which chunks were visible before the reply item was."""
    chunks_before_reply, reply = [], None
    deadline = time.time() + timeout
    while reply is None:
        assert time.time() < deadline, "no reply"
        chunks = dynamodb.query(
            TableName="BrainResponseChunks",
            KeyConditionExpression="messageId = :m",
            ExpressionAttributeValues={":m": {"S": message_id}},
            ConsistentRead=True,
        )["Items"]
        reply = dynamodb.get_item(
            TableName="BrainMessages",
            ConsistentRead=True,
            Key={"conversationId": {"S": conversation}, "messageId": {"S": message_id + "#reply"}},
        ).get("Item")
        if reply is None:
            chunks_before_reply = chunks
        time.sleep(0.02)
    time.sleep(0.2)
    chunks = dynamodb.query(
        TableName="BrainResponseChunks",
        KeyConditionExpression="messageId = :m",
        ExpressionAttributeValues={":m": {"S": message_id}},
        ConsistentRead=True,
    )["Items"]
    return chunks_before_reply, chunks, reply


def test_a_message_put_with_boto3_gets_exactly_one_streamed_reply(dynamodb):
    put_message(dynamodb, "e2e-1", "01JE2E0000000000000000001A", "grace", "Hello! I am Grace. What do you see?")
    early, chunks, reply = watch(dynamodb, "e2e-1", "01JE2E0000000000000000001A")

    items = dynamodb.query(
        TableName="BrainMessages",
        KeyConditionExpression="conversationId = :c",
        ExpressionAttributeValues={":c": {"S": "e2e-1"}},
    )["Items"]
    replies = [i for i in items if i["role"]["S"] == "brain"]
    assert len(replies) == 1
    assert set(REPLY_FIELDS) <= set(reply)
    assert reply["owner"]["S"] == "grace" and reply["inReplyTo"]["S"] == "01JE2E0000000000000000001A"
    assert reply["status"]["S"] == "complete" and reply["content"]["S"]
    assert {"label", "valence", "arousal"} <= set(reply["emotion"]["M"])
    assert {"ttftMs", "totalMs", "language"} <= set(reply["timings"]["M"])

    text_chunks = [c for c in chunks if c["text"]["S"]]
    assert len(text_chunks) >= 2
    assert early and int(early[0]["seq"]["N"]) == 0, "the first chunk was visible before the reply item"
    assert [int(c["seq"]["N"]) for c in chunks] == list(range(len(chunks)))
    assert chunks[-1]["done"]["BOOL"] is True
    assert "".join(c["text"]["S"] for c in text_chunks) == reply["content"]["S"]


def test_brain_replies_and_other_roles_do_not_start_a_workflow(dynamodb, endpoint):
    before = _started(endpoint)
    dynamodb.put_item(
        TableName="BrainMessages",
        Item={
            "conversationId": {"S": "e2e-2"},
            "messageId": {"S": "01JE2E0000000000000000002A"},
            "role": {"S": "system"},
            "owner": {"S": "grace"},
            "content": {"S": "not for the brain"},
        },
    )
    time.sleep(0.5)
    assert _started(endpoint) == before


def _started(endpoint):
    import json

    with urllib.request.urlopen(f"{endpoint}/brain/health") as response:
        return json.load(response)["pipe"]["started"]
