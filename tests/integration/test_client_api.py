"""The client API against the offline stack, from Python: HTTP status codes and error bodies,
paging, the chunks route, publishing being IAM only, and the boto3 path beside it."""

from __future__ import annotations

import json
import ssl
import urllib.request
import uuid

import pytest
from websockets.sync.client import connect

from brain_local.clients.api_client import SignedInClient, _b64url, realtime_url
from brain_local.cognito.identity import DEFAULT_PASSWORD
from tests.integration.pipeline_helpers import put_raw, raw_client, wait_reply


@pytest.fixture(scope="module")
def config(stack) -> dict:
    return stack.client_api.amplify_config()


def user(stack, config, name: str) -> SignedInClient:
    return SignedInClient(config, stack.client_api.ca_file).sign_in(name, DEFAULT_PASSWORD)


@pytest.fixture(scope="module")
def ada(stack, config):
    client = user(stack, config, "ada").connect()
    yield client
    client.close()


@pytest.fixture(scope="module")
def bob(stack, config):
    return user(stack, config, "bob")


def conversation() -> str:
    return f"api-{uuid.uuid4().hex[:12]}"


def post_raw(ada: SignedInClient, conv: str, data: bytes):
    """POST bytes as they are (not JSON-encoded by the client)."""
    connection = ada._connection()
    connection.request(
        "POST",
        f"{ada._api_prefix}/conversations/{conv}/messages",
        data,
        {"Authorization": f"Bearer {ada.access_token}", "Content-Type": "application/json"},
    )
    response = connection.getresponse()
    return response.status, json.loads(response.read())


@pytest.mark.parametrize(
    ("data", "status", "error"),
    [
        (b'{"content": ""}', 400, "EmptyContent"),
        (json.dumps({"content": "x" * 4001}).encode(), 400, "ContentTooLong"),
        (b'{"content": 12}', 400, "InvalidContent"),
        (b"{not json", 400, "InvalidJson"),
        (json.dumps({"content": "x" * 20_000}).encode(), 413, "PayloadTooLarge"),
    ],
)
def test_a_bad_post_gets_a_clear_4xx_and_writes_nothing(ada, data, status, error):
    conv = conversation()
    got, body = post_raw(ada, conv, data)
    assert (got, body["error"]) == (status, error) and body["message"]
    assert ada.history(conv) == []


def test_a_conversation_id_that_cannot_be_a_channel_is_refused_and_nothing_is_written(ada):
    status, body = ada.request("POST", "/conversations/under_score/messages", {"content": "hi"})
    assert status == 400 and body["error"] == "InvalidConversationId"
    assert ada.request("GET", "/conversations/under_score/messages")[0] == 400


def test_a_bad_token_gets_401_and_an_unknown_route_404(ada):
    assert ada.request("GET", "/conversations", token=ada.access_token[:-4] + "AAAA") == (
        401,
        {"message": "Unauthorized"},
    )
    assert ada.request("GET", "/conversations", token=None)[0] == 401
    assert ada.request("DELETE", "/conversations")[0] == 404


def test_history_is_the_callers_only_in_order_and_paged(ada, bob):
    conv = conversation()
    sent = [ada.post_message(conv, f"message {i}")["messageId"] for i in range(3)]
    bob.post_message(conv, "bob's words on the same conversationId")
    mine = ada.history(conv)
    assert [i["messageId"] for i in mine if i["role"] == "user"] == sent
    assert all("bob" not in i.get("content", "") for i in mine)
    status, page = ada.request("GET", f"/conversations/{conv}/messages?limit=2")
    assert status == 200 and len(page["items"]) == 2 and page["nextToken"] == page["items"][-1]["messageId"]
    assert [i["role"] for i in bob.history(conv)] in (["user"], ["user", "brain"])


def test_conversations_are_the_callers_newest_first_titled_by_their_first_message(ada, bob):
    first, second = conversation(), conversation()
    ada.post_message(first, "The first conversation starts here")
    ada.post_message(second, "The second one")
    ada.post_message(second, "and goes on")
    status, listed = ada.request("GET", "/conversations?limit=200")
    mine = [c for c in listed["items"] if c["conversationId"] in (first, second)]
    assert status == 200 and [c["conversationId"] for c in mine] == [second, first]
    assert [c["title"] for c in mine] == ["The second one", "The first conversation starts here"]
    assert not {c["conversationId"] for c in bob.request("GET", "/conversations")[1]["items"]} & {first, second}


def test_a_client_that_missed_the_stream_catches_up_from_the_chunks_route(ada, bob):
    conv = conversation()
    exchange = ada.send("Hello there, brain. Tell me about the jar.", conv)
    message_id = exchange.message["messageId"]
    status, caught_up = ada.request("GET", f"/conversations/{conv}/messages/{message_id}/chunks?after=0")
    seqs = [c["seq"] for c in caught_up["chunks"]]
    assert status == 200 and caught_up["done"] and seqs == list(range(1, len(seqs) + 1))
    everything = ada.request("GET", f"/conversations/{conv}/messages/{message_id}/chunks")[1]["chunks"]
    assert "".join(c["text"] for c in everything) == exchange.streamed
    assert bob.request("GET", f"/conversations/{conv}/messages/{message_id}/chunks")[0] == 404


def test_publishing_is_iam_only_no_browser_can_forge_a_chunk(stack, ada):
    context = ssl.create_default_context(cafile=str(stack.client_api.ca_file))
    channel = ada.channel(conversation())
    body = json.dumps({"channel": channel, "events": [json.dumps({"type": "chunk", "text": "forged"})]}).encode()
    for authorization in (f"Bearer {ada.access_token}", ada.access_token, None):
        request = urllib.request.Request(
            f"{stack.client_api.url}/event", body, {"Content-Type": "application/json"}, method="POST"
        )
        if authorization:
            request.add_header("Authorization", authorization)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, context=context, timeout=5)
        assert refused.value.code == 401

    events = ada.config["API"]["Events"]["endpoint"]
    header = {"Authorization": ada.access_token, "host": "x"}
    with connect(
        realtime_url(events), subprotocols=["aws-appsync-event-ws", "header-" + _b64url(header)], ssl=context
    ) as socket:
        socket.send(json.dumps({"type": "connection_init"}))
        assert json.loads(socket.recv(5))["type"] == "connection_ack"
        socket.send(
            json.dumps({"type": "publish", "id": "p1", "channel": channel, "events": ["{}"], "authorization": header})
        )
        answer = json.loads(socket.recv(5))
        assert answer["type"] == "publish_error" and answer["errors"][0]["errorType"] == "UnauthorizedException"


def test_a_connection_without_a_valid_token_is_refused(stack, ada):
    context = ssl.create_default_context(cafile=str(stack.client_api.ca_file))
    header = {"Authorization": "not-a-token", "host": "x"}
    with connect(
        realtime_url(ada.config["API"]["Events"]["endpoint"]),
        subprotocols=["aws-appsync-event-ws", "header-" + _b64url(header)],
        ssl=context,
    ) as socket:
        socket.send(json.dumps({"type": "connection_init"}))
        answer = json.loads(socket.recv(5))
        assert answer["type"] == "connection_error" and answer["errors"][0]["errorType"] == "UnauthorizedException"


def test_the_backend_path_still_answers_an_owner_that_cannot_be_a_channel(stack):
    """A trusted backend's item (any owner): answered and stored as always, just not pushed."""
    client = raw_client(stack)
    message_id, conv = put_raw(client, {"owner": {"S": "grace@example.com"}, "content": {"S": "Hello from a backend"}})
    reply = wait_reply(client, conv, message_id)
    assert reply["status"] == "complete" and reply["owner"] == "grace@example.com"
