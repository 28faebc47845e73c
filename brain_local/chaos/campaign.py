"""``brain chaos``: many messages through the pipeline with faults on, then an audit.

Every message must end with exactly one reply (complete or fallback). The audit reads the
tables and the executions, not the client's impressions: a user message without a reply item
is *lost*; a message whose reply was written by more than one execution is *duplicated*; a
complete reply whose streamed chunks do not spell out its content is a *garbled stream*.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from brain_core.config import SETTINGS
from brain_core.contracts import ReviewResult
from brain_local.chaos.faults import FaultPlan, ModelFaultRates
from brain_local.stack.lifecycle import OfflineStack
from brain_local.stack.options import OfflineStackOptions

#: The rates `brain chaos` uses unless given a plan: every kind of fault, often enough to matter.
DEFAULT_PLAN = FaultPlan(
    seed=0,
    model=ModelFaultRates(throttle=0.10, error=0.03, stall=0.02, stall_seconds=30),
    functions={
        "brain-perception": {"raise_rate": 0.03, "die_rate": 0.02},
        "brain-language": {"raise_rate": 0.02, "die_rate": 0.01},
        "brain-reasoning": {"raise_rate": 0.05},
        "brain-emotional": {"raise_rate": 0.05, "die_rate": 0.02},
        "brain-depth": {"raise_rate": 0.05},
        "brain-self-review": {"raise_rate": 0.03, "die_rate": 0.02},
    },
    duplicate_rate=0.10,
    chunk_throttle_rate=0.05,
)


@dataclass
class ChaosReport:
    messages: int = 0
    complete: int = 0
    fallback: int = 0
    duplicated: int = 0
    lost: int = 0
    garbled_streams: int = 0
    dead_lettered: int = 0
    failed_executions: int = 0
    suppressed_duplicates: int = 0
    seconds: float = 0.0
    faults: dict = field(default_factory=dict)
    lost_ids: list = field(default_factory=list)
    #: What sent each fallback reply down the fallback path: "State: Error" -> count.
    fallback_causes: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0

    def rows(self) -> list[tuple[str, object]]:
        return [
            ("messages", self.messages),
            ("complete replies", self.complete),
            ("fallback replies", self.fallback),
            ("duplicated replies", self.duplicated),
            ("lost messages", self.lost),
            ("dead-lettered records", self.dead_lettered),
            ("garbled streams", self.garbled_streams),
            ("failed executions", self.failed_executions),
            ("duplicate runs suppressed", self.suppressed_duplicates),
            ("seconds", round(self.seconds, 1)),
        ]


def _converse(client, conversation: str, owner: str, count: int, timeout: float, lost: list) -> None:
    from brain_local.clients.boto3_client import ReplyTimeout

    for i in range(count):
        message = client.put_message(f"Message {i} of {conversation}: do you dream of the sea?", conversation, owner)
        try:
            client.follow(message, time.perf_counter(), timeout=timeout)
        except ReplyTimeout:
            lost.append(message["messageId"])


def run_chaos(
    messages: int = 200,
    conversations: int = 20,
    plan: FaultPlan = DEFAULT_PLAN,
    reply_timeout: float = 90.0,
    read_timeout_seconds: int = 3,
    warm: int = 3,
    progress=None,
) -> ChaosReport:
    """Send ``messages`` across ``conversations`` (concurrently) through a stack with ``plan``'s faults."""
    from brain_local.clients.boto3_client import BrainClient

    # A short model read timeout keeps stalled streams from dominating the run's length.
    settings = replace(SETTINGS, bedrock_read_timeout_seconds=read_timeout_seconds)
    # Warm environments, as provisioned concurrency would give: this run is about faults, not about
    # twenty functions cold-starting at once on two cores.
    state = tempfile.TemporaryDirectory(prefix="brain-chaos-")  # its own config and CA, not .brain's
    options = OfflineStackOptions(
        port=0,
        ttft_ms=20,
        tokens_per_second=500,
        reply_tokens=30,
        seed=plan.seed,
        settings=settings,
        warm=warm,
        state_dir=Path(state.name),
    )
    started = time.perf_counter()
    report = ChaosReport(messages=messages)
    with state, OfflineStack(options, faults=plan) as stack:
        client = BrainClient(stack.options.endpoint)
        per_conversation = [messages // conversations + (i < messages % conversations) for i in range(conversations)]
        names = [f"chaos-{plan.seed}-{i:03d}-{uuid.uuid4().hex[:6]}" for i in range(conversations)]
        lost_during: list = []
        threads = [
            threading.Thread(
                target=_converse, args=(client, name, f"owner-{i % 7}", count, reply_timeout, lost_during), daemon=True
            )
            for i, (name, count) in enumerate(zip(names, per_conversation, strict=True))
            if count
        ]
        for thread in threads:
            thread.start()
            time.sleep(0.05)  # conversations begin a moment apart, as people do
        while any(t.is_alive() for t in threads):
            time.sleep(1)
            if progress and stack.pipe:
                progress(stack.pipe.counts["started"], messages)
        _wait_for_quiet(stack)
        _audit(stack, client, names, report)
        report.faults = stack.fault_counts()
    report.seconds = time.perf_counter() - started
    return report


def _wait_for_quiet(stack, limit: float = 120.0) -> None:
    sfn = stack.client("stepfunctions")
    deadline = time.time() + limit
    while time.time() < deadline:
        running = sfn.list_executions(stateMachineArn=stack.state_machine_arn, statusFilter="RUNNING", maxResults=1000)[
            "executions"
        ]
        if not running:
            return
        time.sleep(0.5)


def _audit(stack, client, conversations: list[str], report: ChaosReport) -> None:
    from brain_local.clients.store_view import chunks_for

    for conversation in conversations:
        items = client.history(conversation)
        users = {i["messageId"] for i in items if i.get("role") == "user"}
        replies = {i["inReplyTo"]: i for i in items if i.get("role") == "brain"}
        missing = sorted(users - set(replies))
        report.lost += len(missing)
        report.lost_ids.extend(missing)
        for message_id, reply in replies.items():
            report.complete += reply["status"] == "complete"
            report.fallback += reply["status"] == "fallback"
            if reply["status"] == "complete":
                chunks = chunks_for(stack, message_id)  # in seq order
                contiguous = [c["seq"] for c in chunks] == list(range(len(chunks)))
                done = [c for c in chunks if c.get("done")]
                spelled = "".join(c["text"] for c in chunks)
                if not (contiguous and len(done) == 1 and spelled == reply["content"]):
                    report.garbled_streams += 1
    sfn = stack.client("stepfunctions")
    writers: Counter = Counter()
    causes: Counter = Counter()
    token = None
    while True:
        page = sfn.list_executions(
            stateMachineArn=stack.state_machine_arn, maxResults=1000, **({"nextToken": token} if token else {})
        )
        for execution in page["executions"]:
            if execution["status"] != "SUCCEEDED":
                report.failed_executions += 1
                continue
            # A run that succeeded ended in SelfReview or WriteFallbackReply: its output is theirs.
            output = sfn.describe_execution(executionArn=execution["executionArn"])["output"]
            review = ReviewResult.from_dict(json.loads(output))
            if review.written:
                writers[review.messageId] += 1
                if review.status == "fallback":
                    causes[fallback_cause(sfn, execution["executionArn"])] += 1
            else:
                report.suppressed_duplicates += 1
        token = page.get("nextToken")
        if not token:
            break
    report.duplicated = sum(1 for count in writers.values() if count > 1)
    report.fallback_causes = dict(causes.most_common())
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=stack.dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    report.dead_lettered = int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def fallback_cause(sfn, execution_arn: str) -> str:
    """The state whose failure the fallback path caught, and its error (from the run's history)."""
    from brain_local.stepfunctions.runs import history

    failed_state = "?"
    for event in history(sfn, execution_arn):
        details = event.get("stateEnteredEventDetails")
        if not details:
            continue
        if details["name"] == "WriteFallbackReply":
            error = (json.loads(details.get("input") or "{}").get("error") or {}).get("Error", "?")
            return f"{failed_state}: {error}"
        failed_state = details["name"]
    return "?"
