"""The offline client API's parts: the namespace's APPSYNC_JS file run in V8, Cognito token
checks, and the HTTP API's route matching and API-Gateway-v2 events."""

from __future__ import annotations

import time

import jwt
import pytest
from aiohttp.test_utils import make_mocked_request
from cryptography.hazmat.primitives.asymmetric import rsa

from brain_core.config import SETTINGS
from brain_local.cognito.identity import InvalidToken, TokenVerifier, UserPool, amplify_config
from brain_local.events.appsync_js import HandlerFileError, NamespaceHandlers, script_from_module
from brain_local.httpapi.service import HttpApiService, Route, proxy_response


def subscribe_ctx(sub, path):
    return {
        "identity": {"sub": sub} if sub else None,
        "info": {"channel": {"path": path, "segments": path.strip("/").split("/")}, "operation": "SUBSCRIBE"},
    }


@pytest.fixture(scope="module")
def handlers():
    running = NamespaceHandlers()
    yield running
    running.close()


@pytest.mark.parametrize(
    ("sub", "path", "allowed"),
    [
        ("ada-sub", "/brain/ada-sub/conv-1", True),
        ("ada-sub", "/brain/ada-sub/*", True),
        ("bob-sub", "/brain/ada-sub/conv-1", False),
        ("bob-sub", "/brain/*", False),
        (None, "/brain/ada-sub/conv-1", False),
    ],
)
def test_the_deployed_subscribe_rule_allows_only_ones_own_channels(handlers, sub, path, allowed):
    outcome = handlers.run("onSubscribe", subscribe_ctx(sub, path))
    assert outcome.defined and outcome.ok is allowed
    if not allowed:
        assert outcome.error_type == "UnauthorizedException"


def test_the_shim_refuses_what_it_does_not_provide():
    with pytest.raises(HandlerFileError):
        script_from_module("import { x } from 'somewhere';\nexport function onSubscribe(ctx) {}")
    script = script_from_module("import { util } from '@aws-appsync/utils';\nexport const onPublish = (ctx) => ctx;")
    assert "import" not in script.split("const util")[1] and "export" not in script


class Keys:
    def __init__(self):
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        self.jwks = {"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]}

    def token(self, pool: UserPool, **claims) -> str:
        now = int(time.time())
        payload = {
            "iss": pool.issuer,
            "sub": "ada-sub",
            "token_use": "access",
            "client_id": pool.client_id,
            "username": "ada",
            "iat": now,
            "exp": now + 3600,
        } | claims
        return jwt.encode(payload, self.private, algorithm="RS256", headers={"kid": "k1"})


POOL = UserPool(pool_id="us-east-1_test", client_id="client-1", region="us-east-1")


def test_tokens_are_checked_as_api_gateways_jwt_authorizer_checks_them():
    keys, other = Keys(), Keys()
    verifier = TokenVerifier(lambda: keys.jwks, POOL)
    assert verifier.verify("Bearer " + keys.token(POOL))["sub"] == "ada-sub"
    assert verifier.verify(keys.token(POOL, token_use="id", aud="client-1", client_id=None))["token_use"] == "id"
    for bad in (
        None,
        "",
        "not-a-jwt",
        other.token(POOL),  # signed by a key the pool does not have
        keys.token(POOL, exp=int(time.time()) - 60),  # expired
        keys.token(POOL, iss="https://cognito-idp.us-east-1.amazonaws.com/another-pool"),
        keys.token(POOL, client_id="another-client"),
        keys.token(POOL, token_use="refresh"),
    ):
        with pytest.raises(InvalidToken):
            verifier.verify(bad)


def test_route_templates_match_as_api_gateway_matches_them():
    route = Route("GET /conversations/{conversationId}/messages/{messageId}/chunks")
    assert route.match("GET", "/conversations/c1/messages/01M/chunks") == {"conversationId": "c1", "messageId": "01M"}
    assert route.match("POST", "/conversations/c1/messages/01M/chunks") is None
    assert route.match("GET", "/conversations/c1/messages") is None
    assert Route("GET /conversations").match("GET", "/conversations") == {}


def test_the_event_is_api_gateways_payload_format_2():
    emulator = HttpApiService(SETTINGS.client_api.routes, verifier=None, invoke=None, account="123456789012")
    request = make_mocked_request(
        "POST",
        "/api/conversations/c1/messages?x=1&x=2",
        headers={"Authorization": "Bearer t", "Content-Type": "application/json", "Host": "127.0.0.1:4567"},
    )
    route = Route("POST /conversations/{conversationId}/messages")
    claims = {"sub": "ada-sub", "scope": ["a", "b"], "exp": 5}
    event = emulator.event(request, route, "/conversations/c1/messages", {"conversationId": "c1"}, claims, b'{"a":1}')
    assert event["version"] == "2.0" and event["routeKey"] == route.key == event["requestContext"]["routeKey"]
    assert event["rawPath"] == "/conversations/c1/messages" and event["rawQueryString"] == "x=1&x=2"
    assert event["queryStringParameters"] == {"x": "1,2"} and event["pathParameters"] == {"conversationId": "c1"}
    assert event["headers"]["authorization"] == "Bearer t"
    assert event["requestContext"]["authorizer"]["jwt"]["claims"] == {"sub": "ada-sub", "scope": "[a b]", "exp": "5"}
    assert event["requestContext"]["http"]["method"] == "POST" and event["requestContext"]["stage"] == "$default"
    assert event["body"] == '{"a":1}' and event["isBase64Encoded"] is False


def test_a_proxy_result_becomes_the_http_response():
    response = proxy_response({"statusCode": 202, "headers": {"Content-Type": "application/json"}, "body": '{"a":1}'})
    assert response.status == 202 and response.body == b'{"a":1}'
    assert response.headers["Content-Type"] == "application/json"


def test_the_amplify_configuration_has_the_shape_amplify_configure_takes():
    config = amplify_config(POOL, "https://127.0.0.1:4567")
    assert config["Auth"]["Cognito"] == {
        "userPoolId": "us-east-1_test",
        "userPoolClientId": "client-1",
        "userPoolEndpoint": "https://127.0.0.1:4567",
        "loginWith": {"username": True},
    }
    assert config["API"]["Events"] == {
        "endpoint": "https://127.0.0.1:4567/event",
        "region": "us-east-1",
        "defaultAuthMode": "userPool",
    }
    assert config["API"]["REST"]["brain"]["endpoint"] == "https://127.0.0.1:4567/api"
