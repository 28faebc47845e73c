"""``brain up``: start the offline stack in the foreground, say where everything is, and say at
once when it stops being ready."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading

from brain_local.cli.options import add_up_options, stack_options
from brain_local.cli.printing import web_line


def register(sub) -> None:
    p = sub.add_parser("up", help="start the offline stack in the foreground")
    add_up_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("moto").setLevel(logging.WARNING)
    logging.getLogger("botocore").setLevel(logging.WARNING)
    from brain_local.chaos.faults import FaultPlan
    from brain_local.stack.lifecycle import OfflineStack

    faults = FaultPlan.load(args.faults) if args.faults else None
    stack = OfflineStack(stack_options(args), faults=faults).start()
    endpoint = stack.options.endpoint
    model = stack.backend.model_id if stack.backend else None
    print(f"Brain in Cup offline stack on {endpoint}  (model: {model}): ready")
    if faults:
        print(f"  injecting faults: {json.dumps(faults.to_dict())}")
    print(
        f"  export AWS_ENDPOINT_URL={endpoint} AWS_REGION={stack.settings.region} "
        f"AWS_DEFAULT_REGION={stack.settings.region} AWS_ACCESS_KEY_ID=offline AWS_SECRET_ACCESS_KEY=offline\n"
        f"  (an older AWS CLI ignores AWS_ENDPOINT_URL: give it --endpoint-url {endpoint})"
    )
    print(
        f"  tables: {stack.settings.messages_table}, {stack.settings.chunks_table};  "
        f"state machine: {stack.state_machine_arn}"
    )
    api = stack.client_api
    assert api is not None, "brain up always starts the client API"
    print(f"  client API (TLS, trust {api.ca_file}): {api.url}")
    print(f"    HTTP API {api.url}/api   Events {api.url}/event   Cognito {api.url}")
    print(f"    user pool {api.user_pool.pool_id}, app client {api.user_pool.client_id}")
    print(f"    users: {', '.join(f'{name} (password {password})' for name, password in api.users.items())}")
    print(f"    aws-amplify configuration: {stack.options.state_dir / 'config.json'}")
    if stack.options.data_dir:
        restored = stack.restored
        print(
            f"  data dir: {stack.options.data_dir} ({restored.get('items', 0)} items restored, "
            f"{restored.get('replayed', 0)} journaled writes replayed)"
        )
    else:
        print("  data: in memory, gone when this stops (--data-dir DIR keeps it)")
    print(f"  function logs: {stack.options.log_dir}/   health: {endpoint}/brain/health   Ctrl-C to stop.")
    print(web_line(api.web_url, api.ca_file), flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        watch_health(stack, stopped)
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
    return 0


def watch_health(stack, stopped: threading.Event, every: float = 1.0, out=sys.stderr) -> None:
    """Until ``stopped``: say at once, and loudly, when the stack stops being ready, and when it is again."""
    said: tuple[str, list[str]] = ("ready", [])
    while not stopped.wait(every):
        now = stack.problems()
        if now == said:
            continue
        status, problems = now
        if status == "ready":
            print(f"[brain] ready again (it was {said[0]}: {'; '.join(said[1])})", file=out, flush=True)
        elif status == "failed":
            bar = "!" * 78
            print(f"{bar}\n[brain] FAILED: {'; '.join(problems)}\n{bar}", file=out, flush=True)
        else:
            print(f"[brain] {status}: {'; '.join(problems)}", file=out, flush=True)
        said = now
