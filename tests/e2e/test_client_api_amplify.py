"""The client API through the real aws-amplify client (v6, Node), against `brain up` as a user runs it.

clients/node/brain-client.mjs configures Amplify with the stack's .brain/config.json unchanged,
signs in with USER_PASSWORD_AUTH, subscribes with `events.connect(...)`, posts through Amplify's
REST client with the token; it prints one JSON line per step, which these tests read. Each test
uses a conversation of its own and counts only its own messages.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from brain_local.clients.api_client import SignedInClient
from brain_local.cognito.identity import DEFAULT_PASSWORD
from tests.e2e.conftest import brain_up

REPO_ROOT = Path(__file__).resolve().parents[2]
NODE_CLIENT = REPO_ROOT / "clients" / "node" / "brain-client.mjs"

pytestmark = pytest.mark.skipif(
    not (REPO_ROOT / "clients" / "node" / "node_modules" / "aws-amplify").is_dir() or not shutil.which("node"),
    reason="aws-amplify is not installed: `make install` runs npm ci in clients/node",
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """`brain up` with a fast scripted model; its state directory (config.json, ca.pem)."""
    options = ("--ttft-ms", "50", "--tokens-per-second", "300", "--reply-tokens", "40")
    with brain_up(tmp_path_factory, *options) as running:
        yield running.state


def amplify(stack: Path, plan: dict, timeout: float = 90) -> list[dict]:
    """Run the Node client with ``plan``; its JSON lines (the run must end with ``done``)."""
    env = {**os.environ, "NODE_EXTRA_CA_CERTS": str(stack / "ca.pem")}
    run = subprocess.run(
        ["node", "--experimental-websocket", str(NODE_CLIENT), str(stack / "config.json"), json.dumps(plan)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
    lines = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert run.returncode == 0 and lines and lines[-1]["step"] == "done", run.stdout[-3000:] + run.stderr[-2000:]
    return lines


def steps(lines: list[dict], step: str) -> list[dict]:
    return [line for line in lines if line["step"] == step]


def converse(conv: str, *messages: dict) -> dict:
    """The plan of a conversation of ada's: subscribe, post ``messages``, wait for each reply."""
    return {
        "mode": "converse",
        "user": "ada",
        "password": DEFAULT_PASSWORD,
        "conversationId": conv,
        "messages": messages,
    }


def about(event: dict) -> str:
    """The user message an event is about: a chunk's messageId, a reply's inReplyTo."""
    return event["inReplyTo"] if event["type"] == "reply" else event["messageId"]


def conversation() -> str:
    return f"amplify-{uuid.uuid4().hex[:12]}"


def signed_in(stack: Path, user: str) -> SignedInClient:
    return SignedInClient(json.loads((stack / "config.json").read_text()), stack / "ca.pem").sign_in(
        user, DEFAULT_PASSWORD
    )


def test_ada_subscribes_posts_and_receives_the_chunks_in_order_then_the_reply_then_finds_both_in_history(stack):
    conv = conversation()
    lines = amplify(stack, converse(conv, {"content": "Hello! I am Ada, and I live in Lisbon. What do you see?"}))
    [posted] = steps(lines, "posted")
    assert posted["status"] == 202
    message_id = posted["body"]["messageId"]
    [signed] = steps(lines, "signedIn")
    assert posted["body"]["channel"] == f"/brain/{signed['sub']}/{conv}"

    # A chunk is of the draft of the reply to the message (its messageId); the reply event is the
    # reply item itself: its own messageId, and inReplyTo the message.
    events = [line["event"] for line in steps(lines, "event") if about(line["event"]) == message_id]
    chunks = [e for e in events if e["type"] == "chunk"]
    assert len(chunks) >= 2
    assert [c["seq"] for c in chunks] == list(range(len(chunks)))
    assert events[-1]["type"] == "reply" and [e["type"] for e in events].count("reply") == 1
    reply = events[-1]
    assert reply["status"] == "complete" and reply["messageId"] == f"{message_id}#reply"
    assert reply["inReplyTo"] == message_id and "replyId" not in reply
    assert reply["content"] == "".join(c["text"] for c in chunks)
    assert {"label", "valence", "arousal"} <= set(reply["emotion"]) and reply["thoughts"]

    [history] = steps(lines, "history")
    assert history["status"] == 200
    assert [(i["messageId"], i["role"]) for i in history["body"]["items"]] == [
        (message_id, "user"),
        (f"{message_id}#reply", "brain"),
    ]


def test_bob_cannot_subscribe_to_adas_channel(stack):
    ada = signed_in(stack, "ada")
    lines = amplify(
        stack,
        {"mode": "subscribe", "user": "bob", "password": DEFAULT_PASSWORD, "channel": ada.channel(conversation())},
    )
    [outcome] = steps(lines, "subscribe")
    assert outcome["ok"] is False and "Unauthorized" in outcome["error"]


def test_ada_may_subscribe_to_all_of_her_own_conversations_at_once(stack):
    ada = signed_in(stack, "ada")
    lines = amplify(
        stack, {"mode": "subscribe", "user": "ada", "password": DEFAULT_PASSWORD, "channel": f"/brain/{ada.sub}/*"}
    )
    [outcome] = steps(lines, "subscribe")
    assert outcome["ok"] is True


def test_a_post_without_a_token_gets_401_and_writes_nothing(stack):
    conv = conversation()
    lines = amplify(stack, {"mode": "anonymous", "conversationId": conv, "content": "let me in"})
    [posted] = steps(lines, "posted")
    assert posted["status"] == 401 and posted["body"] == {"message": "Unauthorized"}
    assert signed_in(stack, "ada").history(conv) == [] and signed_in(stack, "bob").history(conv) == []


def test_bobs_history_of_adas_conversation_holds_none_of_adas_items(stack):
    conv = conversation()
    ada = signed_in(stack, "ada")
    posted = ada.post_message(conv, "Only for me: my secret word is heliotrope.")
    assert [i["messageId"] for i in ada.history(conv)][:1] == [posted["messageId"]]

    lines = amplify(stack, {"mode": "history", "user": "bob", "password": DEFAULT_PASSWORD, "conversationId": conv})
    [history] = steps(lines, "history")
    assert history["status"] == 200 and history["body"]["items"] == []


def test_a_duplicated_client_message_id_gives_one_message_and_one_reply(stack):
    conv = conversation()
    retry = {"content": "Are you there?", "clientMessageId": f"retry-{uuid.uuid4().hex[:8]}", "times": 2}
    lines = amplify(stack, converse(conv, retry))
    first, second = steps(lines, "posted")
    assert first["status"] == second["status"] == 202
    assert first["body"]["messageId"] == second["body"]["messageId"]
    [history] = steps(lines, "history")
    roles = [i["role"] for i in history["body"]["items"]]
    assert roles == ["user", "brain"]


def test_the_readmes_node_example_streams_a_reply(stack):
    """clients/node/chat.mjs, as the README shows it: configure, sign in, subscribe, send."""
    run = subprocess.run(
        [
            "node",
            "--experimental-websocket",
            str(REPO_ROOT / "clients" / "node" / "chat.mjs"),
            str(stack / "config.json"),
            "Hello, brain! What do you feel?",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "NODE_EXTRA_CA_CERTS": str(stack / "ca.pem")},
        timeout=90,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    streamed, inner_life = run.stdout.rstrip("\n").rsplit("\n", 1)
    assert streamed.strip() and inner_life.startswith("  emotion ")
