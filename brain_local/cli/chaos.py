"""``brain chaos``: many messages with faults on, then an audit of the tables and executions;
fails if any message is lost or duplicated (:mod:`brain_local.chaos.campaign`)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, replace

from brain_local.cli.printing import dim
from brain_local.cli.text_table import text_table


def register(sub) -> None:
    p = sub.add_parser("chaos", help="many messages with faults on; fails if any is lost or duplicated")
    p.add_argument("-n", type=int, default=200, help="messages (default 200)")
    p.add_argument("--conversations", type=int, default=20, help="conversations, in parallel (default 20)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--faults", help="a fault plan JSON file (default: every fault at the rates shown)")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from brain_local.chaos.campaign import DEFAULT_PLAN, run_chaos
    from brain_local.chaos.faults import FaultPlan

    plan = FaultPlan.load(args.faults) if args.faults else DEFAULT_PLAN
    plan = replace(plan, seed=args.seed)
    print(f"chaos: {args.n} messages across {args.conversations} conversations, seed {plan.seed}", file=sys.stderr)
    print(dim("faults: " + json.dumps(plan.to_dict())), file=sys.stderr)

    def progress(started: int, total: int) -> None:
        print(f"\r  {started} executions started for {total} messages", end="", file=sys.stderr, flush=True)

    report = run_chaos(args.n, args.conversations, plan, progress=progress)
    print(file=sys.stderr)
    if args.json:
        print(json.dumps({**asdict(report), "ok": report.ok}))
        return 0 if report.ok else 1
    print(text_table(["", "count"], [[name, value] for name, value in report.rows()]))
    if report.fallback_causes:
        print(dim("fallbacks caught after: " + json.dumps(report.fallback_causes)))
    print(dim("injected: " + json.dumps(report.faults)))
    if not report.ok:
        print(
            f"FAIL: {report.lost} lost, {report.duplicated} duplicated; lost: {report.lost_ids[:10]}", file=sys.stderr
        )
        return 1
    print("OK: every message got exactly one reply.")
    return 0
