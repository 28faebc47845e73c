"""Each message's run as the execution history tells it: each state's duration and the moments
each state was entered and exited, attached to the message's sample."""

from __future__ import annotations

import boto3

from bench.samples import MessageSample
from brain_core.config import SETTINGS
from brain_local.stepfunctions.runs import history, state_durations


def stepfunctions_client(endpoint: str):
    return boto3.client(
        "stepfunctions",
        endpoint_url=endpoint,
        region_name=SETTINGS.region,
        aws_access_key_id="offline",
        aws_secret_access_key="offline",
    )


def _executions(sfn, state_machine_arn: str) -> list[dict]:
    pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn)
    return [execution for page in pages for execution in page["executions"]]


def _timeline(events: list[dict], written_epoch_ms: float) -> dict[str, float]:
    """Milliseconds after the message was written at which each state was entered and exited."""

    def after(event: dict) -> float:
        return round(event["timestamp"].timestamp() * 1000 - written_epoch_ms, 1)

    points: dict[str, float] = {}
    for event in events:
        if event["type"] == "ExecutionStarted":
            points["executionStarted"] = after(event)
        elif event["type"] in ("ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut"):
            points["executionEnded"] = after(event)
        elif "stateEnteredEventDetails" in event:
            points[f"{event['stateEnteredEventDetails']['name']}.entered"] = after(event)
        elif "stateExitedEventDetails" in event:
            points[f"{event['stateExitedEventDetails']['name']}.exited"] = after(event)
    return points


def attach(endpoint: str, state_machine_arn: str, samples: list[MessageSample]) -> int:
    """Fill each sample's ``states`` (durations, :func:`brain_local.stepfunctions.runs.state_durations`) and
    ``timeline`` from its execution's history; returns how many samples had no execution."""
    sfn = stepfunctions_client(endpoint)
    executions = _executions(sfn, state_machine_arn)
    unmatched = 0
    for sample in samples:
        # The pipe names each execution "<messageId>-<8 hex>".
        mine = sorted(
            (e for e in executions if e["name"].startswith(sample.message_id + "-")), key=lambda e: e["startDate"]
        )
        sample.executions = len(mine)
        if not mine:
            unmatched += 1
            continue
        events = history(sfn, mine[0]["executionArn"])
        sample.states = state_durations(events)
        sample.timeline = _timeline(events, sample.written_epoch_ms)
        sample.timeline["executionCreated"] = round(
            mine[0]["startDate"].timestamp() * 1000 - sample.written_epoch_ms, 1
        )
    return unmatched
