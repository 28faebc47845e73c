from dataclasses import replace

import pytest

from brain_core.config import (
    AGENTS,
    ENVIRONMENT,
    FUNCTIONS,
    SETTINGS,
    AgentEnv,
    ConfigurationError,
    function_environment,
)
from brain_core.tables import TABLES


def test_every_agent_environment_parses_back_into_its_typed_settings():
    for agent in AGENTS:
        env = AgentEnv.from_environ(function_environment(agent))
        assert env.messages_table == SETTINGS.messages_table and env.model_id == SETTINGS.model_id
        assert env.history_turns == SETTINGS.history_turns and env.temperature == SETTINGS.temperature


def test_each_row_of_the_table_reaches_every_function_and_reads_back_as_the_deployments_value():
    rows = {row.name: row for row in ENVIRONMENT}
    for function in FUNCTIONS:
        read = AgentEnv.from_environ(function_environment(function))
        for name, row in rows.items():
            expected = "" if row.deployment else getattr(SETTINGS, name)
            assert getattr(read, name) == expected, (function, row.variable)
            assert type(getattr(read, name)) is row.type, (function, row.variable)


def test_the_environment_is_the_table_and_nothing_else():
    env = function_environment("perception")
    declared = {row.variable for row in ENVIRONMENT if not row.deployment}
    assert set(env) - declared == {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_LOGGER_LOG_EVENT"}
    assert declared <= set(env)
    assert len({row.variable for row in ENVIRONMENT}) == len(ENVIRONMENT), "two rows share a variable"


def test_a_deployments_override_reaches_the_environment_under_the_rows_variable():
    settings = replace(SETTINGS, model_id="amazon.nova-lite-v1:0", log_level="DEBUG", temperature=0.2)
    env = function_environment("language", settings)
    assert (env["MODEL_ID"], env["POWERTOOLS_LOG_LEVEL"], env["TEMPERATURE"]) == (
        "amazon.nova-lite-v1:0",
        "DEBUG",
        "0.2",
    )
    assert AgentEnv.from_environ(env).temperature == 0.2


def test_every_row_has_a_type_the_environment_can_carry_and_a_default_of_that_type():
    for row in ENVIRONMENT:
        assert row.type in (str, int, float), row.name
        assert isinstance(row.default, row.type), row.name


def test_the_events_endpoint_is_optional_and_only_the_deployment_knows_it():
    env = function_environment("language")
    assert "EVENTS_HTTP_ENDPOINT" not in env
    assert AgentEnv.from_environ(env).events_http_endpoint == ""
    url = "https://abc.appsync-api.us-east-1.amazonaws.com/event"
    assert AgentEnv.from_environ({**env, "EVENTS_HTTP_ENDPOINT": url}).events_http_endpoint == url


def test_a_missing_or_malformed_setting_fails_loudly_at_cold_start():
    env = function_environment("perception")
    del env["MESSAGES_TABLE"]
    with pytest.raises(ConfigurationError, match="MESSAGES_TABLE"):
        AgentEnv.from_environ(env)
    with pytest.raises(ConfigurationError, match="HISTORY_TURNS"):
        AgentEnv.from_environ({**function_environment("perception"), "HISTORY_TURNS": "many"})


def test_pipe_settings_match_the_seed_recommendations():
    pipe = SETTINGS.pipe
    assert (pipe.batch_size, pipe.maximum_batching_window_seconds, pipe.maximum_retry_attempts) == (1, 0, 2)
    assert pipe.on_partial_batch_item_failure == "AUTOMATIC_BISECT" and pipe.invocation_type == "FIRE_AND_FORGET"


def test_the_persona_length_is_checked_at_cold_start():
    assert AgentEnv.from_environ({**function_environment("perception"), "PERSONA_LENGTH": "condensed"})
    with pytest.raises(ConfigurationError, match="PERSONA_LENGTH"):
        AgentEnv.from_environ({**function_environment("perception"), "PERSONA_LENGTH": "short"})


def test_every_table_has_a_row():
    names = {row.name for row in ENVIRONMENT}
    assert {spec.setting for spec in TABLES} <= names


def test_every_table_reaches_the_functions_under_its_own_variable():
    env = function_environment("language")
    assert {spec.environment_variable: env[spec.environment_variable] for spec in TABLES} == {
        "MESSAGES_TABLE": SETTINGS.messages_table,
        "CHUNKS_TABLE": SETTINGS.chunks_table,
        "IDEMPOTENCY_TABLE": SETTINGS.idempotency_table,
        "MEMORY_TABLE": SETTINGS.memory_table,
        "CONVERSATIONS_TABLE": SETTINGS.conversations_table,
        "USAGE_TABLE": SETTINGS.usage_table,
    }


def test_the_insight_deadline_fits_each_branch_function_and_its_state_with_room_for_a_cold_start():
    from brain_core.config import INSIGHT_AGENTS
    from brain_core.workflow import definition

    cold_start_and_writes = 1.5  # seconds: an AWS client's cold start (~0.3 s measured) and depth's writes
    branches = {
        name: state for b in definition()["States"]["PostProcess"]["Branches"] for name, state in b["States"].items()
    }
    from brain_local.stack.functions import LOCAL_MODEL_INSIGHT_DEADLINE_SECONDS

    for agent in INSIGHT_AGENTS:
        for deadline in (SETTINGS.insight_deadline_seconds, LOCAL_MODEL_INSIGHT_DEADLINE_SECONDS):
            needed = deadline + cold_start_and_writes
            assert needed <= SETTINGS.functions[agent].timeout_seconds, agent
            assert needed <= branches[agent.capitalize()]["TimeoutSeconds"], agent


def test_the_insight_settings_reach_the_functions():
    env = AgentEnv.from_environ(function_environment("depth"))
    assert env.insight_model_id == SETTINGS.insight_model_id == "amazon.nova-micro-v1:0"
    assert env.insight_deadline_seconds == 2.5 and env.memory_table == SETTINGS.memory_table
