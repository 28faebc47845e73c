"""Emotional λ (Parallel branch): the emotion of the user's message and of the reply, and
the sensations that go with the brain's.

Input: the workflow state with $.content and $.language. Output (one element of $.insights):
EmotionalResult.
"""

import time

from aws_lambda_powertools import Logger, Metrics, Tracer

from brain_core.contracts import EmotionalResult, InsightInput
from brain_core.tracing import DaemonProvider

from .affect import empathise, score, sensations

# No AWS client here: a light tracing provider instead of aws-xray-sdk (see brain_core.tracing).
logger, tracer, metrics = Logger(), Tracer(provider=DaemonProvider()), Metrics()


@logger.inject_lambda_context(correlation_id_path="messageId")
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def main(event: dict, context) -> dict:
    started = time.perf_counter()
    state = InsightInput.from_state(event)
    theirs = score(state.userText)
    own = empathise(score(state.reply), theirs)
    result = EmotionalResult(
        agent="emotional",
        emotion=own,
        userEmotion=theirs,
        sensations=sensations(own, seed=state.messageId),
        elapsedMs=round((time.perf_counter() - started) * 1000, 2),
    )
    tracer.put_annotation(key="emotion", value=own.label)
    logger.info("felt", extra={"emotion": own.label, "userEmotion": theirs.label, "elapsedMs": result.elapsedMs})
    return result.to_dict()
