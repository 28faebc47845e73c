"""statemachine/brain.asl.json executed by moto's engine with the real handlers in worker processes."""

import copy
import json
import time
import uuid

import pytest
from ulid import ULID

from brain_core import workflow
from brain_core.config import INSIGHT_AGENTS
from brain_core.contracts import REPLY_FIELDS, StateDocument, iso_timestamp, step_name
from brain_core.persona import FALLBACK_REPLY
from brain_local.awslambda.environments import InvokeFaultRates
from brain_local.chaos.faults import ModelFaultRates, ModelFaults
from brain_local.clients.store_view import reply_for
from brain_local.stack.options import ACCOUNT
from brain_local.stepfunctions.engine import arn_substitutions
from brain_local.stepfunctions.runs import history, state_durations

#: Every state a run passes when nothing fails, as the ASL names them.
HAPPY_PATH = {state.name for state in workflow.happy_path()}


def run(stack, content="Hello brain, do you dream?", owner="ada", conversation=None, state_machine_arn=None):
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
        stateMachineArn=state_machine_arn or stack.state_machine_arn,
        name=workflow_input["messageId"],
        input=json.dumps(workflow_input),
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
    stack.bedrock_service.faults = ModelFaults()


def test_happy_path_runs_every_state_and_writes_a_complete_reply(stack):
    message, execution, events = run(stack)
    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"]) == {
        "messageId": message["messageId"],
        "replyId": message["messageId"] + "#reply",
        "status": "complete",
        "written": True,
    }
    assert set(state_durations(events)) >= HAPPY_PATH
    reply = reply_for(stack, message)
    assert set(REPLY_FIELDS) <= set(reply) and reply["status"] == "complete" and reply["degraded"] == []
    assert reply["owner"] == "ada" and reply["thoughts"] and reply["sensations"] and reply["memories"]
    # The insight model (the scripted double behind insight_model_id) answered all three.
    assert reply["insightSources"] == {"reasoning": "model", "emotional": "model", "depth": "model"}
    assert {step_name(state.agent) for state in workflow.happy_path() if state.agent} | {"ttftMs", "totalMs"} <= set(
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
    branches = [state.name for state in workflow.happy_path() if state.in_branch]
    # Every branch starts before any branch finishes.
    assert max(entered[b] for b in branches) <= min(exited[b] for b in branches)


def test_a_failing_parallel_branch_degrades_the_reply_instead_of_failing_the_run(faults):
    faults.pools["brain-reasoning"].faults = InvokeFaultRates(raise_rate=1.0)
    message, execution, events = run(faults)
    assert execution["status"] == "SUCCEEDED"
    reply = reply_for(faults, message)
    assert reply["status"] == "complete" and reply["degraded"] == ["reasoning"]
    assert reply["thoughts"] == [] and reply["sensations"] and reply["content"]
    assert reply["insightSources"] == {"reasoning": "degraded", "emotional": "model", "depth": "model"}
    assert "ReasoningDegraded" in state_durations(events)


def _state_input(events: list[dict], name: str) -> dict:
    [entered] = [e for e in events if e.get("stateEnteredEventDetails", {}).get("name") == name]
    return json.loads(entered["stateEnteredEventDetails"]["input"])


def _emitted_metrics(stack, function: str, message_id: str, wait: float = 10.0) -> set[str]:
    """The EMF metric names ``function`` emitted for ``message_id`` (its metadata), once its log
    has them."""
    deadline = time.time() + wait
    while True:
        names: set[str] = set()
        for line in (stack.options.log_dir / f"{function}.log").read_text().splitlines():
            if '"_aws"' in line and message_id in line:
                blob = json.loads(line[line.index("{") :])
                if blob.get("messageId") == message_id:
                    names |= {m["Name"] for d in blob["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
        if names or time.time() > deadline:
            return names
        time.sleep(0.1)


@pytest.fixture
def parallel_without_a_branch_catch(stack):
    """The real definition with one change: the Reasoning branch's Catch removed. A raising
    reasoning function then fails its branch, so the Parallel state fails as a whole and its own
    Catch applies: the path on which SelfReview receives $.insightsError. (With the real
    definition every branch catches its own failure, and what it cannot catch, States.Runtime and
    States.DataLimitExceeded, no Catch can.)"""
    definition = copy.deepcopy(workflow.definition())
    [parallel] = [state for state in definition["States"].values() if state["Type"] == "Parallel"]
    branch = parallel["Branches"][0]
    del branch["States"][branch["StartAt"]]["Catch"]
    settings = stack.settings
    return stack.client("stepfunctions").create_state_machine(
        name=f"{settings.state_machine_name}-NoBranchCatch-{uuid.uuid4().hex[:6]}",
        definition=workflow.render(json.dumps(definition), arn_substitutions(settings, settings.region, ACCOUNT)),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/{settings.app_name}-workflow",
        type="EXPRESS",
    )["stateMachineArn"]


def test_a_parallel_state_failing_as_a_whole_marks_all_three_branches_degraded(faults, parallel_without_a_branch_catch):
    faults.pools["brain-reasoning"].faults = InvokeFaultRates(raise_rate=1.0)
    message, execution, events = run(faults, state_machine_arn=parallel_without_a_branch_catch)
    assert execution["status"] == "SUCCEEDED"
    # What the engine hands SelfReview: no $.insights, the Parallel state's error at $.insightsError.
    document = _state_input(events, "SelfReview")
    assert "insights" not in document and document["insightsError"]["Error"]
    assert StateDocument.from_dict(document).insightsError is not None
    reply = reply_for(faults, message)
    assert reply["status"] == "complete" and reply["content"]  # the model's reply still goes out
    assert reply["degraded"] == sorted(INSIGHT_AGENTS)  # never "complete" with degraded: []
    assert reply["insightSources"] == dict.fromkeys(INSIGHT_AGENTS, "degraded")
    assert reply["thoughts"] == [] and reply["sensations"] == [] and reply["memories"] == ""
    assert "DegradedReplies" in _emitted_metrics(faults, "brain-self-review", message["messageId"])


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
    faults.bedrock_service.faults = ModelFaults(ModelFaultRates(throttle=1.0))
    message, execution, events = run(faults)
    failures = [e for e in events if e["type"] == "LambdaFunctionFailed"]
    assert [f["lambdaFunctionFailedEventDetails"]["error"] for f in failures] == ["ModelThrottled"] * 4
    assert reply_for(faults, message)["status"] == "fallback"


def test_an_invalid_message_gets_a_clear_reply_not_a_crash(stack):
    message, execution, _ = run(stack, content="   ")
    assert execution["status"] == "SUCCEEDED"
    reply = reply_for(stack, message)
    assert reply["status"] == "complete" and "empty" in reply["content"]
