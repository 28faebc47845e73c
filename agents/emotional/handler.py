"""Emotional λ (Parallel branch): the emotion of the user's message and of the reply, and the
sensations that go with the brain's, from the small insight model (a forced tool call under a
deadline) or, when it fails or is off, the affect lexicon.

Input: the workflow state with $.content and $.language. Output (one element of $.insights):
EmotionalResult.
"""

from aws_lambda_powertools import Logger, Metrics

from brain_core.config import AgentEnv
from brain_core.contracts import InsightInput
from brain_core.insight import InsightSettings, bedrock_client, record
from brain_core.tracing import tracer_for

from .insight import feel

ENV = AgentEnv.from_environ()
INSIGHTS = InsightSettings(ENV.insight_model_id, ENV.insight_deadline_seconds)
BEDROCK = bedrock_client(INSIGHTS) if INSIGHTS.enabled else None
logger, tracer, metrics = Logger(), tracer_for(INSIGHTS.enabled), Metrics()


@logger.inject_lambda_context(correlation_id_path="messageId")
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def main(event: dict, context) -> dict:
    result, outcome = feel(InsightInput.from_state(event), BEDROCK, INSIGHTS)
    record(outcome, logger, metrics)
    tracer.put_annotation(key="emotion", value=result.emotion.label)
    logger.info(
        "felt",
        extra={"emotion": result.emotion.label, "userEmotion": result.userEmotion.label, "elapsedMs": result.elapsedMs},
    )
    return result.to_dict()
