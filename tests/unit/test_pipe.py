"""The offline pipe: the filter and input template CDK deploys, and a pipe that survives its source."""

import json
import threading
import time

import pytest
from botocore.exceptions import ClientError

from brain_core.config import SETTINGS
from brain_core.contracts import UserMessage, WorkflowInput
from brain_core.store import to_item
from brain_local.pipe import Pipe
from brain_local.pipe.checkpoints import FileCheckpoints
from brain_local.pipe.filtering import matches, render

MESSAGE = UserMessage("c1", "01A", "ada", "hi", "2026-11-24T06:00:00.000Z", clientMessageId="client-7")


def record(event_name="INSERT", role="user", content="hi", message: UserMessage = MESSAGE):
    """The stream record of a UserMessage item as the API writes it (to_item of its to_dict)."""
    item = {**message.to_dict(), "role": role, "content": content}
    return {"eventName": event_name, "dynamodb": {"NewImage": to_item(item)}}


def test_the_filter_passes_only_new_user_messages():
    pattern = SETTINGS.pipe.filter_pattern
    assert matches(pattern, record())
    assert not matches(pattern, record(role="brain"))
    assert not matches(pattern, record(event_name="MODIFY"))
    assert not matches(pattern, {"eventName": "INSERT", "dynamodb": {}})


def test_pattern_operators_prefix_exists_anything_but():
    assert matches({"a": [{"prefix": "us-"}]}, {"a": "us-east-1"})
    assert matches({"a": [{"exists": False}]}, {})
    assert not matches({"a": [{"exists": True}]}, {})
    assert matches({"a": [{"anything-but": ["x"]}]}, {"a": "y"})
    assert not matches({"a": [{"anything-but": "x"}]}, {"a": "x"})


def test_the_input_template_maps_each_workflow_input_field_from_the_user_message_item_of_that_name():
    # The template is configuration (brain_core/config.py); its fields are the contracts': each
    # WorkflowInput field is the UserMessage item's attribute of the same name, and nothing else.
    user_message_fields = set(UserMessage.__dataclass_fields__)
    assert set(WorkflowInput.WIRE_FIELDS) <= user_message_fields, set(WorkflowInput.WIRE_FIELDS) - user_message_fields
    expected = "{" + ", ".join(f'"{name}": <$.dynamodb.NewImage.{name}.S>' for name in WorkflowInput.WIRE_FIELDS) + "}"
    assert SETTINGS.pipe.input_template == expected


def test_the_input_template_produces_workflow_input_from_a_user_message():
    message = UserMessage.new("c1", "ada", 'say "hi"\n', client_message_id="client-7")
    rendered = render(SETTINGS.pipe.input_template, record(content=message.content, message=message))
    assert rendered == {name: getattr(message, name) for name in WorkflowInput.WIRE_FIELDS}
    assert WorkflowInput.from_dict(rendered).to_dict() == rendered  # read back through its contract


def test_a_missing_attribute_renders_as_null():
    assert render(SETTINGS.pipe.input_template, record(content=None))["content"] is None


# -- the pipe against a stream that misbehaves -------------------------------------------------


def client_error(code: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"{code} (test)"}}, operation)


class FakeStreams:
    """DynamoDB Streams as the pipe sees it, with shards, iterators that expire, and failures
    queued per operation (each queued exception is raised by one call)."""

    def __init__(self):
        self.shards: dict[str, dict] = {"shard-1": {"records": [], "parent": None, "closed": False}}
        self.failures: dict[str, list[Exception]] = {"describe_stream": [], "get_records": [], "get_shard_iterator": []}
        self.iterators: dict[str, tuple[str, int]] = {}
        self.opened: list[dict] = []
        self._next_seq = 100
        self._lock = threading.Lock()

    def put(self, message_id: str, role: str = "user", shard: str = "shard-1") -> str:
        with self._lock:
            self._next_seq += 1
            seq = str(self._next_seq)
            self.shards[shard]["records"].append({**record(role=role), "eventID": message_id})
            self.shards[shard]["records"][-1]["dynamodb"] = {
                "SequenceNumber": seq,
                "NewImage": {**record(role=role)["dynamodb"]["NewImage"], "messageId": {"S": message_id}},
            }
            return seq

    def split(self, parent: str, child: str) -> None:
        with self._lock:
            self.shards[parent]["closed"] = True
            self.shards[child] = {"records": [], "parent": parent, "closed": False}

    def expire_iterators(self) -> None:
        with self._lock:
            self.iterators.clear()

    def _maybe_fail(self, operation: str) -> None:
        if self.failures[operation]:
            raise self.failures[operation].pop(0)

    def _iterator(self, shard: str, position: int) -> str:
        token = f"{shard}/{position}/{len(self.iterators)}"
        self.iterators[token] = (shard, position)
        return token

    def describe_stream(self, StreamArn, ExclusiveStartShardId=None):
        self._maybe_fail("describe_stream")
        with self._lock:
            shards = [
                {"ShardId": shard_id, **({"ParentShardId": s["parent"]} if s["parent"] else {})}
                for shard_id, s in self.shards.items()
            ]
        return {"StreamDescription": {"StreamArn": StreamArn, "Shards": shards}}

    def get_shard_iterator(self, StreamArn, ShardId, ShardIteratorType, SequenceNumber=None):
        self._maybe_fail("get_shard_iterator")
        self.opened.append(
            {"ShardId": ShardId, "ShardIteratorType": ShardIteratorType, "SequenceNumber": SequenceNumber}
        )
        with self._lock:
            records = self.shards[ShardId]["records"]
            if ShardIteratorType == "TRIM_HORIZON":
                position = 0
            elif ShardIteratorType == "LATEST":
                position = len(records)
            else:
                position = next(
                    i + 1 for i, r in enumerate(records) if r["dynamodb"]["SequenceNumber"] == SequenceNumber
                )
            return {"ShardIterator": self._iterator(ShardId, position)}

    def get_records(self, ShardIterator, Limit):
        self._maybe_fail("get_records")
        with self._lock:
            if ShardIterator not in self.iterators:
                raise client_error("ExpiredIteratorException", "GetRecords")
            shard, position = self.iterators[ShardIterator]
            records = self.shards[shard]["records"][position : position + Limit]
            end = position + len(records)
            page = {"Records": records}
            if not (self.shards[shard]["closed"] and end == len(self.shards[shard]["records"])):
                page["NextShardIterator"] = self._iterator(shard, end)
            return page


class FakeStepFunctions:
    def __init__(self):
        self.started: list[str] = []
        self.failures: list[Exception] = []
        self.running: set[str] = set()  # message ids whose executions have not ended

    def start_execution(self, stateMachineArn, name, input):
        if self.failures:
            raise self.failures.pop(0)
        message_id = json.loads(input)["messageId"]
        self.started.append(message_id)
        return {"executionArn": f"arn:execution:{message_id}:{len(self.started)}"}

    def describe_execution(self, executionArn):
        return {"status": "RUNNING" if executionArn.split(":")[2] in self.running else "SUCCEEDED"}


class FakeQueue:
    def __init__(self):
        self.messages: list[dict] = []
        self.failures: list[Exception] = []

    def send_message(self, QueueUrl, MessageBody):
        if self.failures:
            raise self.failures.pop(0)
        self.messages.append(json.loads(MessageBody))


@pytest.fixture
def parts():
    return FakeStreams(), FakeStepFunctions(), FakeQueue()


def make_pipe(parts, **kwargs) -> Pipe:
    streams, sfn, sqs = parts
    return Pipe(
        streams,
        sfn,
        sqs,
        "arn:stream",
        "arn:sm",
        "dlq",
        SETTINGS.pipe,
        poll_interval=0.001,
        backoff=(0.001, 0.01),
        **kwargs,
    )


@pytest.fixture
def running(parts):
    pipes = []

    def start(**kwargs) -> Pipe:
        pipe = make_pipe(parts, **kwargs)
        pipe.open()
        pipe.start()
        pipes.append(pipe)
        return pipe

    yield start
    for pipe in pipes:
        stop(pipe)


def eventually(condition, what: str, limit: float = 10.0):
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"not within {limit} s: {what}"
        time.sleep(0.002)


def test_a_shard_never_read_is_read_from_its_first_record(parts, running):
    streams, sfn, _ = parts
    streams.put("written-before-the-pipe-opened")
    running()
    streams.put("written-after")
    eventually(lambda: len(sfn.started) == 2, "both messages started")
    assert sfn.started == ["written-before-the-pipe-opened", "written-after"]
    assert streams.opened[0]["ShardIteratorType"] == "TRIM_HORIZON"


def test_get_records_errors_are_retried_and_each_record_starts_once(parts, running):
    streams, sfn, _ = parts
    pipe = running()
    for i in range(3):
        streams.put(f"m{i}")
    eventually(lambda: len(sfn.started) == 3, "the first three started")
    streams.failures["get_records"] += [client_error("InternalServerError", "GetRecords")] * 3
    streams.failures["describe_stream"] += [client_error("ThrottlingException", "DescribeStream")]
    for i in range(3, 6):
        streams.put(f"m{i}")
    eventually(lambda: len(sfn.started) == 6 and pipe.state == "running", "the pipe recovered")
    assert sfn.started == [f"m{i}" for i in range(6)]  # none lost, none twice, in order
    assert pipe.counts["readErrors"] == 4
    assert pipe.last_error["operation"] in ("GetRecords", "DescribeStream")


def test_an_expired_iterator_resumes_after_the_last_record_processed(parts, running):
    streams, sfn, _ = parts
    pipe = running()
    last = [streams.put(f"m{i}") for i in range(3)][-1]
    eventually(lambda: len(sfn.started) == 3, "the first three started")
    streams.expire_iterators()
    streams.put("m3")
    eventually(lambda: len(sfn.started) == 4 and pipe.state == "running", "the fourth started, the pass ended")
    assert sfn.started == ["m0", "m1", "m2", "m3"]
    assert streams.opened[-1] == {
        "ShardId": "shard-1",
        "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
        "SequenceNumber": last,
    }
    assert pipe.counts["readErrors"] == 1


def test_a_stream_that_keeps_failing_shows_in_the_status_and_the_thread_stays(parts, running):
    streams, sfn, _ = parts
    pipe = running()
    streams.failures["get_records"] += [client_error("InternalServerError", "GetRecords")] * 10_000
    eventually(lambda: pipe.counts["readErrors"] >= 5, "several failed reads")
    status = pipe.status()
    assert status["state"] == "retrying" and pipe.is_alive()
    assert status["lastError"]["operation"] == "GetRecords" and "InternalServerError" in status["lastError"]["error"]
    streams.failures["get_records"].clear()
    streams.put("after-the-outage")
    eventually(lambda: sfn.started == ["after-the-outage"], "the message after the outage")
    eventually(lambda: pipe.status()["state"] == "running", "the state back to running, once the pass ends")


def test_a_failed_start_is_retried_then_dead_lettered_and_a_failed_dead_letter_is_retried(parts, running):
    streams, sfn, sqs = parts
    pipe = running()
    attempts = 1 + SETTINGS.pipe.maximum_retry_attempts
    sfn.failures += [client_error("ServiceUnavailable", "StartExecution")] * (attempts + 1)
    sqs.failures += [client_error("ServiceUnavailable", "SendMessage")] * 2
    streams.put("never-started")
    streams.put("started-after-it")
    eventually(lambda: sfn.started == ["started-after-it"], "the next record started")
    assert [m["record"]["eventID"] for m in sqs.messages] == ["never-started"]
    assert pipe.counts["startFailures"] == attempts + 1 and pipe.counts["deadLetterFailures"] == 2
    assert pipe.counts["deadLettered"] == 1


def test_a_new_shard_is_read_from_its_start_once_its_parent_is_read_to_the_end(parts, running):
    streams, sfn, _ = parts
    running()
    streams.put("in-the-parent")
    eventually(lambda: sfn.started == ["in-the-parent"], "the parent's record")
    streams.split("shard-1", "shard-2")
    streams.put("in-the-child", shard="shard-2")
    eventually(lambda: sfn.started == ["in-the-parent", "in-the-child"], "the child's record")
    assert {"ShardId": "shard-2", "ShardIteratorType": "TRIM_HORIZON", "SequenceNumber": None} in streams.opened


def stop(pipe: Pipe) -> None:
    pipe.stop()
    pipe.join(timeout=5)


def test_a_pipe_with_a_checkpoint_file_resumes_after_it_neither_replaying_nor_skipping(parts, running, tmp_path):
    streams, sfn, _ = parts
    first = running(checkpoints=FileCheckpoints(tmp_path / "checkpoint.json"))
    for i in range(3):
        streams.put(f"before-{i}")
    eventually(lambda: len(sfn.started) == 3, "three started")
    stop(first)
    streams.put("while-it-was-down")
    running(checkpoints=FileCheckpoints(tmp_path / "checkpoint.json"))
    streams.put("after-the-restart")
    eventually(lambda: len(sfn.started) == 5, "the two new ones")
    assert sfn.started == ["before-0", "before-1", "before-2", "while-it-was-down", "after-the-restart"]


def test_after_a_restart_a_record_whose_run_was_cut_short_is_delivered_again_and_no_other(parts, running, tmp_path):
    # Offline, a running execution dies with the stack: the kept checkpoint waits for runs to end.
    streams, sfn, _ = parts
    first = running(checkpoints=FileCheckpoints(tmp_path / "checkpoint.json"))
    sfn.running.add("cut-short")
    for message_id in ("answered", "cut-short", "answered-after-it"):
        streams.put(message_id)
    eventually(lambda: len(sfn.started) == 3, "three started")
    eventually(lambda: first.status()["shards"]["shard-1"]["checkpoint"] is not None, "the first run ended")
    stop(first)
    sfn.running.clear()  # the stack is gone, and its runs with it
    running(checkpoints=FileCheckpoints(tmp_path / "checkpoint.json"))
    eventually(lambda: len(sfn.started) == 5, "the two after the checkpoint again")
    assert sfn.started == ["answered", "cut-short", "answered-after-it", "cut-short", "answered-after-it"]


def test_records_written_while_stopped_are_skipped_and_the_checkpoint_moves_past_them(parts, running):
    streams, sfn, _ = parts
    pipe = running()
    with pipe.stopped():
        for i in range(5):
            streams.put(f"imported-{i}")
    streams.put("new")
    eventually(lambda: sfn.started == ["new"], "only the new message")
    assert pipe.counts["skipped"] == 5


def test_a_pipe_thread_that_ends_by_a_bug_says_so_in_its_status(parts):
    streams, _, _ = parts

    def broken(record):
        raise SystemExit("a bug, not a failed call")

    pipe = make_pipe(parts, before_start=broken)
    pipe.open()
    pipe.start()
    streams.put("m0")
    pipe.join(timeout=5)
    assert not pipe.is_alive()
    assert pipe.status()["state"] == "stopped" and "a bug" in pipe.status()["lastError"]["error"]
