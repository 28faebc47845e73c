"""Verifying a request's Signature Version 4, as the AWS services do, with botocore's own signer.

The signature is recomputed by :class:`botocore.auth.SigV4Auth` (its canonical request, string to
sign and signature: the very code every boto3 client signs with) from the request as it arrived —
its method, raw path and query, the headers it says it signed, its body and its ``X-Amz-Date`` —
and the secret of the access key it names, then compared in constant time. Only the parsing of
the ``Authorization`` header and the checks around it (scope, clock skew, session token, body
hash) are written here: botocore has no verifier.

    principal = verify_request(registry, "POST", url, headers, body, service="dynamodb", region="us-east-1")

raises an :class:`~brain_local.iam.errors.AuthError` carrying the service's own code and status:
:class:`MissingAuthentication` (no SigV4 header), :class:`UnrecognizedClient` (an access key
nobody issued, or a role key without its session token), :class:`InvalidSignature` (a wrong or
expired signature, or one scoped to another service or region).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
from collections.abc import Mapping

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from brain_local.iam.credentials import CredentialsRegistry, Principal
from brain_local.iam.errors import InvalidSignature, MissingAuthentication, UnrecognizedClient

ALGORITHM = "AWS4-HMAC-SHA256"
#: How far a request's X-Amz-Date may be from now (AWS: 15 minutes, then "Signature expired").
MAX_SKEW = datetime.timedelta(minutes=15)

_FIELD = re.compile(r"(Credential|SignedHeaders|Signature)=([^,\s]*)")


def parse_authorization(value: str) -> dict[str, str] | None:
    """``AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`` -> its three fields."""
    if not value.startswith(ALGORITHM + " "):
        return None
    fields = dict(_FIELD.findall(value[len(ALGORITHM) :]))
    return fields if len(fields) == 3 else None


def verify_request(
    registry: CredentialsRegistry,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    service: str,
    region: str,
    now: datetime.datetime | None = None,
) -> Principal:
    """The principal that signed this request; raises an AuthError for ``service`` otherwise.

    ``url``: scheme, the Host as sent, and the raw (still percent-encoded) path and query;
    ``headers``: any mapping (names in any case); ``service``: the signing name the request must
    be scoped to (``dynamodb``, ``states``, ``sqs``, ``lambda``, ``bedrock``, ``appsync``, …).
    """
    lower = {k.lower(): v for k, v in headers.items()}
    fields = parse_authorization(lower.get("authorization", ""))
    if fields is None:
        raise MissingAuthentication(service)
    scope = fields["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise InvalidSignature(
            service, "Authorization header requires a valid Credential (<key>/<date>/<region>/<service>/aws4_request)."
        )
    access_key, day, scope_region, scope_service = scope[:4]
    principal = registry.lookup(access_key)
    if principal is None:
        raise UnrecognizedClient(service)
    if principal.session_token is not None and not hmac.compare_digest(
        lower.get("x-amz-security-token", ""), principal.session_token
    ):
        raise UnrecognizedClient(service)
    if scope_service != service:
        raise InvalidSignature(service, f"Credential should be scoped to correct service: '{service}'. ")
    if scope_region != region:
        raise InvalidSignature(service, f"Credential should be scoped to a valid region, not '{scope_region}'. ")
    amz_date = lower.get("x-amz-date", "")
    try:  # YYYYMMDDTHHMMSSZ (sliced: strptime costs more than the rest of the check)
        if len(amz_date) != 16 or amz_date[8] != "T" or amz_date[15] != "Z":
            raise ValueError(amz_date)
        d, t = amz_date[:8], amz_date[9:15]
        signed_at = datetime.datetime(
            int(d[:4]), int(d[4:6]), int(d[6:]), int(t[:2]), int(t[2:4]), int(t[4:]), tzinfo=datetime.UTC
        )
    except ValueError:
        raise InvalidSignature(
            service, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        ) from None
    if day != amz_date[:8]:
        raise InvalidSignature(
            service,
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{day}' != '{amz_date[:8]}'",
        )
    now = now or datetime.datetime.now(datetime.UTC)
    if abs(now - signed_at) > MAX_SKEW:
        stamp = "%Y%m%dT%H%M%SZ"
        raise InvalidSignature(
            service,
            f"Signature expired: {amz_date} is now earlier than {(now - MAX_SKEW).strftime(stamp)} "
            f"({now.strftime(stamp)} - 15 min.)",
        )
    signed = fields["SignedHeaders"].split(";")
    if "host" not in signed or any(name not in lower for name in signed):
        raise InvalidSignature(service)
    content_hash = lower.get("x-amz-content-sha256")
    if content_hash is not None and content_hash != hashlib.sha256(body).hexdigest():
        raise InvalidSignature(service, "The provided 'x-amz-content-sha256' header does not match what was computed.")

    request = AWSRequest(method=method, url=url, data=body, headers={name: lower[name] for name in signed})
    request.context["timestamp"] = amz_date
    request.context["payload_signing_enabled"] = True  # the body is always part of what is compared
    signer = SigV4Auth(Credentials(principal.access_key_id, principal.secret_access_key), scope_service, scope_region)
    # SigV4Auth drops a few headers from signing (User-Agent, Expect, X-Amzn-Trace-Id): a request
    # that claims to have signed one of them cannot have been signed by an SDK.
    if signer.signed_headers(signer.headers_to_sign(request)) != fields["SignedHeaders"]:
        raise InvalidSignature(service)
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    if not hmac.compare_digest(expected, fields["Signature"]):
        raise InvalidSignature(service)
    return principal


def wsgi_url(environ: Mapping) -> str:
    """The URL a WSGI request was signed for: its Host header and its raw path and query."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not raw:
        from urllib.parse import quote

        raw = quote(environ.get("PATH_INFO", "/"))
        if environ.get("QUERY_STRING"):
            raw += "?" + environ["QUERY_STRING"]
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}{raw}"


def wsgi_headers(environ: Mapping) -> dict[str, str]:
    """A WSGI request's headers, lower-case names."""
    headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    if environ.get("CONTENT_LENGTH"):
        headers["content-length"] = environ["CONTENT_LENGTH"]
    return headers
