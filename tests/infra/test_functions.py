"""Point 2: the six agents and the API function, built from agents/*, and (point 7) their packages
within 1 MiB."""

import importlib.metadata
import json
from pathlib import Path

import pytest

from brain_core.config import FUNCTION_PACKAGES, FUNCTIONS, PUBLISHERS, SETTINGS, Settings, function_environment
from brain_core.tables import TABLES

ONE_MIB = 1024 * 1024


def function(synth, agent):
    return synth.resources[synth.function_ids()[agent]]["Properties"]


def asset_dirs(synth) -> dict[str, Path]:
    """function → its staged asset directory in the cloud assembly (via the assets manifest)."""
    manifest = json.loads((synth.outdir / f"{synth.stack.stack_name}.assets.json").read_text())
    dirs = {}
    for agent in FUNCTIONS:
        asset_hash = function(synth, agent)["Code"]["S3Key"].removesuffix(".zip")
        dirs[agent] = synth.outdir / manifest["files"][asset_hash]["source"]["path"]
    return dirs


def test_the_six_agents_and_the_api_function(default):
    assert set(default.stack.functions) == set(FUNCTIONS)
    ours = [f for f in default.of_type("AWS::Lambda::Function").values() if "FunctionName" in f["Properties"]]
    assert len(ours) == len(FUNCTIONS)


@pytest.mark.parametrize("agent", FUNCTIONS)
def test_function_configuration_comes_from_settings(default, agent):
    props = function(default, agent)
    assert props["FunctionName"] == SETTINGS.function_name(agent)
    assert props["Handler"] == Settings.handler(agent) == f"agents.{agent}.handler.main"
    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["arm64"]
    assert props["MemorySize"] == SETTINGS.functions[agent].memory_mb
    assert props["Timeout"] == SETTINGS.functions[agent].timeout_seconds
    assert props["TracingConfig"] == {"Mode": "Active"}


@pytest.mark.parametrize("agent", FUNCTIONS)
def test_environment_is_function_environment(default, agent):
    variables = function(default, agent)["Environment"]["Variables"]
    expected = function_environment(agent)
    assert set(variables) == set(expected) | ({"EVENTS_HTTP_ENDPOINT"} if agent in PUBLISHERS else set())
    table_keys = {spec.environment_variable for spec in TABLES}
    for key, value in expected.items():
        if key in table_keys:
            assert "Ref" in variables[key], key  # the table CloudFormation named
        else:
            assert variables[key] == value, key
    assert variables["POWERTOOLS_SERVICE_NAME"] == agent


def test_powertools_is_the_aws_managed_layer(default, variant):
    for agent in FUNCTIONS:
        assert function(default, agent)["Layers"] == [
            "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:27"
        ]
        assert function(variant, agent)["Layers"][0].endswith("-python313-arm64:31")


def test_each_function_logs_to_its_own_group_with_retention(default, variant):
    groups = default.of_type("AWS::Logs::LogGroup")
    for agent in FUNCTIONS:
        group_id = function(default, agent)["LoggingConfig"]["LogGroup"]["Ref"]
        assert groups[group_id]["Properties"]["LogGroupName"] == f"/aws/lambda/{SETTINGS.function_name(agent)}"
        assert groups[group_id]["Properties"]["RetentionInDays"] == 30
    assert {g["Properties"]["RetentionInDays"] for g in variant.of_type("AWS::Logs::LogGroup").values()} == {7}


@pytest.mark.parametrize("agent", FUNCTIONS)
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
    packages = {module for package in FUNCTION_PACKAGES.get(agent, ()) for module in importable(package)}
    for package in packages:
        assert package in top, f"{package} missing from the {agent} package"
    assert {t for t in top if not t.endswith(".dist-info")} == {"agents", "brain_core"} | packages


def importable(distribution: str) -> set[str]:
    """The top-level names a distribution installs (python-ulid: ulid)."""
    files = importlib.metadata.distribution(distribution).files or ()
    return {f.parts[0] for f in files if not f.parts[0].endswith(".dist-info") and f.parts[0] != ".."}


def test_every_function_package_is_within_one_mib(default):
    sizes = {
        agent: sum(f.stat().st_size for f in d.rglob("*") if f.is_file()) for agent, d in asset_dirs(default).items()
    }
    too_big = {agent: size for agent, size in sizes.items() if size > ONE_MIB}
    assert not too_big, f"function packages over 1 MiB (docs/design.md §6): {too_big}"
