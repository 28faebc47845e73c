"""The credentials the offline stack issues, and whose they are.

As in an AWS account: an administrator with long-term keys (``offline`` / ``offline``, the ones
the README's boto3 and AWS CLI examples use), and one role per function, one for the pipe and one
for the state machine, each with temporary credentials (an ``ASIA…`` access key, a secret and a
session token) as Lambda, EventBridge Pipes and Step Functions get them when they assume the
role. The role credentials are random, issued once per stack start: nobody outside the stack can
sign as a role, and a key nobody issued is refused (:mod:`brain_local.iam.sigv4`).
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field

from brain_core.config import FUNCTIONS, Settings

#: The administrator's long-term keys (README: the trusted backend's boto3 and AWS CLI examples).
ADMIN_ACCESS_KEY_ID = "offline"
ADMIN_SECRET_ACCESS_KEY = "offline"
#: The roles other than the functions': their keys in :attr:`CredentialsRegistry.roles`.
PIPE = "pipe"
STATE_MACHINE = "state_machine"

_KEY_ALPHABET = string.ascii_uppercase + "234567"


@dataclass(frozen=True)
class Principal:
    """Who signed a request: the administrator, or a role's session.

    ``key`` names the role in the stack (an agent of :data:`brain_core.config.FUNCTIONS`,
    :data:`PIPE`, :data:`STATE_MACHINE`) or is ``"administrator"``; ``arn`` is what AWS names in an
    AccessDenied message (``arn:aws:sts::<account>:assumed-role/<role>/<session>``).
    """

    key: str
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)
    arn: str = ""
    role_name: str | None = None
    session_name: str | None = None

    @property
    def is_administrator(self) -> bool:
        return self.role_name is None

    def environment(self) -> dict[str, str]:
        """The variables an AWS SDK reads them from (Lambda sets these from the execution role)."""
        env = {"AWS_ACCESS_KEY_ID": self.access_key_id, "AWS_SECRET_ACCESS_KEY": self.secret_access_key}
        if self.session_token:
            env["AWS_SESSION_TOKEN"] = self.session_token
        return env

    def client_kwargs(self) -> dict[str, str | None]:
        """``boto3.client(..., **principal.client_kwargs())``."""
        return {
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
            "aws_session_token": self.session_token,
        }


def administrator(account: str) -> Principal:
    return Principal(
        key="administrator",
        access_key_id=ADMIN_ACCESS_KEY_ID,
        secret_access_key=ADMIN_SECRET_ACCESS_KEY,
        arn=f"arn:aws:iam::{account}:user/{ADMIN_ACCESS_KEY_ID}",
    )


def role_name(settings: Settings, key: str) -> str:
    """The offline name of a role (CloudFormation would add a suffix of its own)."""
    return f"{settings.app_name}-{key.replace('_', '-')}-role"


def session_name(settings: Settings, key: str) -> str:
    """The session a service opens on the role: Lambda names it after the function."""
    if key in FUNCTIONS:
        return settings.function_name(key)
    if key == PIPE:
        return f"{settings.app_name}-messages-pipe"
    return settings.state_machine_name


class CredentialsRegistry:
    """Every credential pair the stack knows, by access key id.

    ``CredentialsRegistry.issue(settings, account)``: the administrator plus fresh temporary
    credentials for each role; :meth:`lookup` finds a key's principal (None: nobody issued it).
    """

    def __init__(self, principals: list[Principal]):
        self._by_key = {p.access_key_id: p for p in principals}
        self.roles = {p.key: p for p in principals if not p.is_administrator}
        (self.administrator,) = [p for p in principals if p.is_administrator]

    @classmethod
    def issue(cls, settings: Settings, account: str) -> CredentialsRegistry:
        roles = [cls._role(settings, account, key) for key in (*FUNCTIONS, PIPE, STATE_MACHINE)]
        return cls([administrator(account), *roles])

    @classmethod
    def administrator_only(cls, account: str) -> CredentialsRegistry:
        """Only the administrator (a process told the roles' credentials later)."""
        return cls([administrator(account)])

    @staticmethod
    def _role(settings: Settings, account: str, key: str) -> Principal:
        name, session = role_name(settings, key), session_name(settings, key)
        return Principal(
            key=key,
            access_key_id="ASIA" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16)),
            secret_access_key=secrets.token_urlsafe(30),
            session_token=secrets.token_urlsafe(96),
            arn=f"arn:aws:sts::{account}:assumed-role/{name}/{session}",
            role_name=name,
            session_name=session,
        )

    def lookup(self, access_key_id: str) -> Principal | None:
        return self._by_key.get(access_key_id)

    def role(self, key: str) -> Principal:
        """A role's principal: an agent (``"depth"``), :data:`PIPE` or :data:`STATE_MACHINE`."""
        return self.roles[key]

    def to_json(self) -> list[dict]:
        """Every principal with its secrets (for the DynamoDB process; never logged)."""
        return [
            {
                "key": p.key,
                "access_key_id": p.access_key_id,
                "secret_access_key": p.secret_access_key,
                "session_token": p.session_token,
                "arn": p.arn,
                "role_name": p.role_name,
                "session_name": p.session_name,
            }
            for p in self._by_key.values()
        ]

    @classmethod
    def from_json(cls, data: list[dict]) -> CredentialsRegistry:
        return cls([Principal(**item) for item in data])
