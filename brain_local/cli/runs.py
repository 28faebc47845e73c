"""``brain runs``: the recent executions of the state machine, with each state's duration."""

from __future__ import annotations

import argparse

from brain_local.cli.connect import connected
from brain_local.cli.options import add_stack_options, offline_client
from brain_local.cli.text_table import milliseconds, text_table


def register(sub) -> None:
    p = sub.add_parser("runs", help="recent executions and each state's duration")
    p.add_argument("--limit", type=int, default=10)
    add_stack_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from brain_core import workflow
    from brain_core.config import SETTINGS
    from brain_local.stack.options import ACCOUNT
    from brain_local.stepfunctions.runs import recent_runs

    with connected(args) as endpoint:
        sfn = offline_client("stepfunctions", endpoint)
        arn = f"arn:aws:states:{SETTINGS.region}:{ACCOUNT}:stateMachine:{SETTINGS.state_machine_name}"
        runs = recent_runs(sfn, arn, args.limit)
        names = [state.name for state in workflow.states() if state.runs_code]
        print(
            text_table(
                ["execution", "status", "total"] + names,
                [
                    [r.name, r.status, milliseconds(r.total_ms)] + [milliseconds(r.states.get(n)) for n in names]
                    for r in runs
                ],
            )
        )
        if not runs:
            print("(no executions yet: send a message first)")
    return 0
