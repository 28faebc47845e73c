"""An agent registered in the configuration (``brain_core.config.AGENTS``) is present in every
place that must know it, or a test names the places it is missing from.

Adding an agent touches several places nothing else ties together; each is one check below,
read at call time so a test can register a fake agent and see every place it is missing from:

- the workflow: its function's ``${...FunctionArn}`` placeholder in statemachine/brain.asl.json;
- the contracts: its result's type (``INSIGHT_RESULTS`` for a Parallel branch, a field of the
  ``StateDocument`` for a step before self-review);
- self-review's merge: a field of ``agents/self_review/review.Insights`` per branch;
- CDK: its function's sizing (``Settings.functions``), its handler (``agents/<agent>/handler.py``,
  the asset), and no IAM grant for a function that does not exist (``DYNAMODB_ACTIONS``);
- the CLI's inner-life printer and the web (web/src/*.ts): every reply field its result carries.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import pytest

import brain_core.config as config
import brain_core.contracts as contracts
from brain_core import workflow

ROOT = Path(__file__).resolve().parents[2]


def _insight(agent: str) -> bool:
    return agent in config.INSIGHT_AGENTS


def _reply_fields(agent: str) -> set[str]:
    """The reply item's fields that ``agent``'s result carries (empty without a result type)."""
    result = contracts.INSIGHT_RESULTS.get(agent)
    if result is None:
        return set()
    reply = {f.name for f in fields(contracts.ReplyItem)}
    return {f.name for f in fields(result)} & reply - {"agent", "source", "elapsedMs"}


def asl(agent: str) -> str | None:
    placeholder = config.Settings.asl_substitution(agent)
    if placeholder not in workflow.placeholders(workflow.asl_text()):
        return f"the ASL (statemachine/brain.asl.json has no ${{{placeholder}}})"
    return None


def contract(agent: str) -> str | None:
    if _insight(agent):
        if agent not in contracts.INSIGHT_RESULTS:
            return f"the contracts (brain_core/contracts.py: INSIGHT_RESULTS has no {agent!r})"
    elif agent != config.AGENTS[-1] and agent not in {f.name for f in fields(contracts.StateDocument)}:
        return f"the contracts (brain_core/contracts.py: StateDocument has no {agent!r} field)"
    return None


def review(agent: str) -> str | None:
    from agents.self_review.review import Insights

    if _insight(agent) and agent not in {f.name for f in fields(Insights)}:
        return f"self-review's merge (agents/self_review/review.py: Insights has no {agent!r} field)"
    return None


def cdk(agent: str) -> str | None:
    missing = []
    if agent not in config.SETTINGS.functions:
        missing.append(f"no sizing in Settings.functions[{agent!r}] for its CDK function")
    if not (ROOT / "agents" / agent / "handler.py").is_file():
        missing.append(f"no agents/{agent}/handler.py for its CDK function's asset")
    return f"CDK ({'; '.join(missing)})" if missing else None


def _inner_life_printer() -> str:
    """The source of the CLI's print_inner_life, wherever brain_local keeps it."""
    for path in sorted((ROOT / "brain_local").rglob("*.py")):
        text = path.read_text()
        found = re.search(r"^def print_inner_life\(.*?(?=^\S)", text, re.S | re.M)
        if found:
            return found.group(0)
    raise AssertionError("brain_local has no print_inner_life: the CLI's inner-life printer moved or was renamed")


def cli(agent: str) -> str | None:
    if not _insight(agent):
        return None
    printer = _inner_life_printer()
    shown = _reply_fields(agent)
    unprinted = sorted(f for f in shown if not re.search(rf"""["']{f}["']""", printer))
    if not shown or unprinted:
        what = ", ".join(unprinted) if shown else f"any reply field of {agent}"
        return f"the CLI's inner-life printer (print_inner_life does not print {what})"
    return None


#: Reply fields the web does not read yet, and why: each is a known gap, not a silent one. A test
#: fails once the web reads one, so the entry goes when the gap closes.
WEB_GAPS: dict[str, str] = {}


def _web_source() -> str:
    return "\n".join(path.read_text() for path in sorted((ROOT / "web" / "src").glob("*.ts")))


def web(agent: str) -> str | None:
    if not _insight(agent):
        return None
    source = _web_source()
    shown = _reply_fields(agent)
    unused = sorted(f for f in shown - set(WEB_GAPS) if not re.search(rf"\b{f}\b", source))
    if not shown or unused:
        what = ", ".join(unused) if shown else f"any reply field of {agent}"
        return f"the web (web/src/*.ts never reads {what})"
    return None


PLACES: tuple[Callable[[str], str | None], ...] = (asl, contract, review, cdk, cli, web)


def missing_places(agent: str) -> list[str]:
    return [place for check in PLACES if (place := check(agent)) is not None]


def stale_grants() -> list[str]:
    """IAM grants (CDK's DYNAMODB_ACTIONS) for a function the configuration no longer has."""
    import sys

    sys.path.insert(0, str(ROOT / "cdk"))
    from brain_cdk.functions import DYNAMODB_ACTIONS

    return sorted(set(DYNAMODB_ACTIONS) - set(config.FUNCTIONS))


@pytest.mark.parametrize("agent", config.AGENTS)
def test_every_registered_agent_is_present_in_every_place(agent):
    assert missing_places(agent) == [], f"{agent} is registered in brain_core/config.py but missing from these places"


def test_each_known_web_gap_is_still_a_gap():
    source = _web_source()
    closed = [f for f in WEB_GAPS if re.search(rf"\b{f}\b", source)]
    assert closed == [], f"web/src reads {closed} now: remove them from WEB_GAPS"


def test_no_iam_grant_outlives_its_function():
    assert stale_grants() == []


def test_an_agent_registered_only_in_the_configuration_is_missing_from_every_place_by_name(monkeypatch):
    monkeypatch.setattr(config, "AGENTS", (*config.AGENTS[:-1], "intuition", config.AGENTS[-1]))
    monkeypatch.setattr(config, "INSIGHT_AGENTS", (*config.INSIGHT_AGENTS, "intuition"))
    missing = missing_places("intuition")
    assert len(missing) == len(PLACES), missing
    for place in ("the ASL", "the contracts", "self-review's merge", "CDK", "the CLI's inner-life printer", "the web"):
        assert any(m.startswith(place) for m in missing), (place, missing)
    assert "IntuitionFunctionArn" in missing[0] and "'intuition'" in missing[1]
    assert "agents/intuition/handler.py" in missing[3] and "Settings.functions['intuition']" in missing[3]


def test_a_step_before_self_review_needs_its_place_in_the_state_document(monkeypatch):
    monkeypatch.setattr(config, "AGENTS", ("perception", "planning", "language", "self_review"))
    assert [m.split(" (")[0] for m in missing_places("planning")] == ["the ASL", "the contracts", "CDK"]


def test_one_place_left_out_is_the_one_named(monkeypatch):
    text = workflow.asl_text()
    monkeypatch.setattr(workflow, "asl_text", lambda: text.replace("${DepthFunctionArn}", "arn:aws:lambda:x"))
    monkeypatch.setattr(
        contracts, "INSIGHT_RESULTS", {k: v for k, v in contracts.INSIGHT_RESULTS.items() if k != "emotional"}
    )
    assert missing_places("depth") == ["the ASL (statemachine/brain.asl.json has no ${DepthFunctionArn})"]
    assert missing_places("emotional")[0].startswith("the contracts") and missing_places("reasoning") == []


def test_a_reply_field_the_cli_or_the_web_does_not_show_is_named(monkeypatch):
    monkeypatch.setattr("tests.unit.test_agent_registry._inner_life_printer", lambda: "def print_inner_life(): pass")
    assert missing_places("reasoning") == ["the CLI's inner-life printer (print_inner_life does not print thoughts)"]
