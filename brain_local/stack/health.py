"""``GET /brain/health``: is every part of the offline stack working, and what each has done.

``ready`` (HTTP 200) while every part works; ``degraded`` when the pipe is retrying a failed call
or has waited more than :data:`PIPE_STALLED_SECONDS` on one; ``failed`` when the pipe has stopped
or the DynamoDB process has exited (HTTP 503 for both, with the reasons in ``problems``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from brain_local.stack.lifecycle import OfflineStack

#: A pipe that has not finished a pass over its shards for this long is reported degraded.
PIPE_STALLED_SECONDS = 3.0


def problems(stack: OfflineStack) -> tuple[str, list[str]]:
    """(status, problems): ``ready`` and none, ``degraded`` or ``failed`` and what is wrong."""
    found, failed = [], False
    if not stack.ready.is_set():
        return "starting", ["the stack is not started (or is stopping)"]
    code = stack.dynamodb.exit_code() if stack.dynamodb is not None else None
    if code is not None:
        failed = True
        found.append(f"the DynamoDB process has exited (code {code}): no table can be read or written")
    pipe: dict[str, Any] = stack.pipe.status() if stack.pipe is not None else {"state": "stopped", "lastError": None}
    error = pipe["lastError"] or {}
    if pipe["state"] == "stopped" or (stack.pipe is not None and not stack.pipe.is_alive()):
        failed = True
        found.append(f"the pipe has stopped: no new message starts a workflow ({error.get('error')})")
    elif pipe["state"] == "retrying":
        found.append(f"the pipe is retrying {error.get('operation')}: {error.get('error')}")
    elif pipe["secondsSinceRead"] > PIPE_STALLED_SECONDS:
        found.append(f"the pipe has waited {pipe['secondsSinceRead']} s on {pipe['operation']}")
    return ("failed" if failed else "degraded" if found else "ready"), found


def fault_counts(stack: OfflineStack) -> dict:
    """How many faults of each kind were injected so far."""
    if not stack.pools:
        return {}
    return {
        "model": dict(stack.bedrock_service.faults.counts),
        "chunkThrottles": stack.dynamodb.fault_counts().get("chunkThrottles", 0) if stack.dynamodb else 0,
        "duplicateDeliveries": stack.duplicate_delivery.count,
        "functions": {
            n: {"raised": p.injected["raise"], "died": p.injected["die"]}
            for n, p in stack.pools.items()
            if p.faults.raise_rate or p.faults.die_rate
        },
    }


def health(stack: OfflineStack) -> dict:
    status, found = problems(stack)
    return {
        "status": status,
        "problems": found,
        "endpoint": stack.options.endpoint,
        "dynamodbEndpoint": stack.dynamodb_endpoint,
        "dataDir": str(stack.options.data_dir) if stack.options.data_dir else None,
        "model": stack.backend.model_id if stack.backend else None,
        "stateMachineArn": stack.state_machine_arn,
        "pipe": stack.pipe.status() if stack.pipe else {},
        "faults": fault_counts(stack),
        "clientApi": stack.client_api.health() if stack.client_api else None,
        "iam": stack.iam.health() if stack.iam else None,
        "functions": {
            name: {
                "invocations": pool.stats.invocations,
                "errors": pool.stats.errors,
                "coldStarts": pool.stats.cold_starts,
                "initMs": pool.stats.init_ms,
                "provisioned": pool.stats.provisioned,
            }
            for name, pool in stack.pools.items()
        },
    }
