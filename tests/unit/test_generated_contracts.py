"""The clients' contracts come from brain_core/client_contracts.py: the web's generated TypeScript
is current (a stale file fails naming the drifted field), and the Node client reads only fields
the events have."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from brain_core.contracts import ChunkEvent, ReplyEvent
from scripts import gen_contracts_ts

ROOT = Path(__file__).resolve().parents[2]
NODE_CLIENTS = sorted((ROOT / "clients" / "node").glob("*.mjs"))


def test_the_webs_generated_contracts_are_those_of_brain_core():
    problems = gen_contracts_ts.drift(gen_contracts_ts.TARGET.read_text())
    assert problems == [], "run `.venv/bin/python scripts/gen_contracts_ts.py`: " + "; ".join(problems)


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (lambda ts: ts.replace("  model: string;\n", "", 1), "ReplyItem.model is missing"),
        (lambda ts: ts.replace("  seq: number;\n", "  seq: number;\n  sequence: number;\n", 1), ".sequence is no"),
        (lambda ts: ts.replace("  factsRemembered?: number;", "  factsRemembered?: string;", 1), "factsRemembered"),
    ],
)
def test_a_stale_generated_file_fails_naming_the_field(edit, named):
    stale = edit(gen_contracts_ts.render())
    assert any(named in problem for problem in gen_contracts_ts.drift(stale)), gen_contracts_ts.drift(stale)


def test_the_generated_types_follow_the_python_annotations():
    fields = {name: (kind, optional) for name, kind, optional in gen_contracts_ts.wire_fields(ReplyEvent)}
    assert fields["type"] == ("'reply'", False)  # a record's kind is always on the wire
    assert fields["chunks"] == ("number | null", True)
    assert fields["insightSources"] == ("Record<string, string>", True)
    assert fields["thoughts"] == ("string[]", False)


def node_event_fields(source: str) -> set[str]:
    """The fields a Node client reads off an event: ``event.x``, ``e.x`` (an event of the list
    it keeps) and ``reply.x`` (chat.mjs's name for the reply event)."""
    return set(re.findall(r"\b(?:event|e|reply)\??\.(\w+)", source))


@pytest.mark.parametrize("client", NODE_CLIENTS, ids=lambda p: p.name)
def test_the_node_clients_read_only_fields_the_events_have(client):
    pushed = {f.name for f in dataclasses.fields(ChunkEvent)} | {f.name for f in dataclasses.fields(ReplyEvent)}
    read = node_event_fields(client.read_text())
    assert read, f"{client.name} reads no event field: the scan no longer sees how it reads them"
    assert read <= pushed, f"{client.name} reads {sorted(read - pushed)}, which no event has"


def test_the_scan_sees_a_field_no_event_has():
    assert node_event_fields("if (event.type === 'reply') done(event.replyId);") == {"type", "replyId"}
