"""Recent executions and each state's duration, from the Step Functions execution history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class Run:
    name: str
    status: str
    started: datetime | None
    stopped: datetime | None
    states: dict[str, float]  # state name -> milliseconds (the last attempt's)

    @property
    def total_ms(self) -> float | None:
        if self.started and self.stopped:
            return (self.stopped - self.started).total_seconds() * 1000
        return None


def state_durations(events: list[dict]) -> dict[str, float]:
    entered: dict[str, datetime] = {}
    durations: dict[str, float] = {}
    for event in events:
        if "stateEnteredEventDetails" in event:
            entered[event["stateEnteredEventDetails"]["name"]] = event["timestamp"]
        elif "stateExitedEventDetails" in event:
            name = event["stateExitedEventDetails"]["name"]
            if name in entered:
                durations[name] = round((event["timestamp"] - entered.pop(name)).total_seconds() * 1000, 1)
    return durations


def history(sfn, execution_arn: str) -> list[dict]:
    pages = sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn)
    return [event for page in pages for event in page["events"]]


def recent_runs(sfn, state_machine_arn: str, limit: int = 10, name_prefix: str | None = None) -> list[Run]:
    executions = sfn.list_executions(stateMachineArn=state_machine_arn, maxResults=1000)["executions"]
    if name_prefix:
        executions = [e for e in executions if e["name"].startswith(name_prefix)]
    executions.sort(key=lambda e: e["startDate"], reverse=True)
    runs = []
    for execution in executions[:limit]:
        runs.append(
            Run(
                name=execution["name"],
                status=execution["status"],
                started=execution.get("startDate"),
                stopped=execution.get("stopDate"),
                states=state_durations(history(sfn, execution["executionArn"])),
            )
        )
    return runs
