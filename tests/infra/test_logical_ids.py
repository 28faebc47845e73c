"""The stack's constructs (tables, functions, workflow, pipe) leave their own ids out of their
resources' logical ids: a deployment made before they existed updates in place, nothing is
replaced. The ids below are the ones the first deployments have."""

from aws_cdk import App, Stack
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from brain_cdk.logical_ids import TransparentIds, unique_id

#: Logical ids the stack had when these resources were built directly under it.
DEPLOYED_IDS = {
    "MessagesTable": "Messages804FA4EB",
    "LanguageFunction": "LanguageFunctionDD053751",
    "Workflow": "Workflow193EF7C1",
    "MessagesPipe": "MessagesPipe",
}


def test_moved_resources_keep_the_logical_ids_deployments_have(default):
    stack = default.stack
    ids = {
        "MessagesTable": default.logical_id(stack.tables["messages"]),
        "LanguageFunction": default.logical_id(stack.functions["language"]),
        "Workflow": default.logical_id(stack.state_machine),
        "MessagesPipe": stack.resolve(stack.pipe.logical_id),
    }
    assert ids == DEPLOYED_IDS


def test_unique_id_is_cdks_scheme_and_a_transparent_construct_drops_out():
    class Grouped(TransparentIds):
        transparent = frozenset({"Group"})

    app = App()
    plain, grouped = Stack(app, "Plain"), Grouped(app, "Grouped")
    sqs.Queue(Construct(plain, "Other"), "Queue")
    sqs.Queue(Construct(grouped, "Group"), "Queue")
    sqs.Queue(Construct(grouped, "Other"), "Queue")  # not transparent: CDK's own id, checked against ours
    plain_ids = set(app.synth().get_stack_by_name("Plain").template["Resources"])
    grouped_ids = set(app.synth().get_stack_by_name("Grouped").template["Resources"])
    assert plain_ids == {unique_id(["Other", "Queue", "Resource"])}
    assert grouped_ids == {unique_id(["Queue", "Resource"]), unique_id(["Other", "Queue", "Resource"])}
    assert unique_id(["Queue", "Resource"]).startswith("Queue") and unique_id(["Top"]) == "Top"
