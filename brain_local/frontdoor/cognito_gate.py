"""Which Cognito operations the front door passes on, and on what authority (as Cognito decides).

Cognito's user-pool API has two kinds of operation. The *public* ones are what a browser calls
with no AWS credentials: sign-in and its challenges, token refresh and revocation, and what a
signed-in user does with their own access token (GetUser, ChangePassword, GlobalSignOut, ...).
Every other operation (Admin*, List*, Create*, Describe*, Update/Delete of pools and clients)
is an AWS API call that Cognito authorises by SigV4 and IAM: without a signature it answers
``MissingAuthenticationTokenException``, with a key nobody issued ``UnrecognizedClientException``,
with a wrong signature ``InvalidSignatureException``.

The front door forwards a public operation as it came; any other only when ``authorize`` (the
offline endpoint's SigV4 verifier, asked whether the signer is the account's administrator)
says so, and otherwise answers with the refusal Cognito gives. ``SignUp`` is public and is
refused by the pool itself when self sign-up is off (moto_departures: as Cognito refuses it).

The list is Cognito's own: its API model as botocore ships it marks each public operation
(``authtype: none``), the very model every AWS SDK signs by (brain_local.iam's endpoint check
reads the same marks).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from brain_local.iam import AccessDenied, AuthError, CredentialsRegistry, MissingAuthentication, verify_request
from brain_local.iam.credentials import ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY

TARGET_PREFIX = "AWSCognitoIdentityProviderService."


def _public_operations() -> frozenset[str]:
    """The operations Cognito's own API model marks as called without AWS credentials (botocore's
    ``authtype: none`` / ``smithy.api#noAuth``: what every AWS SDK sends unsigned)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("cognito-idp")
    found = set()
    for name in model.operation_names:
        operation_model = model.operation_model(name)
        if operation_model.auth_type == "none" or "smithy.api#noAuth" in (operation_model.auth or []):
            found.add(name)
    return frozenset(found)


#: What a client may call without AWS credentials (unauthenticated, or by the user's own token).
PUBLIC_OPERATIONS = _public_operations()

#: ``authorize(method, url, headers, body)`` returns nothing when the request is signed by the
#: administrator, and raises the refusal otherwise (a :class:`brain_local.iam.AuthError`).
Authorize = Callable[[str, str, Mapping[str, str], bytes], object]


def administrator_only(registry: CredentialsRegistry, region: str, account: str) -> Authorize:
    """An :data:`Authorize` that accepts the administrator's signature alone: a function's role
    signing a Cognito admin call is denied (no function's policy grants ``cognito-idp:*``)."""

    def authorize(method: str, url: str, headers: Mapping[str, str], body: bytes) -> None:
        principal = verify_request(registry, method, url, headers, body, service="cognito-idp", region=region)
        if not principal.is_administrator:
            name = operation({k.lower(): v for k, v in headers.items()}.get("x-amz-target", "")) or "*"
            raise AccessDenied(
                "cognito-idp",
                principal.arn,
                f"cognito-idp:{name}",
                f"arn:aws:cognito-idp:{region}:{account}:userpool/*",
            )

    return authorize


def operation(target: str) -> str | None:
    """``AWSCognitoIdentityProviderService.InitiateAuth`` -> ``InitiateAuth`` (None: not Cognito's)."""
    if not target.startswith(TARGET_PREFIX):
        return None
    return target[len(TARGET_PREFIX) :]


def is_public(name: str) -> bool:
    return name in PUBLIC_OPERATIONS


def refusal(authorize: Authorize | None, method: str, url: str, headers: Mapping[str, str], body: bytes):
    """None when ``headers`` carry the administrator's signature; else (status, headers, body) of
    Cognito's refusal."""
    if authorize is None:  # no verifier: nothing signed can be trusted, so nothing non-public passes
        return MissingAuthentication("cognito-idp").response()
    try:
        authorize(method, url, headers, body)
    except AuthError as refused:
        return refused.response()
    return None


def signed_as_administrator(url: str, headers: dict[str, str], body: bytes, region: str) -> dict[str, str]:
    """``headers`` signed (SigV4) with the administrator's keys: how the front door forwards an
    operation it has already found signed by the administrator (the forward's host differs
    from the one the caller signed for, so the caller's own signature cannot travel with it)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    credentials = Credentials(ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY)
    SigV4Auth(credentials, "cognito-idp", region).add_auth(request)
    return dict(request.headers.items())
