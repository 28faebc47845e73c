"""The attacks of issue 17 against a fresh offline stack, each with the answer it got.

``python scripts/trust_attacks.py`` starts its own stack (any free port, a temporary state
directory), runs each attack as an outsider would (plain HTTP and WebSocket, no credentials but
what the attack forges) and prints one line per attack: what was tried, and what came back. It
is the closing note's "before and after": run it on two checkouts and compare. It asserts
nothing (the acceptance tests do: tests/integration/test_trust_boundary.py).
"""

from __future__ import annotations

import json
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from brain_local.clients.api_client import SignedInClient  # noqa: E402
from brain_local.stack.lifecycle import OfflineStack  # noqa: E402
from brain_local.stack.options import OfflineStackOptions  # noqa: E402
from tests.integration.attacker import Attacker, forged_token, frames  # noqa: E402


def main() -> int:
    state = Path(tempfile.mkdtemp(prefix="attacks-"))
    options = OfflineStackOptions(
        port=0, state_dir=state / "state", log_dir=state / "logs", ttft_ms=20, reply_tokens=10
    )
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
        forged = forged_token(a.pool, bob_sub)
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

        # the Events publish with a made-up signature, into ada's channel while she listens
        channel = f"/brain/{ada.sub}/forged"
        with a.socket(ada.access_token) as socket:
            frames(socket, [{"type": "connection_init"}])
            frames(socket, [{"type": "subscribe", "id": "victim", "channel": channel, "authorization": auth}])
            forged_sig = {
                "Authorization": "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/appsync/aws4_request, "
                "SignedHeaders=host, Signature=00",
                "Content-Type": "application/json",
            }
            event = json.dumps({"type": "reply", "messageId": "forged", "content": "pwned"})
            status, _, answer = a.http(
                "POST", "/event", json.dumps({"channel": channel, "events": [event]}).encode(), forged_sig
            )
            try:
                received = socket.recv(2)[:100]
            except TimeoutError:
                received = "nothing"
            report(
                "publish with a made-up SigV4 into ada's channel",
                f"{status} {answer.decode()[:100]}; ada got: {received}",
            )

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
