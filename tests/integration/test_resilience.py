"""Nothing lost, nothing duplicated, no one else's memory, nothing personal in the logs,
and a stalled model still ends in a reply in bounded time."""

import json
import subprocess
import sys
import time
import uuid

from ulid import ULID

from brain_core.config import SETTINGS
from brain_core.contracts import iso_timestamp
from brain_local.chaos.faults import ModelFaultRates, ModelFaults
from brain_local.clients.boto3_client import BrainClient
from brain_local.clients.store_view import chunks_for, reply_for
from tests.integration.pipeline_helpers import state_output, wait_executions_done


def test_chaos_at_small_scale_loses_and_duplicates_nothing():
    # `brain chaos` as a user runs it: its own process, its own stack.
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "brain_local.cli",
            "chaos",
            "-n",
            "40",
            "--conversations",
            "10",
            "--seed",
            "7",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert done.returncode == 0, done.stderr[-2000:]
    assert report["messages"] == 40 and report["ok"] is True
    assert (report["lost"], report["duplicated"], report["garbled_streams"]) == (0, 0, 0), report
    assert report["complete"] + report["fallback"] == 40
    functions = report["faults"]["functions"].values()
    assert sum(f["raised"] + f["died"] for f in functions) > 0  # the faults really happened


def _start(stack, workflow_input, suffix):
    return stack.client("stepfunctions").start_execution(
        stateMachineArn=stack.state_machine_arn,
        name=f"{workflow_input['messageId']}-{suffix}",
        input=json.dumps(workflow_input),
    )["executionArn"]


def model_calls_about(stack, monkeypatch, marker: str) -> list:
    """The language model's requests that carry ``marker``: this test's calls, not another test's
    in flight, and not the insight agents' (they offer a tool, and may share the backend)."""
    calls, backend = [], stack.bedrock_service.models[stack.backend.model_id]
    original = backend.respond

    def counting(request):
        if not request.tools and marker in json.dumps(request.messages):
            calls.append(request)
        return original(request)

    monkeypatch.setattr(backend, "respond", counting)
    return calls


def test_replaying_one_execution_input_gives_one_reply_and_one_chunk_sequence(stack, monkeypatch):
    workflow_input = {
        "conversationId": "replay",
        "messageId": str(ULID()),
        "owner": "ada",
        "content": f"Tell me about the sea. ({uuid.uuid4().hex})",
        "createdAt": iso_timestamp(),
    }
    calls = model_calls_about(stack, monkeypatch, workflow_input["content"])
    _start(stack, workflow_input, "a")
    _start(stack, workflow_input, "b")  # at-least-once: the same input, concurrently
    runs = wait_executions_done(stack, workflow_input["messageId"])
    assert [r["status"] for r in runs] == ["SUCCEEDED", "SUCCEEDED"]
    outputs = sorted(
        json.loads(stack.client("stepfunctions").describe_execution(executionArn=r["executionArn"])["output"])[
            "written"
        ]
        for r in runs
    )
    assert outputs == [False, True]  # one run wrote the reply; the other found it written
    assert len(calls) == 1  # the model was asked once
    reply = reply_for(stack, workflow_input)
    chunks = chunks_for(stack, workflow_input["messageId"])  # in seq order
    assert [c["seq"] for c in chunks] == list(range(len(chunks)))
    assert [c["done"] for c in chunks].count(True) == 1
    assert "".join(c["text"] for c in chunks) == reply["content"]

    _start(stack, workflow_input, "c")  # and once more, after both finished
    runs = wait_executions_done(stack, workflow_input["messageId"])
    assert len(runs) == 3 and len(calls) == 1
    assert len(chunks_for(stack, workflow_input["messageId"])) == len(chunks)


def test_two_owners_with_the_same_conversation_id_never_share_memory(stack):
    client = BrainClient(stack.options.endpoint)
    ada = client.send("My name is Ada and I live in Lisbon.", "shared-conversation", "ada")
    assert ada.reply["status"] == "complete"
    bob = client.send("Do you remember my name and where I live?", "shared-conversation", "bob")
    assert bob.reply["owner"] == "bob"
    for field in ("content", "memories", "selfReflection"):
        assert "Ada" not in bob.reply[field] and "Lisbon" not in bob.reply[field]
    assert "thoughts" in bob.reply and not any("Ada" in t for t in bob.reply["thoughts"])
    [run] = wait_executions_done(stack, bob.message["messageId"])
    history = state_output(stack, run["executionArn"], "Perception")["history"]
    assert history == []  # bob has said nothing before; ada's turns are not his
    ada_again = client.send("And do you remember me?", "shared-conversation", "ada")
    assert "Ada" in ada_again.reply["content"]  # ada's own memory is intact


def test_no_message_content_or_reply_text_reaches_the_logs(stack):
    marker = "zebraquartz7731"
    exchange = BrainClient(stack.options.endpoint).send(f"My secret word is {marker}, keep it safe.", "privacy", "ada")
    reply = exchange.reply["content"]
    time.sleep(0.5)  # let the workers' log lines land
    logs = "\n".join(p.read_text(errors="replace") for p in stack.options.log_dir.glob("*.log"))
    assert "perceived" in logs and "reviewed" in logs  # the logs are there, and say what happened
    assert marker not in logs
    assert reply[:40] not in logs and exchange.reply["thoughts"][0] not in logs


def test_a_stalled_model_ends_in_a_fallback_reply_in_bounded_time(stack):
    bound = 30.0
    assert SETTINGS.bedrock_read_timeout_seconds < bound
    stack.bedrock_service.faults = ModelFaults(ModelFaultRates(stall=1.0, stall_seconds=60))
    try:
        client = BrainClient(stack.options.endpoint)
        started = time.perf_counter()
        exchange = client.send("Are you still there?", "stall", "ada", timeout=bound + 15)
        waited = time.perf_counter() - started
    finally:
        stack.bedrock_service.faults = ModelFaults()
    assert exchange.reply["status"] == "fallback"
    assert exchange.streamed  # the first words had streamed before the model stalled
    assert waited < bound, f"the fallback took {waited:.1f} s"
