"""The offline IAM evaluator (brain_local.iam.policy), the intrinsics' resolution
(brain_local.iam.template) and the mapping of requests to actions (brain_local.iam.actions)."""

from __future__ import annotations

import json

import pytest

from brain_core.config import SETTINGS
from brain_local.iam.actions import RequestMapper
from brain_local.iam.policy import ALLOW, DENY, IMPLICIT_DENY, Policy, UnsupportedPolicy
from brain_local.iam.template import OfflineResources, resolve

REGION, ACCOUNT = "us-east-1", "123456789012"
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/BrainMessages"


def allow(action, resource, **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


# -- evaluation ------------------------------------------------------------------------------
def test_nothing_is_allowed_by_default():
    assert Policy([]).decide("dynamodb:GetItem", TABLE) == IMPLICIT_DENY


def test_an_allow_names_the_action_and_the_resource():
    policy = Policy([allow(["dynamodb:Query", "dynamodb:PutItem"], TABLE)])
    assert policy.decide("dynamodb:PutItem", TABLE) == ALLOW
    assert policy.decide("dynamodb:DeleteItem", TABLE) == IMPLICIT_DENY
    assert policy.decide("dynamodb:PutItem", TABLE.replace("BrainMessages", "BrainMemory")) == IMPLICIT_DENY


def test_a_grant_on_a_table_is_not_a_grant_on_its_indexes():
    policy = Policy([allow("dynamodb:Query", TABLE)])
    assert policy.decide("dynamodb:Query", f"{TABLE}/index/byUpdatedAt") == IMPLICIT_DENY
    assert Policy([allow("dynamodb:Query", f"{TABLE}/index/*")]).decide("dynamodb:Query", f"{TABLE}/index/x") == ALLOW


def test_actions_match_case_insensitively_with_wildcards_resources_case_sensitively():
    policy = Policy([allow("DynamoDB:Get*", "arn:aws:dynamodb:*:*:table/Brain?essages")])
    assert policy.decide("dynamodb:GetItem", TABLE) == ALLOW
    assert policy.decide("dynamodb:PutItem", TABLE) == IMPLICIT_DENY
    assert policy.decide("dynamodb:GetItem", TABLE.replace("BrainMessages", "brainmessages")) == IMPLICIT_DENY


def test_a_wildcard_stays_within_its_arn_component():
    """``arn:aws:bedrock:*::foundation-model/x``: any region, never an account."""
    policy = Policy([allow("bedrock:InvokeModel", "arn:aws:bedrock:*::foundation-model/amazon.nova-lite-v1:0")])
    assert (
        policy.decide("bedrock:InvokeModel", "arn:aws:bedrock:eu-west-1::foundation-model/amazon.nova-lite-v1:0")
        == ALLOW
    )
    sneaky = "arn:aws:bedrock:us-east-1:123456789012:x::foundation-model/amazon.nova-lite-v1:0"
    assert policy.decide("bedrock:InvokeModel", sneaky) == IMPLICIT_DENY


def test_an_explicit_deny_wins_over_any_allow():
    policy = Policy([allow("dynamodb:*", "*"), {"Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": TABLE}])
    assert policy.decide("dynamodb:PutItem", TABLE) == ALLOW
    assert policy.decide("dynamodb:DeleteItem", TABLE) == DENY


def test_not_action_and_not_resource():
    policy = Policy([{"Effect": "Allow", "NotAction": "dynamodb:DeleteItem", "NotResource": TABLE}])
    other = TABLE.replace("BrainMessages", "BrainMemory")
    assert policy.decide("dynamodb:PutItem", other) == ALLOW
    assert policy.decide("dynamodb:DeleteItem", other) == IMPLICIT_DENY
    assert policy.decide("dynamodb:PutItem", TABLE) == IMPLICIT_DENY


def test_conditions_are_evaluated():
    policy = Policy([allow("sqs:SendMessage", "*", Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1"}})])
    assert policy.decide("sqs:SendMessage", "q", {"aws:RequestedRegion": "us-east-1"}) == ALLOW
    assert policy.decide("sqs:SendMessage", "q", {"aws:RequestedRegion": "eu-west-1"}) == IMPLICIT_DENY
    assert policy.decide("sqs:SendMessage", "q", {}) == IMPLICIT_DENY  # an absent key does not match
    if_exists = Policy([allow("sqs:SendMessage", "*", Condition={"StringEqualsIfExists": {"aws:x": "1"}})])
    assert if_exists.decide("sqs:SendMessage", "q", {}) == ALLOW
    deny_plain = {
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    secure_only = Policy([allow("*", "*"), deny_plain])
    assert secure_only.decide("sqs:SendMessage", "q", {"aws:SecureTransport": "false"}) == DENY
    assert secure_only.decide("sqs:SendMessage", "q", {"aws:SecureTransport": "true"}) == ALLOW


@pytest.mark.parametrize(
    "statement",
    [
        allow("s3:GetObject", "*", Condition={"NumericLessThan": {"s3:max-keys": "10"}}),  # an operator not evaluated
        allow("s3:GetObject", "*", Condition={"ForSomeValues:StringEquals": {"aws:TagKeys": "a"}}),
        allow("s3:GetObject", "*", Principal={"AWS": "*"}),  # not in an identity policy
        allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/*"),  # a policy variable
        allow("s3:GetObject", {"Fn::GetAtt": ["Bucket", "Arn"]}),  # an intrinsic left unresolved
        {"Effect": "Maybe", "Action": "*", "Resource": "*"},
        {"Effect": "Allow", "Action": "*"},
    ],
)
def test_what_it_cannot_evaluate_it_refuses_to_load(statement):
    with pytest.raises(UnsupportedPolicy):
        Policy([statement])


# -- resolution --------------------------------------------------------------------------------
OFFLINE = OfflineResources(
    settings=SETTINGS,
    account=ACCOUNT,
    stream_arn=f"{TABLE}/stream/2026-12-01T00:00:00.000",
    queue_url=f"http://127.0.0.1:4566/{ACCOUNT}/BrainInCup-pipe-dlq",
    state_machine_arn=f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:BrainWorkflow",
    events_api_id="eventsapi",
)
REFERENCES = {
    "Messages1": {"kind": "table", "key": "messages"},
    "Conversations1": {"kind": "table", "key": "conversations"},
    "Workflow1": {"kind": "state-machine"},
    "Queue1": {"kind": "queue"},
    "Events1": {"kind": "events-api"},
    "Depth1": {"kind": "function", "key": "depth"},
}


def test_intrinsics_resolve_to_the_offline_arns():
    conversations = {"Fn::GetAtt": ["Conversations1", "Arn"]}
    statement = {
        "Resource": [
            {"Fn::GetAtt": ["Messages1", "Arn"]},
            {"Fn::Join": ["", [conversations, "/index/byUpdatedAt"]]},
            {"Fn::GetAtt": ["Messages1", "StreamArn"]},
            {"Ref": "Workflow1"},
            {"Fn::GetAtt": ["Queue1", "Arn"]},
            {
                "Fn::Join": [
                    "",
                    [
                        "arn:aws:appsync:us-east-1:",
                        {"Ref": "AWS::AccountId"},
                        ":apis/",
                        {"Fn::GetAtt": ["Events1", "ApiId"]},
                        "/channelNamespace/brain",
                    ],
                ]
            },
            {
                "Fn::Sub": [
                    "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${Name}",
                    {"Name": {"Ref": "Depth1"}},
                ]
            },
            {"Fn::GetAtt": "Depth1.Arn"},
            {"Fn::Select": [1, {"Fn::Split": ["/", "a/b/c"]}]},
        ]
    }
    assert resolve(statement, REFERENCES, OFFLINE)["Resource"] == [
        TABLE,
        f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/BrainConversations/index/byUpdatedAt",
        OFFLINE.stream_arn,
        OFFLINE.state_machine_arn,
        f"arn:aws:sqs:{REGION}:{ACCOUNT}:BrainInCup-pipe-dlq",
        f"arn:aws:appsync:{REGION}:{ACCOUNT}:apis/eventsapi/channelNamespace/brain",
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{SETTINGS.function_name('depth')}",
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{SETTINGS.function_name('depth')}",
        "b",
    ]


def test_an_unknown_intrinsic_or_pseudo_parameter_is_refused():
    with pytest.raises(UnsupportedPolicy):
        resolve({"Fn::ImportValue": "Shared-Table"}, REFERENCES, OFFLINE)
    with pytest.raises(UnsupportedPolicy):
        resolve({"Ref": "AWS::NotificationARNs"}, REFERENCES, OFFLINE)


def test_a_resource_no_offline_call_reaches_resolves_to_an_arn_nothing_matches():
    resolved = resolve({"Fn::GetAtt": ["WebSite1", "Arn"]}, REFERENCES, OFFLINE)
    assert resolved.startswith("arn:aws:cloudformation:") and "WebSite1" in resolved


# -- requests to actions ---------------------------------------------------------------------------
MAPPER = RequestMapper(REGION, ACCOUNT)


def dynamodb(operation: str, body: dict):
    headers = {"x-amz-target": f"DynamoDB_20120810.{operation}"}
    return MAPPER.map("POST", "/", "", headers, json.dumps(body).encode(), "dynamodb").needs


def test_dynamodb_requests_map_to_their_table_or_index():
    assert dynamodb("PutItem", {"TableName": "BrainMessages"}) == (("dynamodb:PutItem", TABLE),)
    index = "arn:aws:dynamodb:us-east-1:123456789012:table/BrainConversations/index/byUpdatedAt"
    assert dynamodb("Query", {"TableName": "BrainConversations", "IndexName": "byUpdatedAt"}) == (
        ("dynamodb:Query", index),
    )


def test_transactions_and_batches_map_per_item_and_per_table():
    transact = dynamodb(
        "TransactWriteItems",
        {"TransactItems": [{"Put": {"TableName": "BrainMessages"}}, {"ConditionCheck": {"TableName": "BrainMemory"}}]},
    )
    memory = TABLE.replace("BrainMessages", "BrainMemory")
    assert transact == (("dynamodb:PutItem", TABLE), ("dynamodb:ConditionCheckItem", memory))
    batch = dynamodb("BatchWriteItem", {"RequestItems": {"BrainMessages": [], "BrainMemory": []}})
    assert batch == (("dynamodb:BatchWriteItem", TABLE), ("dynamodb:BatchWriteItem", memory))


def test_the_other_services_map_to_their_resources():
    sfn = MAPPER.map(
        "POST", "/", "", {"x-amz-target": "AWSStepFunctions.StartExecution"}, b'{"stateMachineArn": "arn:sm"}', "states"
    )
    assert sfn.needs == (("states:StartExecution", "arn:sm"),)
    sqs = MAPPER.map(
        "POST",
        "/",
        "",
        {"x-amz-target": "AmazonSQS.SendMessageBatch"},
        b'{"QueueUrl": "http://127.0.0.1:4566/123456789012/dlq"}',
        "sqs",
    )
    assert sqs.needs == (("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:dlq"),)
    invoke = MAPPER.map("POST", "/2015-03-31/functions/brain-depth/invocations", "Qualifier=live", {}, b"{}", "lambda")
    assert invoke.needs == (
        ("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:brain-depth:live"),
    )
    stream = MAPPER.map("POST", "/model/amazon.nova-pro-v1:0/converse-stream", "", {}, b"{}", "bedrock")
    model = "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0"
    assert stream.needs == (("bedrock:InvokeModelWithResponseStream", model),)
    profile = MAPPER.map("POST", "/model/us.amazon.nova-lite-v1:0/converse", "", {}, b"{}", "bedrock")
    assert profile.needs == (
        ("bedrock:InvokeModel", "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0"),
        ("bedrock:InvokeModel", "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0"),
    )


def test_cognitos_unsigned_operations_are_those_botocore_sends_unsigned():
    def call(operation):
        headers = {"x-amz-target": f"AWSCognitoIdentityProviderService.{operation}"}
        return MAPPER.map("POST", "/", "", headers, b"{}", "cognito-idp")

    assert call("InitiateAuth").unsigned_ok and call("RespondToAuthChallenge").unsigned_ok
    assert not call("ListUsers").unsigned_ok and not call("AdminSetUserPassword").unsigned_ok
