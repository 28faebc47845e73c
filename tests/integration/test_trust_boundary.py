"""The offline stack refuses what AWS refuses (issue 17), tried as an attacker would: a token
signed with the key moto ships, Cognito's admin API without credentials, foreign origins, a
flood of messages from one person, and malformed Events frames. Each test counts only its own
users, conversations and messages."""

from __future__ import annotations

import json
import time
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from brain_local.clients.api_client import SignedInClient
from brain_local.cognito.identity import DEFAULT_PASSWORD
from tests.integration.attacker import Attacker, forged_token, stack_token


@pytest.fixture(scope="module")
def attacker(stack) -> Attacker:
    return Attacker(stack)


def fresh_user(stack, prefix: str) -> tuple[str, str]:
    """A user of this test alone: (name, sub)."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    return name, stack.client_api.add_user(name, DEFAULT_PASSWORD)


def signed_in(stack, name: str) -> SignedInClient:
    return SignedInClient(stack.client_api.amplify_config(), stack.client_api.ca_file).sign_in(name, DEFAULT_PASSWORD)


def route_paths(stack) -> list[tuple[str, str]]:
    """(method, path) for every route of the HTTP API, its parameters filled in."""
    filled = {"{conversationId}": "trust-c1", "{messageId}": "01JAAAAAAAAAAAAAAAAAAAAAAA"}
    found = []
    for key in stack.settings.client_api.routes:
        method, template = key.split(" ", 1)
        for name, value in filled.items():
            template = template.replace(name, value)
        found.append((method, "/api" + template))
    return found


def cognito_client(stack, **credentials):
    api = stack.client_api
    return boto3.client(
        "cognito-idp",
        endpoint_url=api.url,
        region_name=stack.settings.region,
        verify=str(api.ca_file),
        config=Config(retries={"total_max_attempts": 1}),
        **credentials,
    )


# -- identity ------------------------------------------------------------------------------------
def test_a_token_signed_with_motos_key_gets_401_on_every_route(stack, attacker):
    _, victim = fresh_user(stack, "victim")
    forged = {"Authorization": f"Bearer {forged_token(attacker.pool, victim)}", "Content-Type": "application/json"}
    for method, path in route_paths(stack):
        body = json.dumps({"content": "forged"}).encode() if method == "POST" else None
        status, _, answer = attacker.http(method, path, body, forged)
        assert (status, json.loads(answer)) == (401, {"message": "Unauthorized"}), (method, path)


def test_a_token_of_this_stack_works(stack, attacker):
    name, _ = fresh_user(stack, "owner")
    own = {"Authorization": f"Bearer {signed_in(stack, name).access_token}"}
    status, _, answer = attacker.http("GET", "/api/conversations", None, own)
    assert status == 200 and json.loads(answer)["items"] == []


def test_the_pools_jwks_is_the_stacks_own_key(stack):
    import jwt

    name, _ = fresh_user(stack, "kid")
    kid = jwt.get_unverified_header(signed_in(stack, name).access_token)["kid"]
    assert kid == stack.client_api.token_key.kid != "dummy"


def test_the_pool_serves_the_stacks_key_as_its_jwks_and_not_motos(stack):
    import urllib.request

    pool = stack.client_api.user_pool
    request = urllib.request.Request(
        f"{stack.options.endpoint}/{pool.pool_id}/.well-known/jwks.json",
        headers={"Host": f"cognito-idp.{pool.region}.amazonaws.com"},  # moto routes by host, as AWS by domain
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        served = json.load(response)
    assert served == stack.client_api.token_key.jwks()
    assert [key["kid"] for key in served["keys"]] != ["dummy"]


def test_the_events_socket_refuses_a_forged_token(stack, attacker):
    _, victim = fresh_user(stack, "victim")
    with attacker.socket(forged_token(attacker.pool, victim)) as socket:
        socket.send(json.dumps({"type": "connection_init"}))
        answer = json.loads(socket.recv(10))
    assert answer["type"] == "connection_error"
    assert answer["errors"][0]["errorType"] == "UnauthorizedException"


def test_a_forged_token_in_a_subscribe_is_refused(stack, attacker):
    name, sub = fresh_user(stack, "sub")
    own = signed_in(stack, name).access_token
    forged = {"Authorization": forged_token(attacker.pool, sub), "host": attacker.host}
    with attacker.socket(own) as socket:
        socket.send(json.dumps({"type": "connection_init"}))
        assert json.loads(socket.recv(10))["type"] == "connection_ack"
        socket.send(json.dumps({"type": "subscribe", "id": "f", "channel": f"/brain/{sub}/c", "authorization": forged}))
        answer = json.loads(socket.recv(10))
    assert answer["type"] == "subscribe_error" and answer["errors"][0]["errorType"] == "UnauthorizedException"


def test_the_socket_ends_when_its_token_expires(stack, attacker):
    from websockets.exceptions import ConnectionClosed

    _, sub = fresh_user(stack, "expiring")
    with attacker.socket(stack_token(stack, sub, seconds=3)) as socket:
        socket.send(json.dumps({"type": "connection_init"}))
        assert json.loads(socket.recv(10))["type"] == "connection_ack"
        frames = []
        with pytest.raises(ConnectionClosed):
            while True:
                frames.append(json.loads(socket.recv(15)))
    assert frames[-1]["type"] == "connection_error"
    assert frames[-1]["errors"][0]["errorType"] == "UnauthorizedException"


# -- Cognito ---------------------------------------------------------------------------------------
def test_cognito_administration_without_credentials_is_refused_and_bobs_password_unchanged(stack, attacker):
    bob, _ = fresh_user(stack, "bob")
    pool = attacker.pool.pool_id
    for operation, body in (
        ("ListUsers", {"UserPoolId": pool}),
        ("AdminSetUserPassword", {"UserPoolId": pool, "Username": bob, "Password": "Pwned-pass-1!", "Permanent": True}),
        ("AdminCreateUser", {"UserPoolId": pool, "Username": f"mallory-{uuid.uuid4().hex[:6]}"}),
        ("CreateUserPoolClient", {"UserPoolId": pool, "ClientName": "mallory"}),
    ):
        status, answer = attacker.cognito(operation, body)
        assert status == 400 and "MissingAuthenticationTokenException" in answer, operation
    status, answer = attacker.cognito(
        "SignUp", {"ClientId": attacker.pool.client_id, "Username": "mallory", "Password": "Mallory-pass-1!"}
    )
    assert status == 400
    assert json.loads(answer) == {
        "__type": "NotAuthorizedException",
        "message": "SignUp is not permitted for this user pool",
    }
    signed_in(stack, bob)  # the password bob had still works
    with pytest.raises(ClientError, match="NotAuthorized"):
        SignedInClient(stack.client_api.amplify_config(), stack.client_api.ca_file).sign_in(bob, "Pwned-pass-1!")


def test_cognito_administration_with_keys_nobody_issued_is_refused(stack):
    cognito = cognito_client(stack, aws_access_key_id="AKIAMALLORY", aws_secret_access_key="guessed")
    with pytest.raises(ClientError) as refused:
        cognito.list_users(UserPoolId=stack.client_api.user_pool.pool_id)
    assert refused.value.response["Error"]["Code"] == "UnrecognizedClientException"
    cognito = cognito_client(stack, aws_access_key_id="offline", aws_secret_access_key="wrong")
    with pytest.raises(ClientError) as refused:
        cognito.list_users(UserPoolId=stack.client_api.user_pool.pool_id)
    assert refused.value.response["Error"]["Code"] == "InvalidSignatureException"


def test_the_administrator_may_administer_through_the_front_door(stack):
    name, _ = fresh_user(stack, "listed")
    cognito = cognito_client(stack, aws_access_key_id="offline", aws_secret_access_key="offline")
    users = cognito.list_users(UserPoolId=stack.client_api.user_pool.pool_id, Filter=f'username = "{name}"')
    assert [u["Username"] for u in users["Users"]] == [name]


def test_revoke_token_answers_200_and_the_refresh_token_stops_working(stack):
    name, _ = fresh_user(stack, "revoke")
    client_id = stack.client_api.user_pool.client_id
    cognito = cognito_client(stack, aws_access_key_id="offline", aws_secret_access_key="offline")
    result = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": name, "PASSWORD": DEFAULT_PASSWORD},
    )["AuthenticationResult"]
    assert result["ExpiresIn"] == stack.settings.client_api.access_token_minutes * 60
    cognito.revoke_token(Token=result["RefreshToken"], ClientId=client_id)
    with pytest.raises(ClientError, match="NotAuthorized"):
        cognito.initiate_auth(
            ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]}
        )


# -- CORS ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("origin", ["https://evil.example", "null"])
def test_a_foreign_origin_gets_no_cors_anywhere(stack, attacker, origin):
    paths = [*route_paths(stack), ("POST", "/"), ("POST", "/event"), ("GET", "/config.json"), ("GET", "/ca.pem")]
    for method, path in paths:
        _, headers, _ = attacker.http(method, path, b"{}" if method == "POST" else None, {"Origin": origin})
        assert "Access-Control-Allow-Origin" not in headers, (method, path)
        _, headers, _ = attacker.http(
            "OPTIONS", path, None, {"Origin": origin, "Access-Control-Request-Method": method}
        )
        assert "Access-Control-Allow-Origin" not in headers and "Access-Control-Allow-Methods" not in headers


def test_the_front_doors_own_origin_gets_cors(stack, attacker):
    _, headers, _ = attacker.http("GET", "/config.json", None, {"Origin": attacker.front})
    assert headers["Access-Control-Allow-Origin"] == attacker.front


# -- the per-user limit ----------------------------------------------------------------------------
def test_21_messages_inside_a_minute_get_20_accepted_then_429_and_nothing_written(stack):
    limit = stack.settings.messages_per_minute
    flooder, flooder_sub = fresh_user(stack, "flood")
    other, _ = fresh_user(stack, "calm")
    client = signed_in(stack, flooder)
    conversation = f"flood-{uuid.uuid4().hex[:10]}"
    if time.time() % 60 > 35:  # the limit is per calendar minute: all 21 inside one
        time.sleep(60 - time.time() % 60 + 0.2)
    answers = [
        client.request("POST", f"/conversations/{conversation}/messages", {"content": f"message {i}"})
        for i in range(limit + 1)
    ]
    assert [status for status, _ in answers] == [202] * limit + [429]
    refused = answers[-1][1]
    assert refused["error"] == "TooManyRequests" and 1 <= refused["retryAfterSeconds"] <= 60
    assert str(limit) in refused["message"]
    # Retry-After rides on the response itself: ask again and read the headers.
    connection = client._connection()
    connection.request(
        "POST",
        f"{client._api_prefix}/conversations/{conversation}/messages",
        json.dumps({"content": "once more"}),
        {"Authorization": f"Bearer {client.access_token}", "Content-Type": "application/json"},
    )
    response = connection.getresponse()
    response.read()
    assert response.status == 429 and 1 <= int(response.getheader("Retry-After")) <= 60
    # Nothing written for the refused ones: the 20 accepted messages and no other.
    mine = [item for item in client.history(conversation) if item.get("role") == "user"]
    assert sorted(item["content"] for item in mine) == sorted(f"message {i}" for i in range(limit))
    # Another person is not affected.
    status, _ = signed_in(stack, other).request("POST", f"/conversations/{conversation}/messages", {"content": "hi"})
    assert status == 202
    del flooder_sub


# -- the Events socket's frames --------------------------------------------------------------------
def test_subscribe_before_connection_init_is_refused_and_the_connection_lives(stack, attacker):
    name, sub = fresh_user(stack, "early")
    token = signed_in(stack, name).access_token
    with attacker.socket(token) as socket:
        socket.send(json.dumps({"type": "subscribe", "id": "s0", "channel": f"/brain/{sub}/c"}))
        answer = json.loads(socket.recv(10))
        assert answer["type"] == "subscribe_error" and answer["id"] == "s0"
        socket.send(json.dumps({"type": "connection_init"}))
        assert json.loads(socket.recv(10))["type"] == "connection_ack"


@pytest.mark.parametrize(
    ("frame", "answer_type", "error_type"),
    [
        ({"type": "subscribe", "id": "s1", "channel": "/brain/{sub}/.."}, "subscribe_error", "BadRequestException"),
        (
            {"type": "subscribe", "id": "s2", "channel": "/brain/{sub}/" + "a" * 1000},
            "subscribe_error",
            "BadRequestException",
        ),
        (
            {"type": "subscribe", "id": "s3", "channel": "/brain/{sub}/c", "authorization": "a string"},
            "subscribe_error",
            "BadRequestException",
        ),
        ("[1, 2]", "error", "BadRequestException"),
        ("not json", "error", "BadRequestException"),
        ({"type": ["subscribe"]}, "error", "BadRequestException"),
        ({"type": "subscribe", "id": 7, "channel": "/brain/{sub}/c"}, "subscribe_error", "BadRequestException"),
    ],
)
def test_a_malformed_frame_gets_an_error_frame_and_the_connection_lives(
    stack, attacker, frame, answer_type, error_type
):
    name, sub = fresh_user(stack, "frames")
    token = signed_in(stack, name).access_token
    auth = {"Authorization": token, "host": attacker.host}
    raw = frame if isinstance(frame, str) else json.dumps(frame).replace("{sub}", sub)
    with attacker.socket(token) as socket:
        socket.send(json.dumps({"type": "connection_init"}))
        assert json.loads(socket.recv(10))["type"] == "connection_ack"
        socket.send(raw)
        answer = json.loads(socket.recv(10))
        assert answer["type"] == answer_type and answer["errors"][0]["errorType"] == error_type
        good = {"type": "subscribe", "id": "ok", "channel": f"/brain/{sub}/c", "authorization": auth}
        socket.send(json.dumps(good))
        assert json.loads(socket.recv(10)) == {"type": "subscribe_success", "id": "ok"}
