"""Putting items as a client would and waiting for what the pipeline makes of them."""

import json
import time
import uuid
from datetime import UTC, datetime

import boto3
from ulid import ULID

from brain_core.store import from_item
from tests.e2e.user_side import wait_reply as wait_reply_item


def raw_client(stack):
    """A plain boto3 client on the stack's endpoint: what a user's app would hold."""
    return boto3.client(
        "dynamodb",
        endpoint_url=stack.options.endpoint,
        region_name="us-east-1",
        aws_access_key_id="offline",
        aws_secret_access_key="offline",
    )


def put_raw(client, item: dict) -> str:
    """Put an item given as DynamoDB attribute values; returns its messageId."""
    full = {"role": {"S": "user"}, "createdAt": {"S": datetime.now(UTC).isoformat()}, **item}
    full.setdefault("messageId", {"S": str(ULID())})
    full.setdefault("conversationId", {"S": f"bad-{uuid.uuid4().hex[:8]}"})
    client.put_item(TableName="BrainMessages", Item=full)
    return full["messageId"]["S"], full["conversationId"]["S"]


def wait_reply(client, conversation_id: str, message_id: str, timeout: float = 60) -> dict:
    item = wait_reply_item(client, conversation_id, message_id, timeout)
    if item is None:
        raise AssertionError(f"no reply to {message_id} within {timeout} s")
    return from_item(item)


def executions_for(stack, message_id: str) -> list[dict]:
    """The runs started for one message (the pipe names each after its messageId), every page."""
    pages = (
        stack.client("stepfunctions").get_paginator("list_executions").paginate(stateMachineArn=stack.state_machine_arn)
    )
    return [e for page in pages for e in page["executions"] if e["name"].startswith(message_id)]


def wait_executions_done(stack, message_id: str, timeout: float = 60) -> list[dict]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        runs = executions_for(stack, message_id)
        if runs and all(r["status"] != "RUNNING" for r in runs):
            return runs
        time.sleep(0.1)
    raise AssertionError(f"executions for {message_id} still running after {timeout} s")


def state_output(stack, execution_arn: str, state: str) -> dict:
    """What a Task state's function returned, from the execution history."""
    from brain_local.stepfunctions.runs import history

    current = None
    for event in history(stack.client("stepfunctions"), execution_arn):
        if "stateEnteredEventDetails" in event:
            current = event["stateEnteredEventDetails"]["name"]
        if event["type"] == "LambdaFunctionSucceeded" and current == state:
            return json.loads(event["lambdaFunctionSucceededEventDetails"]["output"])
    raise AssertionError(f"{state} did not succeed")
