"""Depth λ (Parallel branch): novelty against the conversation, memories, a self-reflection
and the durable facts the person told, from the small insight model (a forced tool call under a
deadline) or, when it fails or is off, the heuristic; the facts go to long-term memory, per owner.

Input: the workflow state with $.content, $.owner, $.perception and $.language.
Output (one element of $.insights): DepthResult.
"""

from dataclasses import replace

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import BotoCoreError, ClientError

from brain_core.config import AgentEnv
from brain_core.contracts import InsightInput
from brain_core.insight import InsightSettings, bedrock_client, record
from brain_core.store import FactStore, dynamodb_client
from brain_core.tracing import tracer_for

from .insight import deepen, told_facts

ENV = AgentEnv.from_environ()
INSIGHTS = InsightSettings(ENV.insight_model_id, ENV.insight_deadline_seconds)
BEDROCK = bedrock_client(INSIGHTS) if INSIGHTS.enabled else None
MEMORY = FactStore(dynamodb_client(), ENV.memory_table, ENV.memory_max_facts, ENV.memory_ttl_days)
logger, tracer, metrics = Logger(), tracer_for(True), Metrics()


@logger.inject_lambda_context(correlation_id_path="messageId")
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def main(event: dict, context) -> dict:
    state = InsightInput.from_state(event)
    result, outcome = deepen(state, BEDROCK, INSIGHTS)
    record(outcome, logger, metrics)
    if result.facts and state.owner:
        try:
            taken = MEMORY.remember(state.owner, told_facts(result.facts, state))
            result = replace(result, factsRemembered=taken)
        except (BotoCoreError, ClientError) as failed:  # the insight still stands without the write
            logger.warning("long-term memory not written", extra={"error": type(failed).__name__})
            metrics.add_metric(name="MemoryWriteFailed", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="ReplyNovelty", unit=MetricUnit.Percent, value=result.novelty * 100)
    logger.info(
        "deepened",
        extra={"novelty": result.novelty, "facts": len(result.facts), "factsRemembered": result.factsRemembered},
    )
    return result.to_dict()
