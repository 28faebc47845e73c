"""Point 2: six functions built from agents/*, and (point 7) their packages within 1 MiB."""

import json
from pathlib import Path

import pytest

from brain_core.config import AGENTS, FUNCTION_PACKAGES, SETTINGS, Settings, function_environment
from brain_core.tables import TABLES

ONE_MIB = 1024 * 1024


def function(synth, agent):
    return synth.resources[synth.function_ids()[agent]]["Properties"]


def asset_dirs(synth) -> dict[str, Path]:
    """agent → its staged asset directory in the cloud assembly (via the assets manifest)."""
    manifest = json.loads((synth.outdir / f"{synth.stack.stack_name}.assets.json").read_text())
    dirs = {}
    for agent in AGENTS:
        asset_hash = function(synth, agent)["Code"]["S3Key"].removesuffix(".zip")
        dirs[agent] = synth.outdir / manifest["files"][asset_hash]["source"]["path"]
    return dirs


def test_six_functions(default):
    assert set(default.stack.functions) == set(AGENTS)
    assert len(default.of_type("AWS::Lambda::Function")) == len(AGENTS)


@pytest.mark.parametrize("agent", AGENTS)
def test_function_configuration_comes_from_settings(default, agent):
    props = function(default, agent)
    assert props["FunctionName"] == SETTINGS.function_name(agent)
    assert props["Handler"] == Settings.handler(agent) == f"agents.{agent}.handler.main"
    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["arm64"]
    assert props["MemorySize"] == SETTINGS.functions[agent].memory_mb
    assert props["Timeout"] == SETTINGS.functions[agent].timeout_seconds
    assert props["TracingConfig"] == {"Mode": "Active"}


@pytest.mark.parametrize("agent", AGENTS)
def test_environment_is_function_environment(default, agent):
    variables = function(default, agent)["Environment"]["Variables"]
    expected = function_environment(agent)
    assert set(variables) == set(expected)
    table_keys = {spec.environment_variable for spec in TABLES}
    for key, value in expected.items():
        if key in table_keys:
            assert "Ref" in variables[key], key  # the table CloudFormation named
        else:
            assert variables[key] == value, key
    assert variables["POWERTOOLS_SERVICE_NAME"] == agent


def test_powertools_is_the_aws_managed_layer(default, variant):
    for agent in AGENTS:
        assert function(default, agent)["Layers"] == [
            "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:27"
        ]
        assert function(variant, agent)["Layers"][0].endswith("-python313-arm64:31")


def test_each_function_logs_to_its_own_group_with_retention(default, variant):
    groups = default.of_type("AWS::Logs::LogGroup")
    for agent in AGENTS:
        group_id = function(default, agent)["LoggingConfig"]["LogGroup"]["Ref"]
        assert groups[group_id]["Properties"]["LogGroupName"] == f"/aws/lambda/{SETTINGS.function_name(agent)}"
        assert groups[group_id]["Properties"]["RetentionInDays"] == 30
    assert {g["Properties"]["RetentionInDays"] for g in variant.of_type("AWS::Logs::LogGroup").values()} == {7}


@pytest.mark.parametrize("agent", AGENTS)
def test_asset_has_the_repo_layout_and_nothing_else(default, agent):
    root = asset_dirs(default)[agent]
    files = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert "agents/__init__.py" in files
    assert f"agents/{agent}/handler.py" in files
    assert "brain_core/config.py" in files
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc")]
    other_agents = {f.split("/")[1] for f in files if f.startswith("agents/") and f.count("/") > 1}
    assert other_agents == {agent}
    top = {f.split("/")[0] for f in files}
    packages = set(FUNCTION_PACKAGES.get(agent, ()))
    for package in packages:
        assert package in top, f"{package} missing from the {agent} package"
    assert {t for t in top if not t.endswith(".dist-info")} == {"agents", "brain_core"} | packages


def test_every_function_package_is_within_one_mib(default):
    sizes = {
        agent: sum(f.stat().st_size for f in d.rglob("*") if f.is_file()) for agent, d in asset_dirs(default).items()
    }
    too_big = {agent: size for agent, size in sizes.items() if size > ONE_MIB}
    assert not too_big, f"function packages over 1 MiB (DESIGN §6): {too_big}"
