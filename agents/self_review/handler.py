"""SelfReview λ: merge the insights, enforce the persona, write the reply exactly once,
mark the stream done, push the reply to the conversation's channel. Also the fallback path's
writer: with $.error set it writes the graceful fallback reply (status = "fallback"), pushed too.

Input: the workflow state (StateDocument). Output: ReviewResult.
"""

import time
from datetime import UTC, datetime

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from brain_core.config import AgentEnv
from brain_core.contracts import ReviewResult, StateDocument, step_name
from brain_core.events import ReplyChannel, events_publisher
from brain_core.store import ChunkWriter, ConversationStore, dynamodb_client

from .review import compose, stream_end

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
    document = StateDocument.from_dict(event)
    metrics.add_metadata(key="messageId", value=document.message.messageId)  # ties its metrics to the message
    reply = compose(document, datetime.now(UTC))
    reply.timings[step_name("self_review")] = round((time.perf_counter() - started) * 1000, 2)
    written = STORE.put_reply(reply)
    chunks = ChunkWriter(DYNAMODB, ENV.chunks_table, document.message.messageId, ENV.chunk_ttl_seconds)
    if written:
        chunks.finish(stream_end(document))
        message = document.message
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
    logger.info(
        "reviewed",
        extra={
            "status": reply.status,
            "written": written,
            "degraded": reply.degraded,
            "error": document.error.Error if document.error else None,
            "insightsError": document.insightsError.Error if document.insightsError else None,
            "timings": reply.timings,
        },
    )
    return ReviewResult(
        messageId=document.message.messageId, replyId=reply.messageId, status=reply.status, written=written
    ).to_dict()
