"""statemachine/brain.asl.json executed by moto's engine with the real handlers in worker processes."""

import json
import time
import uuid

import pytest
from ulid import ULID

from brain_core.contracts import REPLY_FIELDS, iso_timestamp
from brain_core.persona import FALLBACK_REPLY
from brain_local.faults import ModelFaultRates, ModelFaults
from brain_local.lambda_service import InvokeFaultRates
from brain_local.runs import history, state_durations
from brain_local.store_view import reply_for


def run(stack, content="Hello brain, do you dream?", owner="ada", conversation=None):
    """Start one execution with a WorkflowInput, as the pipe would, and wait for it to end."""
    workflow_input = {
        "conversationId": conversation or f"it-{uuid.uuid4().hex[:8]}",
        "messageId": str(ULID()),
        "owner": owner,
        "content": content,
        "createdAt": iso_timestamp(),
    }
    sfn = stack.client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=stack.state_machine_arn, name=workflow_input["messageId"], input=json.dumps(workflow_input)
    )["executionArn"]
    deadline = time.time() + 60
    while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        assert time.time() < deadline, "the execution did not finish in 60 s"
        time.sleep(0.05)
    events = history(sfn, arn)
    return workflow_input, described, events


@pytest.fixture
def faults(stack):
    """Set faults for one test; everything healthy again afterwards."""
    yield stack
    for pool in stack.pools.values():
        pool.faults = InvokeFaultRates()
    stack.bedrock_app.faults = ModelFaults()


def test_happy_path_runs_every_state_and_writes_a_complete_reply(stack):
    message, execution, events = run(stack)
    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"]) == {
        "messageId": message["messageId"],
        "replyId": message["messageId"] + "#reply",
        "status": "complete",
        "written": True,
    }
    assert {"Perception", "Language", "PostProcess", "Reasoning", "Emotional", "Depth", "SelfReview"} <= set(
        state_durations(events)
    )
    reply = reply_for(stack, message)
    assert set(REPLY_FIELDS) <= set(reply) and reply["status"] == "complete" and reply["degraded"] == []
    assert reply["owner"] == "ada" and reply["thoughts"] and reply["sensations"] and reply["memories"]
    assert {"perception", "language", "reasoning", "emotional", "depth", "selfReview", "ttftMs", "totalMs"} <= set(
        reply["timings"]
    )


def test_parallel_branches_run_concurrently(faults):
    # Each branch made to take a second: run one after another, no two would overlap; run at
    # once, every one starts before any ends, however slow the machine is to start a thread.
    for name in ("brain-reasoning", "brain-emotional", "brain-depth"):
        faults.pools[name].faults = InvokeFaultRates(delay_ms=1000)
    _, _, events = run(faults)
    entered = {e["stateEnteredEventDetails"]["name"]: e["timestamp"] for e in events if "stateEnteredEventDetails" in e}
    exited = {e["stateExitedEventDetails"]["name"]: e["timestamp"] for e in events if "stateExitedEventDetails" in e}
    branches = ("Reasoning", "Emotional", "Depth")
    # Every branch starts before any branch finishes.
    assert max(entered[b] for b in branches) <= min(exited[b] for b in branches)


def test_a_failing_parallel_branch_degrades_the_reply_instead_of_failing_the_run(faults):
    faults.pools["brain-reasoning"].faults = InvokeFaultRates(raise_rate=1.0)
    message, execution, events = run(faults)
    assert execution["status"] == "SUCCEEDED"
    reply = reply_for(faults, message)
    assert reply["status"] == "complete" and reply["degraded"] == ["reasoning"]
    assert reply["thoughts"] == [] and reply["sensations"] and reply["content"]
    assert "ReasoningDegraded" in state_durations(events)


def test_a_failing_language_step_ends_in_a_fallback_reply(faults):
    faults.pools["brain-language"].faults = InvokeFaultRates(raise_rate=1.0)
    message, execution, events = run(faults)
    assert execution["status"] == "SUCCEEDED"
    assert "WriteFallbackReply" in state_durations(events) and "PostProcess" not in state_durations(events)
    reply = reply_for(faults, message)
    assert reply["status"] == "fallback" and reply["content"] == FALLBACK_REPLY
    assert reply["owner"] == "ada" and set(REPLY_FIELDS) <= set(reply)


def test_a_failing_perception_step_ends_in_a_fallback_reply(faults):
    faults.pools["brain-perception"].faults = InvokeFaultRates(raise_rate=1.0)
    message, execution, _ = run(faults)
    assert execution["status"] == "SUCCEEDED"
    assert reply_for(faults, message)["status"] == "fallback"


def test_model_throttling_is_retried_with_backoff_then_falls_back(faults):
    faults.bedrock_app.faults = ModelFaults(ModelFaultRates(throttle=1.0))
    message, execution, events = run(faults)
    failures = [e for e in events if e["type"] == "LambdaFunctionFailed"]
    assert [f["lambdaFunctionFailedEventDetails"]["error"] for f in failures] == ["ModelThrottled"] * 4
    assert reply_for(faults, message)["status"] == "fallback"


def test_an_invalid_message_gets_a_clear_reply_not_a_crash(stack):
    message, execution, _ = run(stack, content="   ")
    assert execution["status"] == "SUCCEEDED"
    reply = reply_for(stack, message)
    assert reply["status"] == "complete" and "empty" in reply["content"]
