"""``brain demo``: a short conversation through the full pipeline, with its timings and the
functions' cold starts (``make demo``)."""

from __future__ import annotations

import argparse
import uuid
from pathlib import Path

from brain_local.cli.connect import chatting, connected, stack_running
from brain_local.cli.options import add_client_options, add_stack_options, default_endpoint
from brain_local.cli.printing import TIMING_HEADERS, converse, dim, timing_rows, web_line
from brain_local.cli.text_table import milliseconds, text_table

DEMO_TURNS = (
    "Hello! My name is Ada and I live in Lisbon.",
    "What does it feel like to float in that jar all day?",
    "I love the sea and long walks by the river.",
    "Do you remember my name, and where I live?",
)


def register(sub) -> None:
    p = sub.add_parser("demo", help="a short conversation through the full pipeline, with timings")
    add_client_options(p, "demo")
    add_stack_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    conversation = f"demo-{uuid.uuid4().hex[:8]}"
    with connected(args) as endpoint, chatting(args, endpoint) as client:
        api = (stack_running(endpoint) or {}).get("clientApi") or {}
        print(web_line(api.get("web"), Path(api.get("stateDir", ".brain")) / "ca.pem"))
        if endpoint != default_endpoint(args):
            print(dim("  (this stack lives as long as the demo: `make up` keeps one running for the browser)"))
        print(f"\nA conversation with the brain in a cup ({len(DEMO_TURNS)} turns, {conversation}):\n")
        exchanges = converse(client, DEMO_TURNS, conversation)
        print(
            "Timings (ms): first text and total as this client saw them, from the moment each "
            "message was written;\nper step as each agent measured itself. Turn 1 includes the "
            "functions' cold starts.\n"
        )
        print(text_table(TIMING_HEADERS, timing_rows(exchanges)))
        health = stack_running(endpoint) or {}
        colds = {n.removeprefix("brain-"): f["initMs"] for n, f in health.get("functions", {}).items() if f["initMs"]}
        if colds:
            print(
                "\nCold starts (spawn to handler ready, ms): "
                + ", ".join(f"{n} {'/'.join(milliseconds(v) for v in vs)}" for n, vs in colds.items())
            )
    return 0 if all(e.reply for e in exchanges) else 1
