"""The pipe's target: Step Functions StartExecution (FIRE_AND_FORGET), one execution per record
that passes the filter, its input the rendered template; a failed start retried
``maximum_retry_attempts`` times, then the record sent to the dead-letter queue (SQS), however
long that takes — a record is never dropped."""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections.abc import Callable

from brain_core.config import PipeSettings
from brain_local.pipe.backoff import Backoff, wait
from brain_local.pipe.filtering import matches, render

log = logging.getLogger("brain.pipe")


class WorkflowTarget:
    def __init__(
        self,
        sfn,
        sqs,
        state_machine_arn: str,
        dlq_url: str,
        settings: PipeSettings,
        stopping: threading.Event,
        backoff: tuple[float, float],
        counts: dict[str, int],
        on_failure: Callable[[str, str, BaseException], None],
        deliveries: Callable[[dict], int],
    ):
        self._sfn, self._sqs = sfn, sqs
        self._state_machine_arn, self._dlq_url = state_machine_arn, dlq_url
        self.settings, self._stopping, self._backoff_range = settings, stopping, backoff
        self.counts, self._on_failure = counts, on_failure
        #: For fault injection: how many times to start each matching record (2 = duplicate delivery).
        self._deliveries = deliveries

    def deliver(self, record: dict) -> list[str]:
        """Start the record's execution(s); their ARNs (none if filtered out or dead-lettered)."""
        self.counts["records"] += 1
        if not matches(self.settings.filter_pattern, record):
            self.counts["filtered"] += 1
            return []
        runs = [self._start(record) for _ in range(self._deliveries(record))]
        return [arn for arn in runs if arn]

    def _start(self, record: dict) -> str | None:
        workflow_input = render(self.settings.input_template, record)
        name = f"{workflow_input.get('messageId') or 'message'}-{uuid.uuid4().hex[:8]}"
        name = re.sub(r"[^A-Za-z0-9_-]", "_", name)[:80]
        error: Exception | None = None
        backoff = Backoff(*self._backoff_range)
        for attempt in range(1 + self.settings.maximum_retry_attempts):
            if attempt:
                wait(self._stopping, backoff.next())
            try:
                started = self._sfn.start_execution(
                    stateMachineArn=self._state_machine_arn, name=name, input=json.dumps(workflow_input)
                )
                self.counts["started"] += 1
                return started.get("executionArn")
            except Exception as exc:  # noqa: BLE001 - any failure to start is retried, then dead-lettered
                error = exc
                self.counts["startFailures"] += 1
                log.warning("pipe: StartExecution failed for %s: %s", name, exc)
        self._dead_letter(record, error)
        return None

    def _dead_letter(self, record: dict, error: Exception | None) -> None:
        """Send the record to the dead-letter queue, however long that takes: until it is there,
        the pipe does not pass it (nor, to keep order, anything after it on its shard)."""
        log.error("pipe: dead-lettering record %s: %s", record.get("eventID"), error)
        body = json.dumps({"record": record, "error": repr(error)}, default=str)
        backoff = Backoff(*self._backoff_range)
        while True:
            try:
                self._sqs.send_message(QueueUrl=self._dlq_url, MessageBody=body)
                self.counts["deadLettered"] += 1
                return
            except Exception as exc:  # noqa: BLE001 - a record is never dropped: retried until it is dead-lettered
                self.counts["deadLetterFailures"] += 1
                self._on_failure("retrying", "SendMessage (dead-letter queue)", exc)
                wait(self._stopping, backoff.next())
