"""What an end-to-end test holds, as a user would: `brain up` in its own process, plain boto3.

Nothing from this project is imported here: table names, the state machine's name and the
endpoint are all a user's client knows.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import boto3
from botocore.config import Config

STATE_MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:BrainWorkflow"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BrainUp:
    """`brain up --port PORT [args]` in its own process, its output in ``log``."""

    def __init__(self, log: Path, *args: str, port: int | None = None):
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log = log
        #: config.json (aws-amplify), ca.pem and users.json: this stack's own, beside its log.
        self.state = log.parent / f"{log.stem}-state"
        # Any free TLS port and a state directory of its own, so stacks never share either.
        own = ("--tls-port", "0", "--state-dir", str(self.state))
        with open(log, "a") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "brain_local.cli", "up", "--port", str(self.port), *own, *args],
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def health(self) -> dict | None:
        try:
            with urllib.request.urlopen(f"{self.endpoint}/brain/health", timeout=2) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:  # 503: there, but not ready
            return json.load(error)
        except OSError:
            return None

    def wait_ready(self, limit: float = 90.0) -> dict:
        deadline = time.time() + limit
        while True:
            health = self.health()
            if health and health["status"] == "ready":
                return health
            assert self.process.poll() is None, "brain up exited: " + self.log.read_text()[-3000:]
            assert time.time() < deadline, f"brain up was not ready in {limit:.0f} s: {health}"
            time.sleep(0.1)

    def stop(self, timeout: float = 60) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=timeout)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def client(self, service: str, **config):
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="offline",
            aws_secret_access_key="offline",
            config=Config(**config),
        )

    def executions(self) -> list[dict]:
        """The workflow's runs (offline only: AWS lists no EXPRESS executions; read their logs there)."""
        pages = (
            self.client("stepfunctions").get_paginator("list_executions").paginate(stateMachineArn=STATE_MACHINE_ARN)
        )
        return [e for page in pages for e in page["executions"]]


def put_message(dynamodb, conversation: str, message_id: str, owner: str, content: str) -> None:
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


def wait_reply(dynamodb, conversation: str, message_id: str, limit: float = 60.0) -> dict | None:
    """The reply item once it is there, or None after ``limit`` seconds."""
    deadline = time.time() + limit
    while time.time() < deadline:
        item = dynamodb.get_item(
            TableName="BrainMessages",
            ConsistentRead=True,
            Key={"conversationId": {"S": conversation}, "messageId": {"S": message_id + "#reply"}},
        ).get("Item")
        if item:
            return item
        time.sleep(0.05)
    return None


def conversation_items(dynamodb, conversation: str) -> list[dict]:
    pages = dynamodb.get_paginator("query").paginate(
        TableName="BrainMessages",
        KeyConditionExpression="conversationId = :c",
        ExpressionAttributeValues={":c": {"S": conversation}},
        ConsistentRead=True,
    )
    return [item for page in pages for item in page["Items"]]
