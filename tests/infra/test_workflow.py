"""Point 3: the state machine from statemachine/brain.asl.json."""

import json
import re

from brain_core.config import AGENTS, SETTINGS, Settings

from .conftest import REPO_ROOT

ASL = (REPO_ROOT / "statemachine" / "brain.asl.json").read_text()


def state_machine(synth):
    (resource,) = synth.of_type("AWS::StepFunctions::StateMachine").values()
    return resource["Properties"]


def test_express_by_default_with_tracing_and_logs(default):
    props = state_machine(default)
    assert props["StateMachineType"] == "EXPRESS"
    assert props["StateMachineName"] == SETTINGS.state_machine_name
    assert props["TracingConfiguration"] == {"Enabled": True}
    logging = props["LoggingConfiguration"]
    assert logging["Level"] == "ALL"
    assert logging["IncludeExecutionData"] is False  # message content is personal
    group_id = logging["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
    assert default.resources[group_id]["Properties"]["RetentionInDays"] == 30


def test_definition_is_the_asl_file(default):
    definition = state_machine(default)["DefinitionString"]
    assert json.loads(definition) == json.loads(ASL)


def test_every_placeholder_is_its_function_arn(default):
    substitutions = state_machine(default)["DefinitionSubstitutions"]
    placeholders = set(re.findall(r"\$\{(\w+)\}", ASL))
    assert set(substitutions) == placeholders == {Settings.asl_substitution(a) for a in AGENTS}
    ids = default.function_ids()
    for agent in AGENTS:
        assert substitutions[Settings.asl_substitution(agent)] == {"Fn::GetAtt": [ids[agent], "Arn"]}


def test_role_invokes_exactly_the_six_functions(default):
    statements = default.policy_statements(default.stack.state_machine.role)
    invoke = [s for s in statements if s["Action"] == "lambda:InvokeFunction"]
    assert len(invoke) == 1
    ids = default.function_ids()
    resources = sorted(invoke[0]["Resource"], key=str)
    assert resources == sorted(({"Fn::GetAtt": [ids[a], "Arn"]} for a in AGENTS), key=str)
    assert not any("lambda:" in str(s["Action"]) for s in statements if s is not invoke[0])


def test_context_switches_to_standard_and_execution_data(variant):
    props = state_machine(variant)
    assert props["StateMachineType"] == "STANDARD"
    # The type cannot change in place: a replacement needs a different name.
    assert props["StateMachineName"] != SETTINGS.state_machine_name
    assert props["LoggingConfiguration"]["IncludeExecutionData"] is True
