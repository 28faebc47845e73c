"""Reasoning λ (Parallel branch): the reply's structure as the brain's thoughts.

Input: the workflow state with $.language. Output (one element of $.insights): ReasoningResult.
"""

import time

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from brain_core.contracts import InsightInput, ReasoningResult
from brain_core.tracing import DaemonProvider

from .thoughts import think

# No AWS client here: a light tracing provider instead of aws-xray-sdk (see brain_core.tracing).
logger, tracer, metrics = Logger(), Tracer(provider=DaemonProvider()), Metrics()


@logger.inject_lambda_context(correlation_id_path="messageId")
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def main(event: dict, context) -> dict:
    started = time.perf_counter()
    state = InsightInput.from_state(event)
    thoughts, shape, repaired = think(state.reply, state.userText)
    if repaired:
        metrics.add_metric(name="ReplyStructureRepaired", unit=MetricUnit.Count, value=1)
    result = ReasoningResult(
        agent="reasoning",
        thoughts=thoughts,
        structure=shape,
        repaired=repaired,
        elapsedMs=round((time.perf_counter() - started) * 1000, 2),
    )
    logger.info("reasoned", extra={"thoughts": len(thoughts), "repaired": repaired, "elapsedMs": result.elapsedMs})
    return result.to_dict()
