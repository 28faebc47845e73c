"""Reasoning λ (Parallel branch): the brain's thoughts about the exchange, from the small
insight model (a forced tool call under a deadline) or, when it fails or is off, the heuristic.

Input: the workflow state with $.language. Output (one element of $.insights): ReasoningResult.
"""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from brain_core.config import AgentEnv
from brain_core.contracts import InsightInput
from brain_core.insight import InsightSettings, bedrock_client, record
from brain_core.tracing import tracer_for

from .insight import reason

ENV = AgentEnv.from_environ()
INSIGHTS = InsightSettings(ENV.insight_model_id, ENV.insight_deadline_seconds)
BEDROCK = bedrock_client(INSIGHTS) if INSIGHTS.enabled else None
logger, tracer, metrics = Logger(), tracer_for(INSIGHTS.enabled), Metrics()


@logger.inject_lambda_context(correlation_id_path="messageId")
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def main(event: dict, context) -> dict:
    result, outcome = reason(InsightInput.from_state(event), BEDROCK, INSIGHTS)
    record(outcome, logger, metrics)
    if result.repaired:
        metrics.add_metric(name="ReplyStructureRepaired", unit=MetricUnit.Count, value=1)
    logger.info(
        "reasoned", extra={"thoughts": len(result.thoughts), "source": result.source, "elapsedMs": result.elapsedMs}
    )
    return result.to_dict()
