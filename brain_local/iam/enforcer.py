"""Signature and policy checks for every request to the offline endpoints, in one place.

:class:`Enforcer` verifies a request's SigV4 (:mod:`brain_local.iam.sigv4`), maps it to the
actions and resources IAM authorizes (:mod:`brain_local.iam.actions`) and evaluates each against
the signer's policy (:mod:`brain_local.iam.policy`): the administrator's AdministratorAccess, or
the role's statements as CDK synthesized them. The first refusal is raised as the service's own
error; a denial is also logged at WARNING by the ``brain.iam`` logger and counted
(:meth:`Enforcer.health`). With ``enforce=False`` (``brain up --no-iam``) signatures are still
verified and policies are not evaluated.

:meth:`Enforcer.middleware` puts it in front of a WSGI app (the stack's endpoint, the DynamoDB
process); :meth:`Enforcer.authorize` serves any other server (Events publish, on aiohttp).
"""

from __future__ import annotations

import io
import logging
import threading
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from brain_local.iam.actions import Call, RequestMapper
from brain_local.iam.credentials import CredentialsRegistry, Principal
from brain_local.iam.errors import AccessDenied, AuthError
from brain_local.iam.policy import ADMINISTRATOR_ACCESS, ALLOW, DENY, Policy
from brain_local.iam.sigv4 import parse_authorization, verify_request, wsgi_headers, wsgi_url

log = logging.getLogger("brain.iam")

#: How many recent denials :meth:`Enforcer.health` shows.
RECENT_DENIALS = 20


class Enforcer:
    def __init__(
        self,
        registry: CredentialsRegistry,
        region: str,
        account: str,
        policies: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
        enforce: bool = True,
    ):
        self.region, self.account = region, account
        self.mapper = RequestMapper(region, account)
        self._lock = threading.Lock()
        self.denied: Counter[str] = Counter()
        self.recent: deque[str] = deque(maxlen=RECENT_DENIALS)
        #: Which configuration this is (the DynamoDB process reports the one it applied).
        self.revision = 0
        #: Signed requests verified (and, enforcing, evaluated).
        self.checked = 0
        self.configure(registry, policies, enforce)

    def configure(
        self,
        registry: CredentialsRegistry,
        policies: Mapping[str, Sequence[Mapping[str, Any]]] | None,
        enforce: bool = True,
    ) -> None:
        """The credentials and the roles' statements (resolved: no intrinsics left). A role with
        no statements here may do nothing. Raises UnsupportedPolicy for a policy it cannot evaluate."""
        compiled = {key: Policy(statements) for key, statements in (policies or {}).items()}
        compiled[registry.administrator.key] = Policy(ADMINISTRATOR_ACCESS)
        self.registry, self.policies, self.enforce = registry, compiled, enforce

    # -- checks -------------------------------------------------------------------------------
    def authorize(self, method: str, url: str, headers: Mapping[str, str], body: bytes, call: Call) -> Principal | None:
        """The signer of a request for ``call``, once its signature and policy allow it; None for
        an unsigned request to an operation AWS takes unsigned. Raises the service's AuthError."""
        lower = {k.lower(): v for k, v in headers.items()}
        if call.unsigned_ok and "authorization" not in lower:
            return None
        principal = verify_request(self.registry, method, url, lower, body, service=call.service, region=self.region)
        self.checked += 1  # a statistic: a lost increment between threads does not matter
        if self.enforce:
            self.evaluate(principal, call, secure=url.startswith("https:"))
        return principal

    def evaluate(self, principal: Principal, call: Call, secure: bool = False) -> None:
        """Raise AccessDenied at the first (action, resource) of ``call`` the policy does not allow."""
        policy = self.policies.get(principal.key) or Policy([])
        context = {
            "aws:PrincipalArn": self._principal_arn(principal),
            "aws:PrincipalAccount": self.account,
            "aws:RequestedRegion": self.region,
            "aws:SecureTransport": "true" if secure else "false",
        }
        for action, resource in call.needs:
            decision = policy.decide(action, resource, context)
            if decision != ALLOW:
                refusal = AccessDenied(call.service, principal.arn, action, resource, explicit=decision == DENY)
                with self._lock:
                    self.denied[f"{principal.key} {action}"] += 1
                    self.recent.append(refusal.message)
                log.warning("denied %s %s: %s", call.service, call.operation, refusal.message)
                raise refusal

    def _principal_arn(self, principal: Principal) -> str:
        if principal.role_name:
            return f"arn:aws:iam::{self.account}:role/{principal.role_name}"
        return principal.arn

    def check_wsgi(self, environ: dict) -> AuthError | None:
        """The refusal of a WSGI request, or None (its body is read and put back for the app)."""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        headers = wsgi_headers(environ)
        fields = parse_authorization(headers.get("authorization", "")) or {}
        credential = fields.get("Credential", "").split("/")
        scope = credential[3] if len(credential) == 5 else "unknown"
        call = self.mapper.map(
            environ.get("REQUEST_METHOD", "GET"),
            environ.get("PATH_INFO", "/"),
            environ.get("QUERY_STRING", ""),
            headers,
            body,
            scope,
        )
        try:
            self.authorize(environ.get("REQUEST_METHOD", "GET"), wsgi_url(environ), headers, body, call)
        except AuthError as refusal:
            return refusal
        return None

    def middleware(self, app, passthrough: Callable[[dict], bool] = lambda environ: False):
        """``app`` behind the checks; ``passthrough(environ)``: requests that are not AWS calls."""

        def checked(environ, start_response):
            if not passthrough(environ):
                refusal = self.check_wsgi(environ)
                if refusal is not None:
                    return refusal.wsgi(start_response)
            return app(environ, start_response)

        return checked

    def health(self) -> dict:
        with self._lock:
            return {
                "enforced": self.enforce,
                "revision": self.revision,
                "checked": self.checked,
                "denied": sum(self.denied.values()),
                "deniedBy": dict(self.denied),
                "recent": list(self.recent),
            }
