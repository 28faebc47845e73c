"""Point 5: least privilege, in the policies' shape: each statement scoped to named resources.

Which calls each function makes is not listed here: the running code is the list. The offline
stack evaluates every call against these very policies (brain_local/iam), and
tests/integration/test_iam.py runs the pipeline and the client API with no call denied."""

import json

import pytest

from brain_core.config import FUNCTIONS, INSIGHT_AGENTS, PUBLISHERS, SETTINGS
from brain_core.tables import CONVERSATIONS_BY_UPDATED

#: Statements X-Ray's and CloudWatch Logs delivery APIs cannot scope (cdk-nag acknowledged).
UNSCOPABLE_ACTIONS = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
}


def actions(statement) -> set[str]:
    value = statement["Action"]
    return {value} if isinstance(value, str) else set(value)


def function_statements(synth, agent):
    return synth.policy_statements(synth.stack.functions[agent].role)


@pytest.mark.parametrize("agent", FUNCTIONS)
def test_dynamodb_grants_name_one_table_and_only_its_named_index(default, agent):
    for statement in function_statements(default, agent):
        if not any(a.startswith("dynamodb:") for a in actions(statement)):
            continue
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        table_arn = resources[0]
        assert isinstance(table_arn, dict) and table_arn.get("Fn::GetAtt", [None, None])[1] == "Arn", table_arn
        # Beside the table, only its named index (the conversations list), never index/*.
        index = CONVERSATIONS_BY_UPDATED
        assert resources[1:] in ([], [{"Fn::Join": ["", [table_arn, f"/index/{index}"]]}]), resources


def test_the_offline_stack_evaluates_exactly_the_synthesized_statements(default):
    """One source: brain_local.iam.template extracts each role's statements from this template."""
    from brain_local.iam.template import role_statements

    for agent in FUNCTIONS:
        role_id = default.logical_id(default.stack.functions[agent].role)
        assert role_statements(default.data, role_id) == function_statements(default, agent)


def test_only_the_publishing_functions_may_publish_and_only_to_the_brain_namespace(default):
    for agent in FUNCTIONS:
        publishing = [
            s for s in function_statements(default, agent) if any(a.startswith("appsync:") for a in actions(s))
        ]
        if agent not in PUBLISHERS:
            assert not publishing, agent
            continue
        (statement,) = publishing
        assert actions(statement) == {"appsync:EventPublish"}
        resource = json.dumps(statement["Resource"])
        assert f'/channelNamespace/{SETTINGS.events_namespace}"' in resource and "*" not in resource


@pytest.mark.parametrize("agent", FUNCTIONS)
def test_logs_only_to_its_own_group(default, agent):
    (logs,) = [s for s in function_statements(default, agent) if s.get("Sid") == "OwnLogGroup"]
    group_id = default.resources[default.function_ids()[agent]]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    assert logs["Resource"] == {"Fn::GetAtt": [group_id, "Arn"]}
    assert actions(logs) == {"logs:CreateLogStream", "logs:PutLogEvents"}


def test_language_calls_the_configured_model_and_the_insight_agents_only_the_insight_model(default):
    for agent in FUNCTIONS:
        bedrock = [s for s in function_statements(default, agent) if any(a.startswith("bedrock:") for a in actions(s))]
        if agent not in ("language", *INSIGHT_AGENTS):
            assert not bedrock, agent
            continue
        (statement,) = bedrock
        if agent == "language":
            assert actions(statement) == {"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"}
            assert statement["Resource"] == "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0"
        else:  # ConverseStream on the small model only
            assert actions(statement) == {"bedrock:InvokeModelWithResponseStream"}
            assert statement["Resource"] == "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0"
        variables = default.resources[default.function_ids()[agent]]["Properties"]["Environment"]["Variables"]
        assert variables["INSIGHT_MODEL_ID"] == "amazon.nova-micro-v1:0"


def test_model_id_context_reaches_the_function_and_the_policy(variant):
    language = variant.resources[variant.function_ids()["language"]]["Properties"]
    assert language["Environment"]["Variables"]["MODEL_ID"] == "us.amazon.nova-lite-v1:0"
    (statement,) = [s for s in function_statements(variant, "language") if s.get("Sid") == "InvokeConfiguredModel"]
    rendered = [str(r) for r in statement["Resource"]]
    assert any("inference-profile/us.amazon.nova-lite-v1:0" in r for r in rendered)
    assert any(":bedrock:*::foundation-model/amazon.nova-lite-v1:0" in r for r in rendered)
    assert len(rendered) == 2


def test_with_no_insight_model_the_insight_agents_get_no_bedrock_call(variant):
    for agent in INSIGHT_AGENTS:
        assert not [s for s in function_statements(variant, agent) if any(a.startswith("bedrock:") for a in actions(s))]
        variables = variant.resources[variant.function_ids()[agent]]["Properties"]["Environment"]["Variables"]
        assert variables["INSIGHT_MODEL_ID"] == "none"


def test_no_managed_policies_no_wildcard_actions_no_stray_star_resources(default):
    for role in default.of_type("AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]
    for policy in default.of_type("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            assert not any("*" in a for a in actions(statement)), statement
            if statement["Resource"] == "*":
                assert actions(statement) <= UNSCOPABLE_ACTIONS, statement
