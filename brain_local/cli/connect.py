"""How a command reaches a stack: the one running at ``--endpoint``, or one started in this
process for the duration of the command; and the client it talks through."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from brain_local.cli.options import default_endpoint, stack_options
from brain_local.cli.printing import dim


def stack_running(endpoint: str) -> dict | None:
    """The health of the stack at ``endpoint`` (ready or not), or None if nothing answers there."""
    try:
        with urllib.request.urlopen(f"{endpoint}/brain/health", timeout=0.5) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:  # 503: a stack that is there but not well
        try:
            health = json.load(error)
        except ValueError:
            return None
        problems = "; ".join(health.get("problems", []))
        print(f"warning: the stack at {endpoint} is {health.get('status')}: {problems}", file=sys.stderr)
        return health
    except (OSError, ValueError):
        return None


@contextmanager
def connected(args: argparse.Namespace) -> Iterator[str]:
    """The endpoint of a running stack, or of one started here for the duration."""
    from brain_local.stack.lifecycle import OfflineStack

    endpoint = default_endpoint(args)
    if stack_running(endpoint):
        yield endpoint
        return
    options = stack_options(args)
    if args.endpoint is None:
        options.port = 0  # nothing is running on the default port: any free port will do
        options.tls_port = 0
    print(dim(f"(no stack at {endpoint}: starting one in this process, model {options.model})"), file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="brain-") as state:
        options.state_dir = Path(state)  # this stack's own config and CA, gone with it
        with OfflineStack(options) as stack:
            yield stack.options.endpoint


@contextmanager
def chatting(args: argparse.Namespace, endpoint: str):
    """The client ``send``/``chat``/``demo`` talk through: signed in on the client API, or the
    boto3 path (``--via boto3``)."""
    from botocore.exceptions import ClientError

    from brain_local.clients.api_client import BackendChat, SignedInClient, for_running_stack

    client: BackendChat | SignedInClient
    if args.via == "boto3":
        client = BackendChat(endpoint, args.owner)
    else:
        try:
            client = for_running_stack(stack_running(endpoint) or {}, args.user, args.password)
        except (ValueError, KeyError, ClientError) as exc:
            raise SystemExit(f"cannot sign in as {args.user}: {exc}") from None
    try:
        yield client
    finally:
        client.close()
