"""Long-term memory through the pipeline: facts per owner, across conversations, never shared.

Depth (here answered by the scripted double behind insight_model_id, which extracts what the
person said) writes the facts; perception loads them into the system prompt; the scripted
language double recalls what the system prompt lists.
"""

from __future__ import annotations

import uuid

from brain_core.config import SETTINGS
from brain_core.store import FactStore
from brain_local.clients.boto3_client import BrainClient

from .pipeline_helpers import state_output, wait_executions_done


def facts_of(stack, owner: str) -> dict[str, str]:
    store = FactStore(stack.client("dynamodb"), SETTINGS.memory_table, SETTINGS.memory_max_facts, 1)
    return {f.kind: f.value for f in store.load(owner)}


def test_a_fact_told_in_one_conversation_is_used_in_another_of_the_same_owner(stack):
    owner = f"ada-{uuid.uuid4().hex[:6]}"
    client = BrainClient(stack.options.endpoint)
    told = client.send("Hello! My name is Ada and I live in Lisbon.", f"first-{owner}", owner)
    assert told.reply["factsRemembered"] >= 2
    assert facts_of(stack, owner) == {"name": "Ada", "home": "Lisbon"}
    asked = client.send("Do you remember my name?", f"second-{owner}", owner)
    [run] = wait_executions_done(stack, asked.message["messageId"])
    perception = state_output(stack, run["executionArn"], "Perception")
    assert perception["history"] == []  # a new conversation: nothing from the first one's history
    assert {"kind": "name", "value": "Ada"} in perception["facts"]
    assert "- name: Ada" in perception["system"]
    assert "your name is Ada" in asked.reply["content"]  # the reply used the long-term memory


def test_another_owner_never_sees_the_facts_even_in_the_same_conversation(stack):
    suffix = uuid.uuid4().hex[:6]
    ada, grace, conversation = f"ada-{suffix}", f"grace-{suffix}", f"shared-{suffix}"
    client = BrainClient(stack.options.endpoint)
    client.send("My name is Ada and I live in Lisbon.", conversation, ada)
    asked = client.send("Do you remember my name and where I live?", conversation, grace)
    [run] = wait_executions_done(stack, asked.message["messageId"])
    perception = state_output(stack, run["executionArn"], "Perception")
    assert perception["facts"] == [] and "Ada" not in perception["system"]
    for field in ("content", "memories", "selfReflection"):
        assert "Ada" not in asked.reply[field] and "Lisbon" not in asked.reply[field]
    assert facts_of(stack, grace) == {}
    assert facts_of(stack, ada) == {"name": "Ada", "home": "Lisbon"}


def test_the_demo_inner_life_never_repeats_a_thought_reflection_or_memory(stack):
    import io
    from functools import partial

    from brain_local.cli.demo import DEMO_TURNS
    from brain_local.cli.printing import converse

    owner = f"demo-{uuid.uuid4().hex[:6]}"
    client = BrainClient(stack.options.endpoint)

    class AsOwner:  # the demo's client sends as its signed-in user; this one as a trusted backend
        send = partial(client.send, owner=owner)

    exchanges = converse(AsOwner(), DEMO_TURNS, f"demo-{owner}", out=io.StringIO())
    replies = [e.reply for e in exchanges]
    assert all(r and r["status"] == "complete" for r in replies)
    thoughts = [t for r in replies for t in r["thoughts"]]
    reflections = [r["selfReflection"] for r in replies]
    memories = [r["memories"] for r in replies]
    for strings in (thoughts, reflections, memories):
        assert all(strings) and len(set(strings)) == len(strings), strings
