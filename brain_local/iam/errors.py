"""The errors AWS gives a request it refuses, in each service's own wire format.

Four refusals: no signature (``MissingAuthenticationToken``), a key nobody issued
(``UnrecognizedClientException``), a signature that does not match (``InvalidSignatureException``,
also for an expired one or the wrong scope), and a call the principal's policy does not allow
(``AccessDeniedException``). Each service names and sends them its own way:

- JSON services (DynamoDB and its Streams, Step Functions, Cognito): HTTP 400,
  ``{"__type": "com.amazon.coral.service#<Code>", "message"}``;
- SQS (JSON with query-protocol compatibility): HTTP 403 and the query code in
  ``x-amzn-query-error`` (``InvalidClientTokenId``, ``SignatureDoesNotMatch``, ``AccessDenied``),
  which botocore reports as the error's code;
- REST services (Lambda, Bedrock runtime): HTTP 403, the code in ``x-amzn-ErrorType``;
- AppSync Events: HTTP 401, ``{"errors": [{"errorType": "UnauthorizedException", "message"}]}``.
"""

from __future__ import annotations

import json

MISSING, UNKNOWN_KEY, BAD_SIGNATURE, DENIED = "missing", "unknown-key", "bad-signature", "denied"

_JSON_CODES = {
    MISSING: "MissingAuthenticationTokenException",
    UNKNOWN_KEY: "UnrecognizedClientException",
    BAD_SIGNATURE: "InvalidSignatureException",
    DENIED: "AccessDeniedException",
}
_QUERY_CODES = {
    MISSING: "MissingAuthenticationToken",
    UNKNOWN_KEY: "InvalidClientTokenId",
    BAD_SIGNATURE: "SignatureDoesNotMatch",
    DENIED: "AccessDenied",
}
#: signing name -> (wire format, HTTP status of a refusal)
_SERVICES = {
    "dynamodb": ("json", 400),
    "states": ("json", 400),
    "cognito-idp": ("json", 400),
    "sqs": ("sqs", 403),
    "lambda": ("rest", 403),
    "bedrock": ("rest", 403),
    "appsync": ("appsync", 401),
}

MESSAGES = {
    MISSING: "Request is missing Authentication Token",
    UNKNOWN_KEY: "The security token included in the request is invalid.",
    BAD_SIGNATURE: "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
}


class AuthError(Exception):
    """A refused request: ``kind`` (one of the four above), the ``service`` (its signing name),
    and what that service answers: ``code``, ``status``, ``message``."""

    kind = ""

    def __init__(self, service: str, message: str | None = None):
        self.service = service
        self.message = message or MESSAGES[self.kind]
        super().__init__(f"{self.code}: {self.message}")

    @property
    def wire(self) -> str:
        return _SERVICES.get(self.service, ("json", 400))[0]

    @property
    def status(self) -> int:
        return _SERVICES.get(self.service, ("json", 403))[1]

    @property
    def code(self) -> str:
        if self.wire == "appsync":
            return "UnauthorizedException"
        if self.wire == "sqs":
            return _QUERY_CODES[self.kind]
        return _JSON_CODES[self.kind]

    def response(self) -> tuple[int, list[tuple[str, str]], bytes]:
        """(HTTP status, headers, body) as the service sends this error."""
        if self.wire == "appsync":
            body = {"errors": [{"errorType": self.code, "message": self.message}]}
            return self.status, [("Content-Type", "application/json")], json.dumps(body).encode()
        if self.wire == "rest":
            headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", self.code)]
            return self.status, headers, json.dumps({"Type": "User", "message": self.message}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.0")]
        if self.wire == "sqs":
            headers.append(("x-amzn-query-error", f"{self.code};Sender"))
        error = {"__type": f"com.amazon.coral.service#{_JSON_CODES[self.kind]}", "message": self.message}
        return self.status, headers, json.dumps(error).encode()

    def wsgi(self, start_response) -> list[bytes]:
        """Answer a WSGI request with this error."""
        from http import HTTPStatus

        status, headers, body = self.response()
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [body]


class MissingAuthentication(AuthError):
    kind = MISSING


class UnrecognizedClient(AuthError):
    """The access key is not one the stack issued (or its session token is not the key's)."""

    kind = UNKNOWN_KEY


class InvalidSignature(AuthError):
    """The signature does not match, has expired, or is scoped to another service or region."""

    kind = BAD_SIGNATURE


class AccessDenied(AuthError):
    """The principal's policy does not allow the call (the message says why, as AWS says it)."""

    kind = DENIED

    def __init__(self, service: str, principal_arn: str, action: str, resource: str, explicit: bool = False):
        self.principal_arn, self.action, self.resource, self.explicit = principal_arn, action, resource, explicit
        why = (
            "with an explicit deny in an identity-based policy"
            if explicit
            else f"because no identity-based policy allows the {action} action"
        )
        super().__init__(
            service, f"User: {principal_arn} is not authorized to perform: {action} on resource: {resource} {why}"
        )
