"""Point 7: cfn-lint, cdk-nag (AwsSolutions) with a reason for every exception, the pinned CLI."""

import json
import re

import pytest

from .conftest import CDK_DIR, VARIANT_CONTEXT, synthesize

#: CDK adds an explicit DependsOn on a role next to the GetAtt that already implies it; harmless.
CFN_LINT_IGNORED = ["W3005"]


@pytest.mark.parametrize("which", ["default", "variant"])
def test_cfn_lint_passes(which, request):
    from cfnlint.api import ManualArgs, lint

    synth = request.getfixturevalue(which)
    template = (synth.outdir / f"{synth.stack.stack_name}.template.json").read_text()
    matches = lint(template, config=ManualArgs(regions=["us-east-1"], ignore_checks=CFN_LINT_IGNORED))
    assert not matches, "\n".join(f"{m.rule.id} {m.message} ({'/'.join(map(str, m.path))})" for m in matches)


def _failures(outdir):
    report = outdir / "validation-report.json"
    if not report.exists():
        return []
    return [p for p in json.loads(report.read_text())["pluginReports"] if p["conclusion"] == "failure"]


def test_cdk_nag_passes(default, variant):
    # The fixtures synthesize with AwsSolutionsChecks: an unacknowledged finding raises there.
    assert not _failures(default.outdir)
    assert not _failures(variant.outdir)


@pytest.fixture(scope="module")
def unacknowledged(tmp_path_factory, monkeypatch_module):
    """The variant stack synthesized with every acknowledgement recorded instead of applied."""
    from brain_cdk import compliance

    recorded: list[tuple[str, str, str]] = []
    monkeypatch_module.setattr(
        compliance,
        "acknowledge",
        lambda scope, exceptions: recorded.extend((scope.node.path, e.rule, e.reason) for e in exceptions),
    )
    outdir = tmp_path_factory.mktemp("cdk-unacknowledged")
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        synthesize(outdir, VARIANT_CONTEXT)
    violations = [
        (v["ruleName"], c["constructPath"])
        for p in json.loads((outdir / "validation-report.json").read_text())["pluginReports"]
        for v in p["violations"]
        for c in v["violatingConstructs"]
    ]
    return recorded, violations


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def _covers(scope_path: str, construct_path: str) -> bool:
    return construct_path == scope_path or construct_path.startswith(scope_path + "/")


def test_every_exception_has_a_reason_and_is_needed(unacknowledged):
    recorded, violations = unacknowledged
    assert recorded
    for scope, rule, reason in recorded:
        assert len(reason.split()) >= 12, f"{rule} on {scope}: say why"
        assert any(r == rule and _covers(scope, path) for r, path in violations), (
            f"{rule} acknowledged on {scope} but nothing there violates it: remove the exception"
        )


def test_every_finding_is_acknowledged_where_it_occurs(unacknowledged):
    recorded, violations = unacknowledged
    for rule, path in violations:
        assert any(r == rule and _covers(scope, path) for scope, r, _ in recorded), (rule, path)


def test_cli_is_pinned_and_locked():
    package = json.loads((CDK_DIR / "package.json").read_text())
    version = package["devDependencies"]["aws-cdk"]
    # npm's latest CLI cannot read aws-cdk-lib 2.275's cloud assembly (docs/design.md §7).
    assert re.fullmatch(r"2\.1148\.\d+", version), version
    lock = json.loads((CDK_DIR / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/aws-cdk"]["version"] == version
    assert lock["packages"][""]["devDependencies"]["aws-cdk"] == version


def test_cdk_json_runs_the_app_into_the_repo_cdk_out():
    config = json.loads((CDK_DIR / "cdk.json").read_text())
    assert config["app"].endswith("app.py")
    assert config["output"] == "../cdk.out"
    assert (CDK_DIR / "synth.sh").stat().st_mode & 0o111


def test_readme_cost_table_is_what_the_cost_model_computes(capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("cost_model", CDK_DIR / "cost_model.py")
    cost_model = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cost_model)
    cost_model.main()
    table = capsys.readouterr().out.strip()
    assert table in (CDK_DIR / "README.md").read_text(), "run `python cdk/cost_model.py` and paste the table"
