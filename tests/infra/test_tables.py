"""Point 1: the tables of docs/design.md §3."""

import pytest
from aws_cdk.assertions import Match

from brain_core.config import function_environment
from brain_core.tables import CONVERSATIONS_BY_UPDATED, TABLES


def table(synth, key):
    return synth.resources[synth.logical_id(synth.stack.tables[key])]


def test_messages_table_keys_stream_and_recovery(default):
    props = table(default, "messages")["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": "conversationId", "KeyType": "HASH"},
        {"AttributeName": "messageId", "KeyType": "RANGE"},
    ]
    assert sorted(props["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == [
        {"AttributeName": "conversationId", "AttributeType": "S"},
        {"AttributeName": "messageId", "AttributeType": "S"},
    ]
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    # The users' conversations outlive the stack.
    assert table(default, "messages")["DeletionPolicy"] == "Retain"


def test_response_chunks_table_keys_and_ttl(default):
    props = table(default, "chunks")["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": "messageId", "KeyType": "HASH"},
        {"AttributeName": "seq", "KeyType": "RANGE"},
    ]
    assert {"AttributeName": "seq", "AttributeType": "N"} in props["AttributeDefinitions"]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert "StreamSpecification" not in props


def test_idempotency_table_matches_powertools_defaults(default):
    props = table(default, "idempotency")["Properties"]
    assert props["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}


def test_the_memory_table_is_one_partition_per_owner_expiring_and_kept(default):
    resource = table(default, "memory")
    props = resource["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": "owner", "KeyType": "HASH"},
        {"AttributeName": "factKey", "KeyType": "RANGE"},
    ]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert resource["DeletionPolicy"] == "Retain"  # what people told the brain is their data


def test_conversations_are_per_owner_with_a_newest_first_index_and_kept(default):
    resource = table(default, "conversations")
    props = resource["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": "owner", "KeyType": "HASH"},
        {"AttributeName": "conversationId", "KeyType": "RANGE"},
    ]
    [index] = props["LocalSecondaryIndexes"]
    assert index["IndexName"] == CONVERSATIONS_BY_UPDATED
    assert index["KeySchema"][1] == {"AttributeName": "updatedAt", "KeyType": "RANGE"}
    assert resource["DeletionPolicy"] == "Retain"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_every_table_is_encrypted_on_demand_and_named_by_cloudformation(default):
    tables = default.of_type("AWS::DynamoDB::Table")
    assert len(tables) == len(TABLES)
    for resource in tables.values():
        props = resource["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["SSESpecification"] == {"SSEEnabled": True}
        assert "TableName" not in props


def test_functions_get_the_real_table_names(default):
    refs = {key: {"Ref": default.logical_id(t)} for key, t in default.stack.tables.items()}
    default.template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "FunctionName": "brain-perception",
            "Environment": {
                "Variables": Match.object_like(
                    {
                        "MESSAGES_TABLE": refs["messages"],
                        "CHUNKS_TABLE": refs["chunks"],
                    }
                )
            },
        },
    )
    if "IDEMPOTENCY_TABLE" in function_environment("language"):
        default.template.has_resource_properties(
            "AWS::Lambda::Function",
            {
                "FunctionName": "brain-language",
                "Environment": {"Variables": Match.object_like({"IDEMPOTENCY_TABLE": refs["idempotency"]})},
            },
        )


# -- the offline stack builds the same tables --------------------------------------------------


@pytest.fixture(scope="module")
def offline(tmp_path_factory):
    """Each table of a running offline stack: DescribeTable, DescribeTimeToLive and
    DescribeContinuousBackups, by spec key."""
    from brain_local.stack.lifecycle import OfflineStack
    from brain_local.stack.options import OfflineStackOptions

    options = OfflineStackOptions(
        port=0, log_dir=tmp_path_factory.mktemp("logs"), state_dir=tmp_path_factory.mktemp("state")
    )
    with OfflineStack(options) as stack:
        ddb = stack.client("dynamodb")
        described = {}
        for spec in TABLES:
            name = getattr(stack.settings, spec.setting)
            described[spec.key] = {
                "table": ddb.describe_table(TableName=name)["Table"],
                "ttl": ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"],
                "backups": ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"],
            }
        yield described


def _as_deployed(props: dict) -> dict:
    """A CloudFormation table's properties, in the terms DynamoDB describes a table in."""
    return {
        "keys": props["KeySchema"],
        "attributes": sorted(props["AttributeDefinitions"], key=lambda a: a["AttributeName"]),
        "billing": props["BillingMode"],
        "encrypted": props.get("SSESpecification", {}).get("SSEEnabled", False),
        "stream": props.get("StreamSpecification", {}).get("StreamViewType"),
        "ttl": props["TimeToLiveSpecification"]["AttributeName"]
        if props.get("TimeToLiveSpecification", {}).get("Enabled")
        else None,
        "pitr": props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled", False),
        "indexes": _indexes(props.get("LocalSecondaryIndexes", [])),
    }


def _indexes(indexes: list[dict]) -> list:
    return sorted((i["IndexName"], [tuple(k.items()) for k in i["KeySchema"]]) for i in indexes)


def _as_described(described: dict) -> dict:
    table = described["table"]
    stream = table.get("StreamSpecification", {})
    return {
        "keys": table["KeySchema"],
        "attributes": sorted(table["AttributeDefinitions"], key=lambda a: a["AttributeName"]),
        "billing": table["BillingModeSummary"]["BillingMode"],
        "encrypted": table.get("SSEDescription", {}).get("Status") == "ENABLED",
        "stream": stream.get("StreamViewType") if stream.get("StreamEnabled") else None,
        "ttl": described["ttl"].get("AttributeName") if described["ttl"]["TimeToLiveStatus"] == "ENABLED" else None,
        "pitr": described["backups"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED",
        "indexes": _indexes(table.get("LocalSecondaryIndexes", [])),
    }


def test_the_offline_stack_builds_the_tables_the_template_deploys(default, offline):
    assert set(offline) == set(default.stack.tables) == {spec.key for spec in TABLES}
    for key in offline:
        deployed = _as_deployed(table(default, key)["Properties"])
        assert _as_described(offline[key]) == deployed, key
        assert deployed["keys"] == [k for spec in TABLES if spec.key == key for k in spec.key_schema()]
