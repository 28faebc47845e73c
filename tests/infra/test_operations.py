"""Point 6: dashboard, alarms, and the context switches for cold starts (provisioned
concurrency, SnapStart) and the model."""

import json

import pytest

from brain_cdk.operations import RATE_LIMITED_THRESHOLD
from brain_cdk.options import DeployOptions, OptionsError, parse_agent_counts, parse_agents
from brain_core.config import AGENTS, FUNCTIONS, SETTINGS, Settings


def dashboard_body(synth) -> str:
    (dashboard,) = synth.of_type("AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]
    # Fn::Join of literal strings and tokens: the literal parts carry every metric name.
    return "".join(p if isinstance(p, str) else json.dumps(p) for p in body["Fn::Join"][1])


def alarms(synth) -> list[dict]:
    return [a["Properties"] for a in synth.of_type("AWS::CloudWatch::Alarm").values()]


def metrics(alarm: dict) -> list[dict]:
    """The metrics an alarm watches, whichever form CDK rendered (single metric or Metrics)."""
    if "MetricName" in alarm:
        return [
            {
                "MetricName": alarm["MetricName"],
                "Namespace": alarm["Namespace"],
                "Dimensions": alarm.get("Dimensions"),
                "Stat": alarm.get("ExtendedStatistic") or alarm.get("Statistic"),
            }
        ]
    return [
        {**m["MetricStat"]["Metric"], "Stat": m["MetricStat"]["Stat"]} for m in alarm["Metrics"] if "MetricStat" in m
    ]


def watching(synth, metric_name: str) -> list[dict]:
    return [a for a in alarms(synth) if any(m["MetricName"] == metric_name for m in metrics(a))]


def test_dashboard_shows_latency_errors_dlq_duration_and_cold_starts(default):
    body = dashboard_body(default)
    ns = SETTINGS.metrics_namespace
    for name in (
        "TimeToFirstToken",
        "TotalLatency",
        "BedrockLatency",
        "ModelTimeToFirstToken",
        "MessageProcessed",
        "FallbackReplies",
        "DegradedReplies",
        "ColdStart",
    ):
        assert f'"{name}"' in body, name
    assert f'"{ns}"' in body
    for stat in ("p50", "p95", "p99"):
        assert f'"stat":"{stat}"' in body
    for name in (
        "Errors",
        "Throttles",
        "Duration",
        "ExecutionsFailed",
        "ExecutionsTimedOut",
        "ApproximateNumberOfMessagesVisible",
    ):
        assert f'"{name}"' in body, name
    # Powertools' ColdStart carries function_name and service; each agent has its line.
    for agent in AGENTS:
        assert f'"service","{agent}"' in body


def test_total_latency_p95_alarm(default):
    (alarm,) = watching(default, "TotalLatency")
    (metric,) = metrics(alarm)
    assert metric["Namespace"] == SETTINGS.metrics_namespace
    assert metric["Stat"] == "p95"
    assert metric["Dimensions"] == [{"Name": "service", "Value": "self_review"}]
    assert alarm["Threshold"] == 10_000  # ms
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"


def test_failed_workflow_runs_alarm(default):
    workflow = {"Ref": default.logical_id(default.stack.state_machine)}
    (alarm,) = watching(default, "ExecutionsFailed")
    assert {m["MetricName"] for m in metrics(alarm)} == {"ExecutionsFailed", "ExecutionsTimedOut"}
    for metric in metrics(alarm):
        assert metric["Namespace"] == "AWS/States"
        assert metric["Dimensions"] == [{"Name": "StateMachineArn", "Value": workflow}]
    assert alarm["Threshold"] == 0


def test_dead_letter_queue_alarm(default):
    (alarm,) = watching(default, "ApproximateNumberOfMessagesVisible")
    (metric,) = metrics(alarm)
    assert metric["Namespace"] == "AWS/SQS"
    queue = default.logical_id(default.stack.dead_letter_queue)
    assert metric["Dimensions"][0]["Value"] == {"Fn::GetAtt": [queue, "QueueName"]}
    assert alarm["Threshold"] == 0 and alarm["ComparisonOperator"] == "GreaterThanThreshold"


def test_throttle_alarm_for_every_function(default):
    throttles = watching(default, "Throttles")
    functions = {metrics(a)[0]["Dimensions"][0]["Value"]["Ref"] for a in throttles}
    assert functions == set(default.function_ids().values())
    assert len(alarms(default)) == 4 + len(FUNCTIONS)
    assert not any("AlarmActions" in a for a in alarms(default))  # no topic unless configured


def test_rate_limited_messages_alarm(default):
    (alarm,) = watching(default, "MessageRateLimited")
    (metric,) = metrics(alarm)
    assert metric["Namespace"] == SETTINGS.metrics_namespace
    assert metric["Dimensions"] == [{"Name": "service", "Value": "api"}]
    assert alarm["Threshold"] == RATE_LIMITED_THRESHOLD and alarm["ComparisonOperator"] == "GreaterThanThreshold"


def test_alarm_topic_from_context(variant):
    for alarm in alarms(variant):
        assert alarm["AlarmActions"] == [VARIANT_TOPIC]
        assert alarm["OKActions"] == [VARIANT_TOPIC]


VARIANT_TOPIC = "arn:aws:sns:us-east-1:123456789012:brain-alarms"


def test_provisioned_concurrency_and_snapstart_through_an_alias(variant):
    stack = variant.stack
    assert set(stack.aliases) == {"language", "perception", "self_review"}
    aliases = {
        a["Properties"]["FunctionName"]["Ref"]: a["Properties"] for a in variant.of_type("AWS::Lambda::Alias").values()
    }
    ids = variant.function_ids()
    assert aliases[ids["language"]]["ProvisionedConcurrencyConfig"] == {"ProvisionedConcurrentExecutions": 2}
    assert aliases[ids["perception"]]["ProvisionedConcurrencyConfig"] == {"ProvisionedConcurrentExecutions": 1}
    assert "ProvisionedConcurrencyConfig" not in aliases[ids["self_review"]]
    snap = variant.resources[ids["self_review"]]["Properties"]
    assert snap["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert "SnapStart" not in variant.resources[ids["language"]]["Properties"]

    # The workflow invokes the alias (a published version) wherever one exists.
    (machine,) = variant.of_type("AWS::StepFunctions::StateMachine").values()
    substitutions = machine["Properties"]["DefinitionSubstitutions"]
    alias_ids = {agent: variant.logical_id(alias) for agent, alias in stack.aliases.items()}
    for agent in AGENTS:
        value = substitutions[Settings.asl_substitution(agent)]
        if agent in alias_ids:
            assert value == {"Ref": alias_ids[agent]}, agent
        else:
            assert value == {"Fn::GetAtt": [ids[agent], "Arn"]}, agent
    statements = variant.policy_statements(stack.state_machine.role)
    (invoke,) = [s for s in statements if s["Action"] == "lambda:InvokeFunction"]
    assert sorted(map(str, invoke["Resource"])) == sorted(map(str, substitutions.values()))


def test_default_has_no_aliases(default):
    assert not default.of_type("AWS::Lambda::Alias")
    assert not default.of_type("AWS::Lambda::Version")


def test_context_parsing():
    assert parse_agent_counts("language:2, perception:1") == {"language": 2, "perception": 1}
    assert parse_agent_counts({"depth": 3}) == {"depth": 3}
    assert parse_agents("language,self_review") == {"language", "self_review"}
    assert parse_agents(["depth"]) == {"depth"}
    for bad in ("language", "language:0", "brain:1", "language:x"):
        with pytest.raises(OptionsError):
            parse_agent_counts(bad)
    with pytest.raises(OptionsError):
        parse_agents("cortex")
    with pytest.raises(OptionsError, match="not both"):
        DeployOptions(provisioned_concurrency={"language": 1}, snap_start=frozenset({"language"}))
    with pytest.raises(OptionsError):
        DeployOptions(workflow_type="SLOW")
    with pytest.raises(OptionsError):
        DeployOptions(log_retention_days=31)
    options = DeployOptions.from_context({"modelId": "amazon.nova-lite-v1:0", "workflowType": "standard"}.get)
    assert (options.model_id, options.workflow_type) == ("amazon.nova-lite-v1:0", "STANDARD")
    assert DeployOptions.from_context({}.get) == DeployOptions()
