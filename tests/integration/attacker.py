"""What an outsider has against the offline stack (issue 17): a token signed with the key moto
ships, plain HTTPS to the front door, and the Events socket. Used by the acceptance tests
(test_trust_boundary.py) and by scripts/trust_attacks.py (the before/after of each attack)."""

from __future__ import annotations

import http.client
import json
import ssl
import time

from websockets.sync.client import connect

from brain_local.clients.api_client import _b64url, realtime_url


def signed_token(pool, sub: str, key, kid: str, seconds: int = 3600) -> str:
    """An access token of ``pool``'s shape for ``sub``, signed with ``key`` under ``kid``."""
    import jwt

    now = int(time.time())
    claims = {
        "iss": pool.issuer,
        "sub": sub,
        "client_id": pool.client_id,
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "iat": now,
        "exp": now + seconds,
        "username": "mallory",
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def forged_token(pool, sub: str) -> str:
    """An access token for ``sub`` signed with the private key that ships inside moto (kid ``dummy``)."""
    import jwt
    from moto.utilities.utils import load_resource

    return signed_token(pool, sub, jwt.PyJWK(load_resource("cognitoidp/resources/jwks-private.json")).key, "dummy")


def stack_token(stack, sub: str, seconds: int) -> str:
    """A token the stack itself would sign (its own key, from its state directory), for ``seconds``."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = stack.client_api.token_key
    return signed_token(stack.client_api.user_pool, sub, load_pem_private_key(key.private_pem, None), key.kid, seconds)


class Attacker:
    def __init__(self, stack):
        api = stack.client_api
        assert api is not None
        self.config = api.amplify_config()
        self.ca = str(api.ca_file)
        self.front = api.url
        self.host = self.front.removeprefix("https://")
        self.context = ssl.create_default_context(cafile=self.ca)
        self.events_context = ssl.create_default_context(cafile=self.ca)
        self.events_context.maximum_version = ssl.TLSVersion.TLSv1_2
        self.pool = api.user_pool

    def http(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        connection = http.client.HTTPSConnection(self.host, context=self.context, timeout=30)
        connection.request(method, path, body, headers or {})
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, dict(response.getheaders()), data

    def cognito(self, operation: str, body: dict):
        headers = {
            "X-Amz-Target": f"AWSCognitoIdentityProviderService.{operation}",
            "Content-Type": "application/x-amz-json-1.1",
        }
        status, answer_headers, data = self.http("POST", "/", json.dumps(body).encode(), headers)
        return status, data.decode()[:160]

    def socket(self, token: str | None):
        auth = {"Authorization": token, "host": self.host}
        return connect(
            realtime_url(self.config["API"]["Events"]["endpoint"]),
            subprotocols=["aws-appsync-event-ws", "header-" + _b64url(auth)],  # type: ignore[list-item]
            ssl=self.events_context,
            open_timeout=10,
        )


def frames(socket, sent: list, wait: float = 1.5) -> str:
    """What the socket answered to each frame sent (and whether it is still open)."""
    answers = []
    for frame in sent:
        try:
            socket.send(frame if isinstance(frame, str) else json.dumps(frame))
            answers.append(socket.recv(wait)[:140])
        except TimeoutError:
            answers.append("(no answer)")
        except Exception as exc:  # noqa: BLE001 - the point is to report what happened
            answers.append(f"{type(exc).__name__}: {exc}"[:140])
            break
    return " | ".join(answers)
