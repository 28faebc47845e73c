"""Depth λ (Parallel branch): novelty against the conversation, a perspective, memories.

Input: the workflow state with $.content, $.perception.history and $.language.
Output (one element of $.insights): DepthResult.
"""

import time

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from brain_core.contracts import DepthResult, InsightInput
from brain_core.tracing import DaemonProvider

from .novelty import memories, novelty, perspective

# No AWS client here: a light tracing provider instead of aws-xray-sdk (see brain_core.tracing).
logger, tracer, metrics = Logger(), Tracer(provider=DaemonProvider()), Metrics()


@logger.inject_lambda_context(correlation_id_path="messageId")
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def main(event: dict, context) -> dict:
    started = time.perf_counter()
    state = InsightInput.from_state(event)
    score, similar = novelty(state.reply, state.history)
    result = DepthResult(
        agent="depth",
        novelty=score,
        mostSimilarReply=similar,
        perspective=perspective(state.userText, state.reply, score),
        memories=memories(state.userText, state.history),
        elapsedMs=round((time.perf_counter() - started) * 1000, 2),
    )
    metrics.add_metric(name="ReplyNovelty", unit=MetricUnit.Percent, value=score * 100)
    logger.info("deepened", extra={"novelty": score, "elapsedMs": result.elapsedMs})
    return result.to_dict()
