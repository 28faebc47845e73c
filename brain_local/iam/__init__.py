"""IAM offline: who signed a request, and whether their policy allows it (issue 17, points 3, 4).

The API (everything here is importable from ``brain_local.iam``):

- :class:`CredentialsRegistry` — ``CredentialsRegistry.issue(settings, account)``: the
  administrator ``offline`` / ``offline`` and fresh temporary credentials for each function's
  role, the pipe's and the state machine's; ``registry.lookup(access_key_id) -> Principal | None``,
  ``registry.role("depth") -> Principal``, ``registry.administrator``.
- :class:`Principal` — ``key``, ``arn``, ``is_administrator``, ``environment()`` (the
  ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``/``AWS_SESSION_TOKEN`` Lambda sets) and
  ``client_kwargs()`` for ``boto3.client``.
- :func:`verify_request` — ``verify_request(registry, method, url, headers, body, service=...,
  region=...) -> Principal``; raises an :class:`AuthError` (:class:`MissingAuthentication`,
  :class:`UnrecognizedClient`, :class:`InvalidSignature`) whose ``code``/``status``/``message``
  are the service's own, and whose ``response()`` is (status, headers, body) in its wire format
  (``wsgi(start_response)`` answers a WSGI request with it). ``wsgi_url(environ)`` and
  ``wsgi_headers(environ)`` give a WSGI request's signed URL and headers.
- :class:`AccessDenied` — a call the principal's policy does not allow, with AWS's message.
"""

from brain_local.iam.credentials import PIPE, STATE_MACHINE, CredentialsRegistry, Principal
from brain_local.iam.errors import AccessDenied, AuthError, InvalidSignature, MissingAuthentication, UnrecognizedClient
from brain_local.iam.sigv4 import verify_request, wsgi_headers, wsgi_url

__all__ = [
    "PIPE",
    "STATE_MACHINE",
    "AccessDenied",
    "AuthError",
    "CredentialsRegistry",
    "InvalidSignature",
    "MissingAuthentication",
    "Principal",
    "UnrecognizedClient",
    "verify_request",
    "wsgi_headers",
    "wsgi_url",
]
