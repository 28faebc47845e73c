"""Offline identity: a Cognito user pool in moto, its users, and verification of its tokens.

``brain up`` creates the pool and an app client (USER_PASSWORD_AUTH and SRP allowed, as the CDK
stack's client; moto's SRP does not work, so offline clients sign in with USER_PASSWORD_AUTH,
docs/design.md §8) and the users given as ``--user NAME:PASSWORD``, or ``ada`` and ``bob`` with
:data:`DEFAULT_PASSWORD`. Pool and client are made from the same settings as the CDK stack's
(``ClientApiSettings``: no self sign-up, the password policy, the token lifetimes). Their
passwords are kept in ``.brain/users.json`` (owner-readable
only) so ``brain send --user ada`` can sign in without asking; these are throw-away users of a
local emulator, never an AWS account's.

:class:`TokenVerifier` checks a token the way API Gateway's JWT authorizer and AppSync's Cognito
authorization do: an RS256 signature by one of the pool's keys (its JWKS, fetched like any
verifier fetches ``<issuer>/.well-known/jwks.json``; offline, the stack's own key,
:mod:`brain_local.cognito.token_key`, and nothing else), the pool as issuer, not expired, an access
token whose ``client_id`` or an ID token whose ``aud`` is the app client. PyJWT does the checking.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from brain_core.config import ClientApiSettings

DEFAULT_USERS = ("ada", "bob")
#: The offline users' password unless ``--user NAME:PASSWORD`` says otherwise (printed by ``brain up``).
DEFAULT_PASSWORD = "Brain-in-a-jar-1"  # fits the policy: upper, lower, digit, symbol


def password_policy(api: ClientApiSettings) -> dict:
    """Cognito's password policy: the same in CDK and in moto (which enforces it)."""
    return {
        "MinimumLength": api.password_min_length,
        "RequireUppercase": api.password_require_uppercase,
        "RequireLowercase": api.password_require_lowercase,
        "RequireNumbers": api.password_require_digits,
        "RequireSymbols": api.password_require_symbols,
    }


#: The app client's sign-in flows, as the CDK stack's client allows them.
AUTH_FLOWS = ("ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH")


@dataclass(frozen=True)
class UserPool:
    pool_id: str
    client_id: str
    region: str

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.pool_id}"


def create_user_pool(cognito, api: ClientApiSettings, region: str) -> UserPool:
    pool = cognito.create_user_pool(
        PoolName=api.user_pool_name,
        Policies={"PasswordPolicy": password_policy(api)},
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": not api.self_sign_up},
        MfaConfiguration="OFF",
    )["UserPool"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName=api.user_pool_client_name,
        GenerateSecret=False,  # a browser cannot keep a secret
        ExplicitAuthFlows=list(AUTH_FLOWS),
        PreventUserExistenceErrors="ENABLED",
        EnableTokenRevocation=True,
        AccessTokenValidity=api.access_token_minutes,
        IdTokenValidity=api.id_token_minutes,
        RefreshTokenValidity=api.refresh_token_days,
        TokenValidityUnits={"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
    )["UserPoolClient"]
    return UserPool(pool_id=pool["Id"], client_id=client["ClientId"], region=region)


def token_lifetimes(api: ClientApiSettings) -> dict[str, int]:
    """Seconds each kind of token (its ``token_use``) lives, as the app client says."""
    return {"access": api.access_token_minutes * 60, "id": api.id_token_minutes * 60}


def add_user(cognito, pool: UserPool, name: str, password: str) -> str:
    """Create a confirmed user with a permanent password; returns its ``sub``."""
    cognito.admin_create_user(UserPoolId=pool.pool_id, Username=name, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool.pool_id, Username=name, Password=password, Permanent=True)
    attributes = cognito.admin_get_user(UserPoolId=pool.pool_id, Username=name)["UserAttributes"]
    return next(a["Value"] for a in attributes if a["Name"] == "sub")


def parse_user(spec: str) -> tuple[str, str]:
    """``NAME:PASSWORD`` (as ``--user`` takes it)."""
    name, sep, password = spec.partition(":")
    if not sep or not name or not password:
        raise ValueError(f"--user {spec!r}: expected NAME:PASSWORD")
    return name, password


class UsersFile:
    """``.brain/users.json``: the offline users' names and passwords, for the CLI's sign-in."""

    def __init__(self, path: Path):
        self.path = path

    def read(self) -> dict[str, str]:
        try:
            return dict(json.loads(self.path.read_text()))
        except (OSError, ValueError):
            return {}

    def write(self, users: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch(mode=0o600)
        os.chmod(self.path, 0o600)
        self.path.write_text(json.dumps(users, indent=2))

    def add(self, name: str, password: str) -> None:
        self.write({**self.read(), name: password})


class InvalidToken(Exception):
    """The token is missing, malformed, not signed by the pool, expired, or for another client."""


class TokenVerifier:
    """``jwks`` is the pool's key set, or a function that fetches it: called on first use (the
    stack's endpoint that serves it may not be listening yet when the verifier is made)."""

    def __init__(self, jwks: dict | Callable[[], dict], pool: UserPool, leeway_seconds: int = 5):
        self._jwks = jwks
        self._keys: dict | None = None
        self.pool = pool
        self._leeway = leeway_seconds

    def keys(self) -> dict:
        if self._keys is None:
            import jwt

            jwks = self._jwks() if callable(self._jwks) else self._jwks
            self._keys = {key.key_id: key for key in jwt.PyJWKSet.from_dict(jwks).keys}
        return self._keys

    def verify(self, token: object) -> dict:
        """The token's claims, or :class:`InvalidToken` saying why not."""
        import jwt

        if not token:
            raise InvalidToken("no token")
        if not isinstance(token, str):
            raise InvalidToken("the token is not a string")
        token = token.removeprefix("Bearer ").strip()
        try:
            key = self.keys().get(jwt.get_unverified_header(token).get("kid"))
            if key is None:
                raise InvalidToken("signed by a key the pool does not have")
            claims = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                issuer=self.pool.issuer,
                leeway=self._leeway,
                options={"verify_aud": False, "require": ["exp", "iss", "sub", "token_use"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        use = claims.get("token_use")
        client = claims.get("client_id") if use == "access" else claims.get("aud") if use == "id" else None
        if client != self.pool.client_id:
            raise InvalidToken(f"a {use} token for another client")
        return claims


def amplify_config(pool: UserPool, front_door: str) -> dict:
    """The aws-amplify v6 configuration of the offline stack: ``Amplify.configure()`` takes it
    unchanged (the CDK stack outputs the same shape, without ``userPoolEndpoint``)."""
    return {
        "Auth": {
            "Cognito": {
                "userPoolId": pool.pool_id,
                "userPoolClientId": pool.client_id,
                "userPoolEndpoint": front_door,
                "loginWith": {"username": True},
            }
        },
        "API": {
            "Events": {"endpoint": f"{front_door}/event", "region": pool.region, "defaultAuthMode": "userPool"},
            "REST": {"brain": {"endpoint": f"{front_door}/api", "region": pool.region}},
        },
    }
