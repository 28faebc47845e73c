"""The workflow definition as data: ``statemachine/brain.asl.json``, the single source of truth
for the state names that `brain runs`, the benchmark and the tests show, and for the
``${...}`` substitutions that CDK and the offline stack both fill in.

Read by CDK, the offline stack, the CLI, the benchmark and the tests; never by an agent at run
time (the ASL file is not in the functions' packages).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brain_core.config import AGENTS, Settings

ASL_PATH = Path(__file__).resolve().parent.parent / "statemachine" / "brain.asl.json"

_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


@dataclass(frozen=True)
class StateInfo:
    name: str
    type: str  # the ASL's Type: Task, Parallel, Pass, Fail, ...
    agent: str | None  # the agent a Task runs, from its Resource's ${...FunctionArn}
    in_branch: bool  # inside a Parallel state's branch

    @property
    def runs_code(self) -> bool:
        """A Task or a Parallel: a state with a duration worth showing."""
        return self.type in ("Task", "Parallel")


def asl_text(path: Path = ASL_PATH) -> str:
    return path.read_text()


@functools.cache
def definition(path: Path = ASL_PATH) -> dict[str, Any]:
    """The ASL document (parsed once per process)."""
    return json.loads(asl_text(path))


def _agent(state: Mapping[str, Any]) -> str | None:
    found = _PLACEHOLDER.fullmatch(str(state.get("Resource", "")))
    if found is None:
        return None
    by_placeholder = {Settings.asl_substitution(agent): agent for agent in AGENTS}
    return by_placeholder.get(found.group(1))


def _walk(machine: Mapping[str, Any], in_branch: bool) -> Iterator[tuple[StateInfo, Mapping[str, Any]]]:
    for name, state in machine["States"].items():
        yield StateInfo(name, state["Type"], _agent(state), in_branch), state
        for branch in state.get("Branches", []):
            yield from _walk(branch, in_branch=True)


def states(document: Mapping[str, Any] | None = None) -> list[StateInfo]:
    """Every state, in the file's order; a Parallel state's branches right after it."""
    return [info for info, _ in _walk(document or definition(), in_branch=False)]


def happy_path(document: Mapping[str, Any] | None = None) -> list[StateInfo]:
    """The states a run passes when nothing fails: from StartAt along each ``Next``; a Parallel
    state's branches (each along its own ``Next``) right after it."""

    def follow(machine: Mapping[str, Any], in_branch: bool) -> Iterator[StateInfo]:
        name: str | None = machine["StartAt"]
        while name is not None:
            state = machine["States"][name]
            yield StateInfo(name, state["Type"], _agent(state), in_branch)
            for branch in state.get("Branches", []):
                yield from follow(branch, in_branch=True)
            name = state.get("Next")

    return list(follow(document or definition(), in_branch=False))


def placeholders(text: str) -> set[str]:
    """The ``${...}`` names in an ASL text."""
    return set(_PLACEHOLDER.findall(text))


def render(text: str, substitutions: Mapping[str, str]) -> str:
    """The ASL with every ``${name}`` replaced; a placeholder nobody provides is an error."""
    missing = placeholders(text) - set(substitutions)
    if missing:
        raise ValueError(f"the ASL has substitutions nobody provides: {', '.join(sorted(missing))}")
    return _PLACEHOLDER.sub(lambda m: substitutions[m.group(1)], text)
