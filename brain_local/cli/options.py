"""The options the commands share, each defined once: its default is :class:`OfflineStackOptions`'
(or the settings'), optionally overridden by a ``BRAIN_*`` environment variable, never restated.

:func:`stack_options` turns parsed arguments back into the :class:`OfflineStackOptions` a stack
starts with; :func:`offline_client` is the boto3 client a command uses on a stack's endpoint
(the region from the settings).
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from dataclasses import replace
from pathlib import Path

from brain_core.config import SETTINGS
from brain_local.cli import exposure
from brain_local.stack.model_choice import MODELS
from brain_local.stack.options import REPO_ROOT, OfflineStackOptions

#: The offline stack's defaults, which are the CLI's.
DEFAULTS = OfflineStackOptions()
LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "debug", "info", "warning", "error"]


def _env(name: str, default, kind=str):
    value = os.environ.get(name)
    return default if value is None or value == "" else kind(value)


def _shown(path: Path | None) -> str:
    """A default path as the help shows it: relative to the repository."""
    if path is None:
        return "none"
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def add_endpoint_options(p: argparse.ArgumentParser, endpoint: bool = True) -> None:
    """Where the stack listens (``up``) or is found (every other command)."""
    p.add_argument("--host", default=DEFAULTS.host)
    p.add_argument("--port", type=int, default=_env("BRAIN_PORT", DEFAULTS.port, int))
    if endpoint:
        p.add_argument(
            "--endpoint",
            default=os.environ.get("BRAIN_ENDPOINT"),
            help="a running stack's endpoint (default: http://HOST:PORT)",
        )


def add_stack_options(p: argparse.ArgumentParser, endpoint: bool = True) -> None:
    """What a stack is started with: by ``up``, or by a command that finds none running."""
    add_endpoint_options(p, endpoint)
    p.add_argument(
        "--model",
        default=_env("BRAIN_MODEL", DEFAULTS.model),
        choices=MODELS,
        help="model behind the local Bedrock endpoint: scripted (a test double, the default) "
        "or smollm2 (SmolLM2-135M on the CPU; scripts/install-local-model.sh installs it, "
        "and without it the scripted model stands in)",
    )
    p.add_argument(
        "--model-client",
        default=_env("BRAIN_MODEL_CLIENT", DEFAULTS.model_client),
        choices=["boto3", "langchain"],
        help="the language agent's model client",
    )
    p.add_argument(
        "--ttft-ms",
        type=float,
        default=_env("BRAIN_TTFT_MS", DEFAULTS.ttft_ms, float),
        help=f"scripted model: time to first token (default {DEFAULTS.ttft_ms:.0f})",
    )
    p.add_argument(
        "--tokens-per-second",
        type=float,
        default=_env("BRAIN_TPS", DEFAULTS.tokens_per_second, float),
        help=f"scripted model: tokens per second (default {DEFAULTS.tokens_per_second:.0f})",
    )
    p.add_argument(
        "--reply-tokens",
        type=int,
        default=_env("BRAIN_REPLY_TOKENS", DEFAULTS.reply_tokens, int),
        help=f"scripted model: about how many tokens a reply has (default {DEFAULTS.reply_tokens})",
    )
    p.add_argument(
        "--insight-ttft-ms",
        type=float,
        default=DEFAULTS.insight_ttft_ms,
        help="the scripted double behind insight_model_id: time to first token "
        f"(default {DEFAULTS.insight_ttft_ms:.0f}: a small fast model on Bedrock)",
    )
    p.add_argument(
        "--insight-tokens-per-second",
        type=float,
        default=DEFAULTS.insight_tokens_per_second,
        help=f"the same double: tokens per second (default {DEFAULTS.insight_tokens_per_second:.0f})",
    )
    p.add_argument(
        "--log-level",
        default=_env("BRAIN_LOG_LEVEL", DEFAULTS.settings.log_level),
        choices=LOG_LEVELS,
        help=f"the functions' log level (default {DEFAULTS.settings.log_level}: no message content; DEBUG logs it)",
    )
    add_exposure_options(p)


def add_exposure_options(p: argparse.ArgumentParser) -> None:
    """Who may reach the stack and how much one user may post (brain_local/cli/exposure.py says why)."""
    p.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host that is not loopback (the stack then serves anyone who can reach it)",
    )
    p.add_argument(
        "--cors-origin",
        dest="cors_origins",
        action="append",
        metavar="ORIGIN",
        help="an origin (https://host:port) whose pages may call the front door (repeatable; default: "
        "its own origin only)",
    )
    p.add_argument(
        "--messages-per-minute",
        type=int,
        default=DEFAULTS.settings.messages_per_minute,
        help=f"messages one user may post per minute (default {DEFAULTS.settings.messages_per_minute}, "
        "as on AWS; 0: no limit)",
    )
    p.add_argument(
        "--messages-per-day",
        type=int,
        default=DEFAULTS.settings.messages_per_day,
        help=f"messages one user may post per day (default {DEFAULTS.settings.messages_per_day}, "
        "as on AWS; 0: no limit)",
    )


def add_up_options(p: argparse.ArgumentParser) -> None:
    """What only ``brain up`` sets: the stack's own directories, ports, users and faults."""
    add_stack_options(p, endpoint=False)
    p.add_argument(
        "--warm", type=int, default=DEFAULTS.warm, help="execution environments to start per function up front"
    )
    p.add_argument(
        "--faults", help="a fault plan JSON file: inject failures on purpose (see brain_local/chaos/faults.py)"
    )
    p.add_argument("--log-dir", help=f"where the functions' logs go (default {_shown(DEFAULTS.log_dir)})")
    p.add_argument(
        "--state-dir",
        help="where config.json (aws-amplify), ca.pem and users.json are written "
        f"(default {_shown(DEFAULTS.state_dir)})",
    )
    p.add_argument(
        "--tls-port",
        type=int,
        default=_env("BRAIN_TLS_PORT", DEFAULTS.tls_port, int),
        help="the client API's TLS front door (default: --port + 1; 0: any free port)",
    )
    p.add_argument(
        "--web-dir", help=f"the web chat to serve at the front door's / (default {_shown(DEFAULTS.static_dir)})"
    )
    p.add_argument(
        "--user",
        dest="user_specs",
        action="append",
        metavar="NAME:PASSWORD",
        help="an offline user (repeatable; default: ada and bob with a password printed at start)",
    )
    p.add_argument(
        "--data-dir",
        default=_env("BRAIN_DATA_DIR", DEFAULTS.data_dir, Path),
        help="keep the tables here across restarts (a crash loses at most the last second); default: in memory",
    )
    p.add_argument(
        "--no-iam",
        dest="iam",
        action="store_false",
        help="do not evaluate each call against its caller's CDK policy (signatures are still verified)",
    )


def add_client_options(p: argparse.ArgumentParser, owner_default: str) -> None:
    """Who talks (``send``, ``chat``, ``demo``): a signed-in user, or a backend's boto3 client."""
    p.add_argument("--user", default=_env("BRAIN_USER", "ada"), help="sign in as (default ada)")
    p.add_argument("--password", help="the user's password (default: the stack's users.json)")
    p.add_argument(
        "--via",
        choices=["api", "boto3"],
        default="api",
        help="api: as a signed-in user through the client API (default); boto3: write the item "
        "and poll DynamoDB, as a trusted backend",
    )
    p.add_argument("--owner", default=owner_default, help="with --via boto3: the owner written into the item")


def add_conversation_options(p: argparse.ArgumentParser, owner_default: str | None = None) -> None:
    """``send`` and ``chat``: a conversation (``--conversation``, default a new one) with a stack
    (the stack options), as a user (the client options; ``--owner`` defaults to $USER)."""
    p.add_argument("--conversation", help="conversation id (default: a new one)")
    add_client_options(p, owner_default or os.environ.get("USER", "me"))
    add_stack_options(p)


def conversation_id(args: argparse.Namespace) -> str:
    """``--conversation``, or a new id."""
    return args.conversation or f"c-{uuid.uuid4().hex[:12]}"


def _model(requested: str) -> str:
    """The model to start: ``smollm2`` only where it is installed, else the scripted one, said plainly."""
    if requested == "smollm2":
        from brain_local.models.smollm2_loading import available

        ok, why = available(load=False)
        if not ok:
            print(
                f"The local model (smollm2) is not available: {why}.\nUsing the scripted model instead.",
                file=sys.stderr,
            )
            return "scripted"
    return requested


def stack_options(args: argparse.Namespace) -> OfflineStackOptions:
    """The parsed arguments as the options a stack starts with (unset ones: the defaults)."""
    from brain_local.cognito.identity import parse_user

    warning = exposure.check_host(args.host, args.port, getattr(args, "allow_remote", False))
    if warning:
        print(warning, file=sys.stderr, flush=True)
    options = OfflineStackOptions(
        host=args.host,
        port=args.port,
        model=_model(args.model),
        ttft_ms=args.ttft_ms,
        tokens_per_second=args.tokens_per_second,
        reply_tokens=args.reply_tokens,
        insight_ttft_ms=args.insight_ttft_ms,
        insight_tokens_per_second=args.insight_tokens_per_second,
        model_client=args.model_client,
        warm=getattr(args, "warm", DEFAULTS.warm),
        settings=exposure.settings_from(args, replace(SETTINGS, log_level=args.log_level.upper())),
        data_dir=Path(args.data_dir) if getattr(args, "data_dir", None) else None,
    )
    if getattr(args, "log_dir", None):
        options.log_dir = Path(args.log_dir)
    if getattr(args, "state_dir", None):
        options.state_dir = Path(args.state_dir)
    if getattr(args, "tls_port", None) is not None:
        options.tls_port = args.tls_port
    if getattr(args, "web_dir", None):
        options.static_dir = Path(args.web_dir)
    options.iam = getattr(args, "iam", True)
    options.users = [parse_user(spec) for spec in getattr(args, "user_specs", None) or []]
    return options


def default_endpoint(args: argparse.Namespace) -> str:
    """``--endpoint``, or the stack's at ``--host``/``--port``."""
    return args.endpoint or f"http://{args.host}:{args.port}"


def offline_client(service: str, endpoint: str, region: str = SETTINGS.region):
    """A boto3 client on a stack's endpoint, with the offline stack's credentials."""
    import boto3

    return boto3.client(  # type: ignore[call-overload]  # boto3-stubs type a client by a literal name
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="offline",
        aws_secret_access_key="offline",
    )
