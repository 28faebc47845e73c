"""The attacks of issue 17 against a fresh offline stack, each with the answer it got.

``python scripts/trust_attacks.py`` starts its own stack (any free port, a temporary state
directory), runs each attack as an outsider would (plain HTTP and WebSocket, no credentials but
what the attack forges) and prints one line per attack: what was tried, and what came back. It
is the closing note's "before and after": run it on two checkouts and compare. It asserts
nothing (the acceptance tests do: tests/integration/test_trust_boundary.py).
"""

from __future__ import annotations

import http.client
import json
import ssl
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from websockets.sync.client import connect  # noqa: E402

from brain_local.api_client import SignedInClient, _b64url, realtime_url  # noqa: E402
from brain_local.stack import OfflineStack, StackOptions  # noqa: E402


def forged_token(pool_id: str, client_id: str, region: str, sub: str) -> str:
    """An access token for ``sub`` signed with the private key that ships inside moto (kid ``dummy``)."""
    import jwt
    from moto.utilities.utils import load_resource

    key = jwt.PyJWK(load_resource("cognitoidp/resources/jwks-private.json")).key
    now = int(time.time())
    claims = {
        "iss": f"https://cognito-idp.{region}.amazonaws.com/{pool_id}",
        "sub": sub,
        "client_id": client_id,
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "iat": now,
        "exp": now + 3600,
        "username": "mallory",
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "dummy"})


class Attacker:
    def __init__(self, stack: OfflineStack):
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


def main() -> int:
    state = Path(tempfile.mkdtemp(prefix="attacks-"))
    options = StackOptions(port=0, state_dir=state / "state", log_dir=state / "logs", ttft_ms=20, reply_tokens=10)
    lines: list[tuple[str, str]] = []

    def report(attack: str, answer: object) -> None:
        lines.append((attack, str(answer)))
        print(f"- {attack}: {answer}", flush=True)

    with OfflineStack(options) as stack:
        a = Attacker(stack)
        api = stack.client_api
        assert api is not None
        ada = SignedInClient(a.config, api.ca_file).sign_in("ada", "x" if False else api.users["ada"])
        bob_sub = api.subs["bob"]

        # 1. forged tokens
        forged = forged_token(a.pool.pool_id, a.pool.client_id, a.pool.region, bob_sub)
        bearer = {"Authorization": f"Bearer {forged}", "Content-Type": "application/json"}
        report("forged moto-key token, GET /api/conversations", a.http("GET", "/api/conversations", None, bearer)[0])
        status, _, body = a.http(
            "POST", "/api/conversations/forged-1/messages", json.dumps({"content": "hi"}).encode(), bearer
        )
        report("forged moto-key token, POST a message as bob", status)
        try:
            with a.socket(forged) as socket:
                report("forged token, Events connection_init", frames(socket, [{"type": "connection_init"}]))
        except Exception as exc:  # noqa: BLE001
            report("forged token, Events connection_init", f"{type(exc).__name__}: {exc}")

        # 2. Cognito's admin API through the front door, no credentials
        pool_id = a.pool.pool_id
        report("ListUsers, no credentials", a.cognito("ListUsers", {"UserPoolId": pool_id}))
        report(
            "AdminSetUserPassword bob, no credentials",
            a.cognito(
                "AdminSetUserPassword",
                {"UserPoolId": pool_id, "Username": "bob", "Password": "Pwned-pass-1!", "Permanent": True},
            ),
        )
        report(
            "sign in as bob with the attacker's password",
            a.cognito(
                "InitiateAuth",
                {
                    "ClientId": a.pool.client_id,
                    "AuthFlow": "USER_PASSWORD_AUTH",
                    "AuthParameters": {"USERNAME": "bob", "PASSWORD": "Pwned-pass-1!"},
                },
            )[0],
        )
        report(
            "SignUp mallory",
            a.cognito("SignUp", {"ClientId": a.pool.client_id, "Username": "mallory", "Password": "Mallory-pass-1!"}),
        )
        report(
            "CreateUserPoolClient, no credentials",
            a.cognito("CreateUserPoolClient", {"UserPoolId": pool_id, "ClientName": "x"}),
        )
        report(
            "AdminDeleteUser ada, no credentials",
            a.cognito("AdminDeleteUser", {"UserPoolId": pool_id, "Username": "nobody"}),
        )

        # 3. CORS
        for origin in ("https://evil.example", "null"):
            seen = {}
            for method, path in (
                ("GET", "/api/conversations"),
                ("POST", "/"),
                ("POST", "/event"),
                ("GET", "/config.json"),
            ):
                status, headers, _ = a.http(method, path, b"{}" if method == "POST" else None, {"Origin": origin})
                seen[f"{method} {path}"] = headers.get("Access-Control-Allow-Origin")
                _, pre, _ = a.http("OPTIONS", path, None, {"Origin": origin, "Access-Control-Request-Method": method})
                seen[f"OPTIONS {path}"] = pre.get("Access-Control-Allow-Origin")
            report(f"Origin {origin}: Access-Control-Allow-Origin", seen)

        # 4. the Events socket's frames
        with a.socket(ada.access_token) as socket:
            report(
                "socket: subscribe before connection_init",
                frames(socket, [{"type": "subscribe", "id": "s0", "channel": f"/brain/{ada.sub}/x"}]),
            )
        auth = {"Authorization": ada.access_token, "host": a.host}
        good = {"type": "subscribe", "id": "ok", "channel": f"/brain/{ada.sub}/x", "authorization": auth}
        bad_frames = {
            "'..' segment": {"type": "subscribe", "id": "s1", "channel": f"/brain/{ada.sub}/..", "authorization": auth},
            "1000-char segment": {
                "type": "subscribe",
                "id": "s2",
                "channel": f"/brain/{ada.sub}/{'a' * 1000}",
                "authorization": auth,
            },
            "string authorization": {"type": "subscribe", "id": "s3", "channel": good["channel"], "authorization": "x"},
            "array frame": "[1, 2]",
            "type not a string": {"type": ["subscribe"], "id": "s5"},
        }
        for name, frame in bad_frames.items():
            with a.socket(ada.access_token) as socket:
                frames(socket, [{"type": "connection_init"}])
                report(f"socket: {name}, then a good subscribe", frames(socket, [frame, good]))

        # 5. RevokeToken
        report(
            "RevokeToken (a browser's sign-out)", a.cognito("RevokeToken", {"Token": "x", "ClientId": a.pool.client_id})
        )

        # 6. 21 messages in a minute
        conv = f"flood-{uuid.uuid4().hex[:8]}"
        statuses = [ada.request("POST", f"/conversations/{conv}/messages", {"content": f"m{i}"})[0] for i in range(21)]
        report("21 messages inside a minute from ada", statuses)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
