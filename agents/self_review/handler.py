"""SelfReview λ: merge the insights, enforce the persona, write the reply exactly once,
mark the stream done, push the reply to the conversation's channel. Also the fallback path's
writer: with $.error set it writes the graceful fallback reply (status = "fallback"), pushed too.

Input: the workflow state. Output: {messageId, replyId, status, written}.
"""

import time
from datetime import UTC, datetime

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from brain_core.config import AgentEnv
from brain_core.contracts import WorkflowInput
from brain_core.events import ReplyChannel, events_publisher
from brain_core.store import ChunkPublisher, ConversationStore, dynamodb_client

from .review import compose

logger, tracer, metrics = Logger(), Tracer(), Metrics()
ENV = AgentEnv.from_environ()
DYNAMODB = dynamodb_client()
STORE = ConversationStore(DYNAMODB, ENV.messages_table)
EVENTS = events_publisher(ENV.events_http_endpoint, DYNAMODB.meta.region_name)


@logger.inject_lambda_context(correlation_id_path="messageId")
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def main(event: dict, context) -> dict:
    started = time.perf_counter()
    message = WorkflowInput.from_dict(event, strict=False)
    reply = compose(message, event, datetime.now(UTC))
    reply.timings["selfReview"] = round((time.perf_counter() - started) * 1000, 2)
    written = STORE.put_reply(reply)
    chunks = ChunkPublisher(DYNAMODB, ENV.chunks_table, message.messageId, ENV.chunk_ttl_seconds)
    if written:
        # On the complete path the language step says how many chunks it wrote; on the fallback
        # path it may have died part-way, so the stream is ended after whatever it did write.
        chunks.finish(None if "error" in event else (event.get("language") or {}).get("chunks"))
        channel = ReplyChannel(EVENTS, ENV.events_namespace, message.owner, message.conversationId)
        channel.reply(reply, chunks=chunks.seq - 1 if chunks.seq else None)  # the done chunk's seq
        if channel.finish()[1]:
            metrics.add_metric(name="EventPublishFailed", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="MessageProcessed", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="TotalLatency", unit=MetricUnit.Milliseconds, value=reply.timings.get("totalMs", 0))
        if "ttftMs" in reply.timings:
            metrics.add_metric(name="TimeToFirstToken", unit=MetricUnit.Milliseconds, value=reply.timings["ttftMs"])
        if reply.status == "fallback":
            metrics.add_metric(name="FallbackReplies", unit=MetricUnit.Count, value=1)
        if reply.degraded:
            metrics.add_metric(name="DegradedReplies", unit=MetricUnit.Count, value=1)
    else:
        # At-least-once delivery ran this message twice: the first reply stands. If that run died
        # between writing the reply and ending the stream, end it here (the same item either way).
        chunks.finish()
        metrics.add_metric(name="DuplicateReplySuppressed", unit=MetricUnit.Count, value=1)
    error = event.get("error") or {}
    logger.info(
        "reviewed",
        extra={
            "status": reply.status,
            "written": written,
            "degraded": reply.degraded,
            "error": error.get("Error"),
            "timings": reply.timings,
        },
    )
    return {"messageId": message.messageId, "replyId": reply.messageId, "status": reply.status, "written": written}
