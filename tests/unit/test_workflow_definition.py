"""brain_core.workflow: the ASL read as data, where the state names come from."""

import pytest

from brain_core import workflow
from brain_core.config import AGENTS, INSIGHT_AGENTS, Settings


def test_the_happy_path_runs_every_agent_once_in_workflow_order():
    path = workflow.happy_path()
    assert path[0].name == workflow.definition()["StartAt"]
    assert [state.agent for state in path if state.agent] == list(AGENTS)
    assert [state.agent for state in path if state.in_branch] == list(INSIGHT_AGENTS)
    assert all(state.runs_code for state in path)  # no Pass or Fail state when nothing fails


def test_every_state_is_listed_once_each_task_with_its_agent():
    everything = workflow.states()
    names = [state.name for state in everything]
    assert len(names) == len(set(names))
    assert {state.name for state in workflow.happy_path()} < set(names)
    tasks = [state for state in everything if state.type == "Task"]
    assert all(state.agent in AGENTS for state in tasks)
    # The fallback writer runs self_review's code as well: two Tasks, one function.
    assert sorted(state.agent for state in tasks if state.agent == "self_review") == ["self_review", "self_review"]


def test_rendering_fills_every_placeholder_and_refuses_a_missing_one():
    text = workflow.asl_text()
    assert workflow.placeholders(text) == {Settings.asl_substitution(agent) for agent in AGENTS}
    rendered = workflow.render(text, {name: f"arn:{name}" for name in workflow.placeholders(text)})
    assert "${" not in rendered and "arn:PerceptionFunctionArn" in rendered
    with pytest.raises(ValueError, match="DepthFunctionArn"):
        workflow.render(text, {name: "x" for name in workflow.placeholders(text) if name != "DepthFunctionArn"})
