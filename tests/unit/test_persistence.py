"""The data dir: writes journaled, restored into freshly created tables with the same stream
sequence numbers, compacted into a snapshot; a partial last line (a crash mid-write) ignored."""

import json

import pytest
from moto import mock_aws
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.test import Client

from brain_local.dynamodb.persistence import DataDir, OrderedWrites, stream_ends

HEADERS = {
    "Content-Type": "application/x-amz-json-1.0",
    "Authorization": "AWS4-HMAC-SHA256 Credential=a/20260101/us-east-1/dynamodb/aws4_request",
}


def call(client: Client, operation: str, body: dict) -> dict:
    response = client.post(
        "/", data=json.dumps(body), headers={**HEADERS, "X-Amz-Target": f"DynamoDB_20120810.{operation}"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return json.loads(response.get_data() or b"{}")


def fresh_stack(tmp_path, compact_every=1000):
    """What a stack start does: tables created from configuration, then the data dir restored."""
    writes = OrderedWrites(DomainDispatcherApplication(create_backend_app))
    client = Client(writes)
    call(
        client,
        "CreateTable",
        {
            "TableName": "Messages",
            "KeySchema": [{"AttributeName": "c", "KeyType": "HASH"}, {"AttributeName": "m", "KeyType": "RANGE"}],
            "AttributeDefinitions": [
                {"AttributeName": "c", "AttributeType": "S"},
                {"AttributeName": "m", "AttributeType": "S"},
            ],
            "BillingMode": "PAY_PER_REQUEST",
            "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        },
    )
    data_dir = DataDir(tmp_path, writes, compact_every=compact_every)
    restored = data_dir.restore()
    return client, data_dir, restored


def put(client, n: int) -> None:
    call(
        client,
        "PutItem",
        {"TableName": "Messages", "Item": {"c": {"S": "c1"}, "m": {"S": f"{n:04d}"}, "n": {"N": str(n)}}},
    )


def items(client) -> list[str]:
    page = call(
        client,
        "Query",
        {"TableName": "Messages", "KeyConditionExpression": "c = :c", "ExpressionAttributeValues": {":c": {"S": "c1"}}},
    )
    return [i["m"]["S"] for i in page["Items"]]


@pytest.fixture
def restart():
    """Each call: a new moto world, as a new DynamoDB process would have."""
    mocks = []

    def new_world():
        if mocks:
            mocks.pop().stop()
        mock = mock_aws()
        mock.start()
        mocks.append(mock)

    yield new_world
    for mock in mocks:
        mock.stop()


def test_writes_come_back_after_a_crash_with_the_same_stream_sequence_numbers(tmp_path, restart):
    restart()
    client, _, restored = fresh_stack(tmp_path)
    assert restored == {"items": 0, "replayed": 0}
    for n in range(5):
        put(client, n)
    call(client, "DeleteItem", {"TableName": "Messages", "Key": {"c": {"S": "c1"}, "m": {"S": "0002"}}})
    ends_before = stream_ends()

    restart()  # a crash: no snapshot, the journal only
    client, _, restored = fresh_stack(tmp_path)
    assert restored["replayed"] == 6
    assert items(client) == ["0000", "0001", "0003", "0004"]
    assert stream_ends() == ends_before  # the pipe's checkpoint still names the same records
    put(client, 5)
    assert int(stream_ends()["Messages"].popitem()[1]) == int(ends_before["Messages"].popitem()[1]) + 1


def test_every_so_many_writes_a_snapshot_replaces_the_journal(tmp_path, restart):
    restart()
    client, _, _ = fresh_stack(tmp_path, compact_every=3)
    for n in range(7):
        put(client, n)
    journals = sorted(p.name for p in tmp_path.glob("journal-*.jsonl"))
    assert len(journals) == 1 and (tmp_path / "tables.pickle").exists()
    assert len((tmp_path / journals[0]).read_text().splitlines()) == 1  # 7 writes: two snapshots, one left

    restart()
    client, _, restored = fresh_stack(tmp_path)
    assert restored == {"items": 6, "replayed": 1}
    assert items(client) == [f"{n:04d}" for n in range(7)]


def test_a_clean_stop_leaves_nothing_to_replay_and_a_partial_line_is_ignored(tmp_path, restart):
    restart()
    client, data_dir, _ = fresh_stack(tmp_path)
    put(client, 1)
    data_dir.close()
    [journal] = tmp_path.glob("journal-*.jsonl")
    journal.write_text('{"op": "PutItem", "auth": "x", "bo')  # a crash in the middle of a line

    restart()
    client, _, restored = fresh_stack(tmp_path)
    assert restored == {"items": 1, "replayed": 0}
    assert items(client) == ["0001"]
