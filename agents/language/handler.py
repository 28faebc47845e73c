"""Language λ: Bedrock ConverseStream, chunks to the client as they arrive: each coalesced chunk
is written to ResponseChunks and then pushed to the conversation's channel (AppSync Events, off
the hot path: brain_core/events.py).

Input: the workflow state with $.perception. Output (at $.language): LanguageResult.
Raises ModelThrottled / ModelUnavailable / ModelStalled for the state machine to retry or catch.
Idempotent per messageId (Powertools idempotency, DynamoDB persistence): a duplicate run gets
the first run's result, and a run while the first is still going raises
IdempotencyAlreadyInProgressError, which the state machine retries. The in-progress window is a
10 s lease renewed while the run lives (lease.py), so after an execution environment dies
mid-invoke a retry takes over within seconds and continues the stream the dead run began.
"""

from typing import TYPE_CHECKING, cast

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig, idempotent

from brain_core.config import AgentEnv
from brain_core.contracts import PerceptionResult, WorkflowInput
from brain_core.events import ReplyChannel, events_publisher
from brain_core.store import ChunkWriter, dynamodb_client

from .lease import Lease, WatchedRecords

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
from .model_client import make_model_client
from .streaming import inference_config, speak

logger, tracer, metrics = Logger(), Tracer(), Metrics()
ENV = AgentEnv.from_environ()
DYNAMODB = dynamodb_client()
MODEL = make_model_client(ENV.model_client, ENV.bedrock_max_attempts, ENV.bedrock_read_timeout_seconds)
INFERENCE = inference_config(ENV.max_output_tokens, ENV.temperature, ENV.top_p)
EVENTS = events_publisher(ENV.events_http_endpoint, DYNAMODB.meta.region_name)
# At-least-once delivery may run a message twice: the second run returns the first's result
# instead of calling the model and writing the chunks again.
IDEMPOTENCY = IdempotencyConfig(event_key_jmespath="messageId", expires_after_seconds=3600)
RECORDS = WatchedRecords(DYNAMODB)
# RECORDS stands in for the DynamoDB client: it forwards every call, watching PutItem (lease.py).
PERSISTENCE = DynamoDBPersistenceLayer(table_name=ENV.idempotency_table, boto3_client=cast("DynamoDBClient", RECORDS))
LEASE = Lease(RECORDS, PERSISTENCE)


@logger.inject_lambda_context(correlation_id_path="messageId")
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
@LEASE.windowed
@idempotent(config=IDEMPOTENCY, persistence_store=PERSISTENCE)
def main(event: dict, context) -> dict:
    message = WorkflowInput.from_dict(event, strict=False)
    perception = PerceptionResult.from_dict(event["perception"])
    channel = ReplyChannel(EVENTS, ENV.events_namespace, message.owner, message.conversationId)
    sink = ChunkWriter(DYNAMODB, ENV.chunks_table, message.messageId, ENV.chunk_ttl_seconds, on_written=channel.chunk)
    tracer.put_annotation(key="model", value=ENV.model_id)
    if LEASE.took_over:  # an earlier run died holding this message: continue what it streamed
        metrics.add_metric(name="LanguageTakeovers", unit=MetricUnit.Count, value=1)
        logger.warning("taking over from a run that died")
    with LEASE.held():
        result = speak(perception, MODEL, sink, ENV.model_id, INFERENCE, ENV.chunk_interval_ms, resume=LEASE.took_over)
    pushed, push_failed = channel.finish()
    if not result.refused:
        metrics.add_metric(name="BedrockLatency", unit=MetricUnit.Milliseconds, value=result.modelMs)
        metrics.add_metric(name="ModelTimeToFirstToken", unit=MetricUnit.Milliseconds, value=result.modelTtftMs)
        metrics.add_metric(name="OutputTokens", unit=MetricUnit.Count, value=result.outputTokens)
    metrics.add_metric(name="ChunksWritten", unit=MetricUnit.Count, value=result.chunks)
    if result.failedChunkWrites:
        metrics.add_metric(name="ChunkWriteRetried", unit=MetricUnit.Count, value=result.failedChunkWrites)
    if push_failed:
        metrics.add_metric(name="EventPublishFailed", unit=MetricUnit.Count, value=push_failed)
    logger.info(
        "spoke",
        extra={
            "chunks": result.chunks,
            "modelTtftMs": result.modelTtftMs,
            "modelMs": result.modelMs,
            "outputTokens": result.outputTokens,
            "pushed": pushed,
            "channel": channel.channel is not None,
        },
    )
    return result.to_dict()
