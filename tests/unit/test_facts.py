"""Long-term memory: facts per owner, newest wins per key, bounded, isolated between owners."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from brain_core.facts import Fact, clean_facts, facts_prompt
from brain_core.store import FactStore

TABLE = "TestMemory"


@pytest.fixture
def store():
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "owner", "KeyType": "HASH"}, {"AttributeName": "factKey", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "owner", "AttributeType": "S"},
                {"AttributeName": "factKey", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield FactStore(client, TABLE, max_facts=4, ttl_days=30)


def told(when: str, *pairs: tuple[str, str]) -> list[Fact]:
    return clean_facts([{"key": k, "value": v} for k, v in pairs], when, f"m-{when}")


def test_the_newest_value_wins_for_a_single_valued_kind_and_an_older_one_never_overwrites(store):
    store.remember("ada", told("2026-01-02", ("home", "Lisbon")))
    store.remember("ada", told("2026-01-03", ("home", "Porto")))
    store.remember("ada", told("2026-01-01", ("home", "Faro")))  # a late, older delivery
    assert [(f.kind, f.value) for f in store.load("ada")] == [("home", "Porto")]


def test_multi_valued_kinds_keep_each_value_once(store):
    store.remember("ada", told("2026-01-01", ("likes", "sailing"), ("likes", "Sailing!"), ("likes", "jazz")))
    assert sorted(f.value.lower().strip("!") for f in store.load("ada")) == ["jazz", "sailing"]


def test_an_owner_keeps_at_most_the_cap_the_oldest_go_first(store):
    for day, thing in enumerate(["tea", "jazz", "boats", "maps", "rain", "owls"], start=1):
        store.remember("ada", told(f"2026-01-0{day}", ("likes", thing)))
    assert [f.value for f in store.load("ada")] == ["owls", "rain", "maps", "boats"]


def test_another_owner_never_sees_the_facts(store):
    store.remember("ada", told("2026-01-01", ("name", "Ada")))
    assert store.load("grace") == []
    assert [f.value for f in store.load("ada")] == ["Ada"]


def test_clean_facts_drops_unknown_kinds_empty_values_and_bounds_length():
    facts = clean_facts(
        [{"key": "name", "value": "  Ada  "}, {"key": "shoe size", "value": "38"}, {"key": "plans", "value": " "}]
        + [{"key": "other", "value": "x" * 200}],
        "t",
        "m",
    )
    assert [(f.kind, f.value) for f in facts][0] == ("name", "Ada")
    assert len(facts) == 2 and len(facts[1].value) == 80


def test_the_prompt_lists_the_facts_by_kind():
    text = facts_prompt([Fact("likes", "jazz"), Fact("name", "Ada")])
    assert text.endswith("- name: Ada\n- likes: jazz")
    assert facts_prompt([]) == ""
