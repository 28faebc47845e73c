import pytest

from brain_core.config import AGENTS, SETTINGS, AgentEnv, ConfigurationError, function_environment
from brain_core.tables import TABLES


def test_every_agent_environment_parses_back_into_its_typed_settings():
    for agent in AGENTS:
        env = AgentEnv.from_environ(function_environment(agent))
        assert env.messages_table == SETTINGS.messages_table and env.model_id == SETTINGS.model_id
        assert env.history_turns == SETTINGS.history_turns and env.temperature == SETTINGS.temperature


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


def test_every_table_reaches_the_functions_under_its_own_variable():
    env = function_environment("language")
    assert {spec.environment_variable: env[spec.environment_variable] for spec in TABLES} == {
        "MESSAGES_TABLE": SETTINGS.messages_table,
        "CHUNKS_TABLE": SETTINGS.chunks_table,
        "IDEMPOTENCY_TABLE": SETTINGS.idempotency_table,
    }
