"""``brain``: run the offline stack and talk to the brain.

    brain up                     start the offline stack in the foreground
    brain send TEXT [--json]     one message, the reply streamed, inner life and timings
    brain chat                   an interactive conversation
    brain runs                   recent executions with each state's duration
    brain demo                   a short conversation through the full pipeline
    brain user add NAME PASSWORD a user for a running stack
    brain chaos [-n N]           many messages with faults on, then an audit: none lost or duplicated

``send``, ``chat`` and ``demo`` talk as a signed-in user (``--user``, default ada) through the
client API: the HTTP API and the pushed stream, as a chat app does. ``--via boto3`` writes the
item and follows the reply in DynamoDB instead: the backend-to-backend path (any ``--owner``).

``--model smollm2`` puts a real small language model (SmolLM2-135M-Instruct, on the CPU) behind
the local Bedrock endpoint instead of the scripted test double.

``send``, ``chat``, ``runs`` and ``demo`` use the stack at ``--endpoint`` when one is running
there, and otherwise start one in this process for the duration of the command.
"""

# One module per command (each registers its parser and runs it); the options they share are
# defined once in brain_local.cli.options, what they print in brain_local.cli.printing.

from __future__ import annotations

import argparse
import logging

from brain_local.cli import chaos, chat, demo, runs, send, up, user

#: In the order ``brain --help`` lists them.
COMMANDS = (up, send, chat, user, runs, chaos, demo)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="brain", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command != "up":
        logging.basicConfig(level=logging.WARNING)
        logging.getLogger("brain").setLevel(logging.ERROR)
    return args.func(args)
