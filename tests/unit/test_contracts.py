"""The typed contracts: each reads back what it writes, refuses what breaks it, and agrees with
the ASL's paths and the pipe's input template on every field name."""

import json
import re
import typing
from dataclasses import fields

import pytest

from brain_core import workflow
from brain_core.config import INSIGHT_AGENTS, SETTINGS
from brain_core.contracts import (
    INSIGHT_RESULTS,
    ContractError,
    DegradedBranch,
    DepthResult,
    Emotion,
    EmotionalResult,
    LanguageResult,
    PerceptionResult,
    ReasoningResult,
    ReplyItem,
    ResponseChunk,
    ReviewResult,
    StateDocument,
    StepError,
    Turn,
    WorkflowInput,
)

MESSAGE = WorkflowInput("c1", "01ABC", "ada", "hello", "2026-11-24T06:00:00.000Z")
TURN = Turn("user", "my name is Ada", "01")
PERCEPTION = PerceptionResult(
    valid=True,
    problem=None,
    system="persona",
    messages=[{"role": "user", "content": [{"text": "hello"}]}],
    history=[TURN],
    cacheHit=True,
    elapsedMs=3.5,
    suspectedOverride=True,
)
LANGUAGE = LanguageResult("I float.", "m-1", 10, 3, 400.0, 800.0, 1.7e12, 2, 810.5, failedChunkWrites=1)
REASONING = ReasoningResult("reasoning", ["a thought"], {"sentences": 1, "questions": []}, True, 0.5)
EMOTIONAL = EmotionalResult("emotional", Emotion("content", 0.5, 0.3), Emotion("calm", 0, 0.3), ["fizz"], 0.4)
DEPTH = DepthResult("depth", 0.75, "an earlier reply", "memory and time", "you said hello", 0.3)
DEGRADED = DegradedBranch("depth", True, "States.Timeout")
ERROR = StepError("ModelThrottled", '{"errorMessage": "slow down"}')
REVIEW = ReviewResult("01ABC", "01ABC#reply", "complete", True)
REPLY = ReplyItem(
    "c1", "01ABC#reply", "brain", "ada", "01ABC", "I float.", ["fizz"], ["a thought"], "", "I feel calm.",
    {"label": "calm", "valence": 0.0, "arousal": 0.3}, "complete", {"totalMs": 900.0}, "m-1",
    "2026-11-24T06:00:01.000Z", ["depth"],
)  # fmt: skip
CHUNK = ResponseChunk("01ABC", 0, "I float.", False, 1_800_000_000)
DOCUMENT = StateDocument(MESSAGE, PERCEPTION, LANGUAGE, [REASONING, EMOTIONAL, DEGRADED], error=ERROR)

ALL = [MESSAGE, TURN, PERCEPTION, LANGUAGE, REASONING, EMOTIONAL, DEPTH, DEGRADED, ERROR, REVIEW, REPLY, CHUNK]


@pytest.mark.parametrize("contract", ALL + [DOCUMENT], ids=lambda c: type(c).__name__)
def test_every_contract_reads_back_what_it_writes_through_json(contract):
    wire = json.loads(json.dumps(contract.to_dict()))
    assert type(contract).from_dict(wire) == contract


@pytest.mark.parametrize("contract", ALL, ids=lambda c: type(c).__name__)
def test_a_missing_field_or_a_wrong_type_is_a_contract_error(contract):
    wire = contract.to_dict()
    required = next(f.name for f in fields(contract) if f.name in wire)
    with pytest.raises(ContractError, match=required):
        type(contract).from_dict({k: v for k, v in wire.items() if k != required})
    with pytest.raises(ContractError):
        type(contract).from_dict({**wire, required: object()})
    with pytest.raises(ContractError):
        type(contract).from_dict(["not", "an", "object"])


def test_nested_contracts_are_read_as_their_own_types():
    perception = PerceptionResult.from_dict(json.loads(json.dumps(PERCEPTION.to_dict())))
    assert perception.history == [TURN] and isinstance(perception.history[0], Turn)
    emotional = EmotionalResult.from_dict(EMOTIONAL.to_dict())
    assert isinstance(emotional.emotion, Emotion) and isinstance(emotional.userEmotion, Emotion)
    with pytest.raises(ContractError, match="Turn"):
        PerceptionResult.from_dict({**PERCEPTION.to_dict(), "history": [{"role": "user"}]})


def test_a_lenient_workflow_input_names_what_was_not_text():
    lenient = WorkflowInput.from_dict({"conversationId": "c1", "messageId": "m1", "content": {"N": "42"}}, strict=False)
    assert (lenient.owner, lenient.content, lenient.createdAt) == ("", "", "")
    assert lenient.not_text == ("owner", "content", "createdAt")
    assert "not_text" not in lenient.to_dict()
    with pytest.raises(ContractError, match="messageId"):
        WorkflowInput.from_dict({"conversationId": "c1"}, strict=False)


# -- the contracts and the ASL agree ---------------------------------------------------------


def _all_states(machine: dict) -> list[dict]:
    found = []
    for state in machine["States"].values():
        found.append(state)
        for branch in state.get("Branches", []):
            found.extend(_all_states(branch))
    return found


ASL = workflow.definition()
STATES = _all_states(ASL)


def test_every_result_path_is_a_field_of_the_state_document_or_the_executions_output():
    written = {s["ResultPath"] for s in STATES if "ResultPath" in s}
    written |= {c["ResultPath"] for s in STATES for c in s.get("Catch", [])}
    # $.review: SelfReview's ReviewResult, the execution's output (OutputPath). $.fallbackError:
    # only on the way to the Fail state, when even the fallback reply could not be written.
    assert written == {f"$.{name}" for name in StateDocument.RESULT_FIELDS} | {"$.review", "$.fallbackError"}
    assert {s["OutputPath"] for s in STATES if "OutputPath" in s} == {"$.review"}


def test_each_step_writes_its_own_agents_result_where_the_state_document_reads_it():
    read_as = typing.get_type_hints(StateDocument)
    machine = ASL["States"]
    for state in workflow.happy_path():
        if state.in_branch or not state.runs_code:
            continue
        asl = machine[state.name]
        # Every step of the happy path catches into $.error (the fallback path's StepError)...
        assert [c["ResultPath"] for c in asl["Catch"]] == ["$.error"] or state.type == "Parallel", state.name
        results = {"perception": PerceptionResult, "language": LanguageResult}
        if state.agent in results:  # ...and writes its result where SelfReview reads it, as its type
            assert asl["ResultPath"] == f"$.{state.agent}"
            assert read_as[state.agent] == results[state.agent] | None
    assert read_as["error"] == read_as["insightsError"] == StepError | None
    [parallel] = [state for state in machine.values() if state["Type"] == "Parallel"]
    assert parallel["ResultPath"] == "$.insights"
    assert [c["ResultPath"] for c in parallel["Catch"]] == ["$.insightsError"]


def test_the_parallel_branches_are_the_insight_agents_in_order_each_degrading_to_the_contract():
    [parallel] = [state for state in ASL["States"].values() if state["Type"] == "Parallel"]
    agents = []
    for branch in parallel["Branches"]:
        task = branch["States"][branch["StartAt"]]
        agent = next(s.agent for s in workflow.states() if s.in_branch and s.name == branch["StartAt"])
        agents.append(agent)
        assert "ResultPath" not in task  # the branch's output is the agent's result itself
        [catch] = task["Catch"]
        degraded = branch["States"][catch["Next"]]
        assert degraded["Type"] == "Pass" and degraded.get("End") is True
        parameters = degraded["Parameters"]
        assert {key.removesuffix(".$") for key in parameters} == {f.name for f in fields(DegradedBranch)}
        assert parameters["agent"] == agent and parameters["degraded"] is True
        # "error.$" reads the Catch's StepError, which the Catch wrote at its ResultPath.
        path = parameters["error.$"].split(".")
        assert path[:2] == catch["ResultPath"].split(".") and path[2] in {f.name for f in fields(StepError)}
    assert tuple(agents) == INSIGHT_AGENTS == tuple(INSIGHT_RESULTS)


def test_the_pipes_input_template_writes_exactly_the_workflow_input_fields():
    template = SETTINGS.pipe.input_template
    keys = re.findall(r'"(\w+)":', template)
    assert keys == list(WorkflowInput.WIRE_FIELDS)
    paths = re.findall(r"<\$\.dynamodb\.NewImage\.(\w+)\.S>", template)
    assert paths == keys  # each field from the stream record's attribute of the same name


def test_the_review_result_is_what_the_execution_outputs():
    assert {f.name for f in fields(ReviewResult)} == {"messageId", "replyId", "status", "written"}
