"""DynamoDB stops answering for 5 s mid-run (SIGSTOP of its process, then SIGCONT), as a slow or
restarting database would: every message sent before, during and after is answered exactly once."""

import os
import signal
import threading
import time
import uuid
from collections import Counter

from brain_local.chaos.campaign import fallback_cause
from brain_local.clients.boto3_client import BrainClient
from tests.integration.pipeline_helpers import executions_for, wait_executions_done

MESSAGES, EVERY_SECONDS = 16, 0.5
PAUSE_AT_SECONDS, PAUSE_SECONDS = 2.0, 5.0


def test_messages_before_during_and_after_a_5_s_dynamodb_pause_are_each_answered_once(stack):
    client = BrainClient(stack.options.endpoint)
    run = uuid.uuid4().hex[:8]
    sent: dict[int, dict] = {}

    def send(i: int) -> None:
        time.sleep(i * EVERY_SECONDS)  # one message every half second, each on its own
        sent[i] = client.put_message(f"Message {i}: are you still there?", f"pause-{run}-{i}", "ada")

    senders = [threading.Thread(target=send, args=(i,)) for i in range(MESSAGES)]
    for sender in senders:
        sender.start()
    time.sleep(PAUSE_AT_SECONDS)
    os.kill(stack.dynamodb.pid, signal.SIGSTOP)
    resume_at = time.monotonic() + PAUSE_SECONDS
    try:
        time.sleep(PAUSE_SECONDS - 1.5)
        during = stack.health()  # takes half a second: the paused process's fault counts time out
        time.sleep(max(resume_at - time.monotonic(), 0))
    finally:
        os.kill(stack.dynamodb.pid, signal.SIGCONT)
    assert during["status"] == "degraded" and "the pipe has waited" in during["problems"][0], during["problems"]
    for sender in senders:
        sender.join(60)
    assert sorted(sent) == list(range(MESSAGES)), "a write was not accepted"

    statuses, causes = Counter(), Counter()
    sfn = stack.client("stepfunctions")
    for message in sent.values():
        exchange = client.follow(message, time.perf_counter(), timeout=90)
        items = client.history(message["conversationId"])
        replies = [i for i in items if i.get("role") == "brain"]
        assert len(replies) == 1, f"{message['messageId']}: {len(replies)} replies"
        statuses[replies[0]["status"]] += 1
        assert exchange.reply == replies[0]
        [run] = wait_executions_done(stack, message["messageId"], timeout=90)
        if replies[0]["status"] == "fallback":
            causes[fallback_cause(sfn, run["executionArn"])] += 1
        assert len(executions_for(stack, message["messageId"])) == 1  # started once: no duplicate delivery
    print(f"\nafter a {PAUSE_SECONDS:.0f} s pause: {dict(statuses)} of {MESSAGES} messages; fallbacks: {dict(causes)}")
    assert sum(statuses.values()) == MESSAGES
    assert stack.health()["status"] == "ready"  # the pipe is reading again
