"""The language step's lease on its idempotency record, with Powertools idempotency and moto."""

import threading
import time

import boto3
import pytest
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig, idempotent
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError
from moto import mock_aws

from agents.language.lease import Lease, WatchedRecords


class Context:
    """A Lambda context with the language function's 30 s still to run."""

    function_name, memory_limit_in_mb, aws_request_id = "brain-language", 512, "r"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:brain-language"

    def get_remaining_time_in_millis(self):
        return 30_000


@pytest.fixture
def records():
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="idempotency",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield WatchedRecords(client)


def leased_step(records, body, seconds=1.0, renew_every=0.3):
    """An idempotent step as the language handler builds it: the window outside, renewal inside."""
    persistence = DynamoDBPersistenceLayer(table_name="idempotency", boto3_client=records)
    lease = Lease(records, persistence, seconds=seconds, renew_every=renew_every)

    @lease.windowed
    @idempotent(config=IdempotencyConfig(event_key_jmespath="messageId"), persistence_store=persistence)
    def step(event, context):
        with lease.held():
            return body(event, lease)

    return step, persistence, lease


def stored_record(records):
    [item] = records.scan(TableName="idempotency")["Items"]
    return item


def test_the_in_progress_window_is_the_lease_not_the_functions_timeout(records):
    seen = {}

    def body(event, lease):
        seen["until"] = int(stored_record(records)["in_progress_expiration"]["N"])
        return {"ok": True}

    step, _, _ = leased_step(records, body, seconds=10.0, renew_every=2.5)
    step({"messageId": "m1"}, Context())
    assert seen["until"] <= (time.time() + 10.5) * 1000  # not now + 30 s


def test_a_dead_runs_record_is_taken_over_once_its_lease_lapses(records):
    def dies_first_then_answers(event, lease):
        if not event.get("retry"):
            raise SystemExit("the execution environment is gone")  # not an Exception: no clean-up runs
        return {"took_over": lease.took_over}

    step, _, _ = leased_step(records, dies_first_then_answers)
    with pytest.raises(SystemExit):
        step({"messageId": "m1"}, Context())
    assert stored_record(records)["status"]["S"] == "INPROGRESS"  # what a dead run leaves
    with pytest.raises(IdempotencyAlreadyInProgressError):
        step({"messageId": "m1", "retry": True}, Context())
    time.sleep(1.2)  # the lease lapses (not the function's 30 s)
    assert step({"messageId": "m1", "retry": True}, Context()) == {"took_over": True}


def test_a_live_run_keeps_its_record_past_the_lease_and_a_duplicate_waits_for_its_result(records):
    release = threading.Event()

    def slow(event, lease):
        release.wait(5)
        return {"answer": 42, "took_over": lease.took_over, "renewals": lease.renewals}

    step, _, lease = leased_step(records, slow, seconds=2.0, renew_every=0.4)
    first = {}
    runner = threading.Thread(target=lambda: first.update(step({"messageId": "m1"}, Context())))
    runner.start()
    time.sleep(3.0)  # past the lease: without renewal the record would have lapsed
    with pytest.raises(IdempotencyAlreadyInProgressError):
        step({"messageId": "m1"}, Context())
    release.set()
    runner.join(5)
    assert first["answer"] == 42 and first["took_over"] is False and first["renewals"] >= 3
    assert step({"messageId": "m1"}, Context())["answer"] == 42  # the duplicate gets the first run's result


def test_a_lease_renewed_too_rarely_is_refused():
    with pytest.raises(ValueError, match="renew"):
        Lease(None, None, seconds=5, renew_every=3)
