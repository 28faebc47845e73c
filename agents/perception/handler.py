"""Perception λ: validate the message, load memory (cached across warm starts), build the prompt.

Input: WorkflowInput. Output (at $.perception): PerceptionResult.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from brain_core.config import AgentEnv
from brain_core.contracts import WorkflowInput
from brain_core.store import ConversationStore, FactStore, dynamodb_client

from .memory import ConversationMemory, OwnerFacts
from .perceive import perceive

logger, tracer, metrics = Logger(), Tracer(), Metrics()
ENV = AgentEnv.from_environ()
DYNAMODB = dynamodb_client()
MEMORY = ConversationMemory(
    ConversationStore(DYNAMODB, ENV.messages_table),
    turns=ENV.history_turns,
    ttl_seconds=ENV.history_cache_ttl_seconds,
)
FACTS = OwnerFacts(
    FactStore(DYNAMODB, ENV.memory_table, ENV.memory_max_facts, ENV.memory_ttl_days),
    ttl_seconds=ENV.history_cache_ttl_seconds,
)


@logger.inject_lambda_context(correlation_id_path="messageId")
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def main(event: dict, context) -> dict:
    message = WorkflowInput.from_dict(event, strict=False)
    result = perceive(
        message,
        MEMORY,
        FACTS,
        history_turns=ENV.history_turns,
        max_input_chars=ENV.max_input_chars,
        persona_length=ENV.persona_length,
    )
    metrics.add_metric(
        name="HistoryCacheHit" if result.cacheHit else "HistoryCacheMiss", unit=MetricUnit.Count, value=1
    )
    if not result.valid:
        metrics.add_metric(name="InputRefused", unit=MetricUnit.Count, value=1)
    if result.suspectedOverride:
        metrics.add_metric(name="PersonaOverrideAttempt", unit=MetricUnit.Count, value=1)
    # Message content stays out of logs at INFO (it is personal); DEBUG shows it when asked for.
    logger.debug("message content", extra={"content": message.content})
    logger.info(
        "perceived",
        extra={
            "valid": result.valid,
            "refusal": result.refusal,
            "turns": len(result.history),
            "cacheHit": result.cacheHit,
            "facts": len(result.facts),
            "suspectedOverride": result.suspectedOverride,
            "elapsedMs": result.elapsedMs,
        },
    )
    return result.to_dict()
