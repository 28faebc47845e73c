"""What the offline stack exposes, and to whom: what ``--host``, ``--allow-remote``, ``--cors-origin``
and the per-user message limits (``--messages-per-minute``, ``--messages-per-day``) mean (the
options themselves are defined in :mod:`brain_local.cli.options`, with the others).

The offline stack is a developer's emulator: its plain endpoint takes the well-known
administrator keys (``offline``/``offline``) for every service, its users have printed
passwords, and its state directory holds their tokens' signing key. So it listens on loopback
unless told otherwise, twice: ``--host`` naming another address is refused unless
``--allow-remote`` is given too, and then a warning says what anyone who can reach that address
can do. Cross-origin pages get CORS only from the origins named with ``--cors-origin``.
"""

from __future__ import annotations

import argparse
import ipaddress
from dataclasses import replace

from brain_core.config import Settings


class RemoteHostRefused(SystemExit):
    """``--host`` is not a loopback address and ``--allow-remote`` was not given."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def exposure_warning(host: str, port: int) -> str:
    return (
        f"WARNING: the offline stack listens on {host} (not loopback): anyone who can reach {host}:{port} "
        "can call every AWS service it emulates (DynamoDB, SQS, Step Functions, Lambda, Bedrock, Cognito) "
        "with the administrator keys offline/offline, read and write every conversation, and sign in as "
        "the offline users, whose passwords are printed and kept in users.json. Use it on a network you trust."
    )


def check_host(host: str, port: int, allow_remote: bool) -> str | None:
    """None for loopback; the warning to print when another address is allowed; refused otherwise."""
    if is_loopback(host):
        return None
    if not allow_remote:
        raise RemoteHostRefused(
            f"--host {host} would expose the offline stack beyond this machine (administrator keys "
            "offline/offline, printed passwords): give --allow-remote as well if that is what you want"
        )
    return exposure_warning(host, port)


def settings_from(args: argparse.Namespace, settings: Settings) -> Settings:
    """``settings`` with what these arguments say (the CDK context says the same on AWS)."""
    for origin in getattr(args, "cors_origins", None) or ():
        if not origin.startswith(("https://", "http://")) or origin.rstrip("/") != origin:
            raise SystemExit(f"--cors-origin {origin!r}: expected an origin such as https://localhost:5173")
    api = replace(
        settings.client_api,
        cors_origins=tuple(getattr(args, "cors_origins", None) or settings.client_api.cors_origins),
    )
    return replace(
        settings,
        client_api=api,
        messages_per_minute=getattr(args, "messages_per_minute", settings.messages_per_minute),
        messages_per_day=getattr(args, "messages_per_day", settings.messages_per_day),
    )
