"""Point 1: the tables of DESIGN §3."""

from aws_cdk.assertions import Match

from brain_core.config import SETTINGS, function_environment


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


def test_conversations_are_per_owner_with_a_newest_first_index_and_kept(default):
    resource = table(default, "conversations")
    props = resource["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": "owner", "KeyType": "HASH"},
        {"AttributeName": "conversationId", "KeyType": "RANGE"},
    ]
    [index] = props["LocalSecondaryIndexes"]
    assert index["IndexName"] == SETTINGS.client_api.conversations_index
    assert index["KeySchema"][1] == {"AttributeName": "updatedAt", "KeyType": "RANGE"}
    assert resource["DeletionPolicy"] == "Retain"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_every_table_is_encrypted_on_demand_and_named_by_cloudformation(default):
    tables = default.of_type("AWS::DynamoDB::Table")
    assert len(tables) == 4
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
