"""What offline IAM enforcement costs per message: the same messages with it on and off.

Two fresh stacks in turn (the scripted model, fast), each warmed with a few messages, then N
messages one after another through the backend path (BrainClient: put, follow the chunks, read
the reply). Reported per mode: the median and p90 time per message, the stack process's CPU
time per message (its own and the DynamoDB process's, the workers excluded: the checks run in
those two), and how many signed requests each message caused. Then the checks alone, in this
process: one signed DynamoDB PutItem verified and evaluated, median of many (µs).

    .venv/bin/python scripts/iam_cost.py --messages 20

Noisy on a shared machine: the lead's `make bench` is where figures belong; this is the probe.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import timeit
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _process_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    import os

    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_mode(iam: bool, messages: int, warm: int) -> dict:
    import os

    from brain_local.clients.boto3_client import BrainClient
    from brain_local.stack.lifecycle import OfflineStack
    from brain_local.stack.options import OfflineStackOptions

    with tempfile.TemporaryDirectory(prefix="iam-cost-") as tmp:
        options = OfflineStackOptions(
            port=0, tls_port=0, log_dir=Path(tmp) / "logs", state_dir=Path(tmp) / "state", iam=iam, static_dir=None
        )
        with OfflineStack(options) as stack:
            client = BrainClient(stack.options.endpoint)
            for _ in range(warm):
                client.send("Hello, warming up.", f"warm-{uuid.uuid4().hex[:6]}", "ada")
            pids = {"stack": os.getpid(), "dynamodb": (stack.dynamodb.pid if stack.dynamodb else None) or os.getpid()}
            checked_before = _checked(stack)
            cpu_before = {k: _process_cpu_seconds(p) for k, p in pids.items()}
            totals = []
            for i in range(messages):
                started = time.perf_counter()
                client.send(f"Message {i}: what do you make of this?", f"cost-{uuid.uuid4().hex[:6]}", "ada")
                totals.append((time.perf_counter() - started) * 1000)
            cpu_after = {k: _process_cpu_seconds(p) for k, p in pids.items()}
            checked = _checked(stack) - checked_before
            denied = stack.health()["iam"]["denied"]
    return {
        "iam": iam,
        "messages": messages,
        "medianMs": round(statistics.median(totals), 1),
        "p90Ms": round(sorted(totals)[int(0.9 * (len(totals) - 1))], 1),
        "cpuMsPerMessage": {k: round((cpu_after[k] - cpu_before[k]) * 1000 / messages, 1) for k in pids},
        "signedRequestsPerMessage": round(checked / messages, 1),
        "denied": denied,
    }


def _checked(stack) -> int:
    health = stack.health()["iam"]
    return health["endpoint"]["checked"] + (health["dynamodb"] or {}).get("checked", 0)


def check_alone_us(iterations: int = 3000) -> dict:
    """One signed PutItem by the depth role, verified and evaluated (and verified only)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from brain_core.config import SETTINGS
    from brain_local.iam import CredentialsRegistry
    from brain_local.iam.actions import RequestMapper
    from brain_local.iam.enforcer import Enforcer

    account = "123456789012"
    registry = CredentialsRegistry.issue(SETTINGS, account)
    table = f"arn:aws:dynamodb:{SETTINGS.region}:{account}:table/{SETTINGS.memory_table}"
    statements = [{"Effect": "Allow", "Action": ["dynamodb:PutItem", "dynamodb:Query"], "Resource": table}]
    depth = registry.role("depth")
    body = json.dumps({"TableName": SETTINGS.memory_table, "Item": {"owner": {"S": "ada"}}}).encode()
    request = AWSRequest(
        method="POST",
        url="http://127.0.0.1:4566/",
        data=body,
        headers={"X-Amz-Target": "DynamoDB_20120810.PutItem", "Content-Type": "application/x-amz-json-1.0"},
    )
    SigV4Auth(
        Credentials(depth.access_key_id, depth.secret_access_key, depth.session_token), "dynamodb", SETTINGS.region
    ).add_auth(request)
    headers = {**dict(request.headers.items()), "Host": "127.0.0.1:4566"}
    lower = {k.lower(): v for k, v in headers.items()}
    figures = {}
    for enforce in (True, False):
        enforcer = Enforcer(registry, SETTINGS.region, account, {"depth": statements}, enforce=enforce)
        mapper = RequestMapper(SETTINGS.region, account)

        def once(enforcer=enforcer, mapper=mapper):
            call = mapper.map("POST", "/", "", lower, body, "dynamodb")
            enforcer.authorize("POST", "http://127.0.0.1:4566/", headers, body, call)

        runs = timeit.repeat(once, number=iterations // 10, repeat=10)
        figures["verifyAndEvaluateUs" if enforce else "verifyOnlyUs"] = round(
            statistics.median(runs) / (iterations // 10) * 1e6, 1
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--warm", type=int, default=3)
    args = parser.parse_args()
    results = [run_mode(iam, args.messages, args.warm) for iam in (True, False)]
    print(json.dumps({"modes": results, "checkAlone": check_alone_us()}, indent=2))


if __name__ == "__main__":
    main()
