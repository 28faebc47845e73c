"""API λ: the HTTP API's one function (docs/design.md §8). API Gateway's JWT authorizer has checked the
Cognito token; this writes and reads as the token's ``sub``. Routes: :mod:`.routes`.

Input: an API Gateway HTTP API event (payload format 2.0). Output: its proxy result.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig, idempotent_function

from brain_core.config import SETTINGS, AgentEnv
from brain_core.store import dynamodb_client
from brain_core.tables import CONVERSATIONS_BY_UPDATED

from .conversation_tables import ConversationTables, UsageCounters
from .conversations import Limits
from .rate_limit import RateLimiter
from .routes import build_resolver

logger, tracer, metrics = Logger(), Tracer(), Metrics()
ENV = AgentEnv.from_environ()
DYNAMODB = dynamodb_client()
API = SETTINGS.client_api
LIMITS = Limits(
    max_body_bytes=ENV.max_body_bytes,
    max_content_chars=ENV.max_input_chars,
    page_size=ENV.page_size,
    max_page_size=API.max_page_size,
    title_chars=API.title_chars,
    namespace=ENV.events_namespace,
)
STORE = ConversationTables(
    DYNAMODB, ENV.messages_table, ENV.conversations_table, CONVERSATIONS_BY_UPDATED, ENV.chunks_table
)
# A retried POST with the same clientMessageId (same caller, same conversation) gets the first answer.
IDEMPOTENCY = IdempotencyConfig(
    event_key_jmespath="[owner, conversationId, clientMessageId]",
    payload_validation_jmespath="content",
    expires_after_seconds=API.client_message_ttl_seconds,
)
PERSISTENCE = DynamoDBPersistenceLayer(table_name=ENV.idempotency_table, boto3_client=DYNAMODB)
APP = build_resolver(
    STORE,
    LIMITS,
    idempotent=lambda function: idempotent_function(
        function, data_keyword_argument="request", persistence_store=PERSISTENCE, config=IDEMPOTENCY
    ),
    logger=logger,
    metrics=metrics,
    limiter=RateLimiter(UsageCounters(DYNAMODB, ENV.usage_table), ENV.messages_per_minute, ENV.messages_per_day),
)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def main(event: dict, context) -> dict:
    IDEMPOTENCY.register_lambda_context(context)
    return APP.resolve(event, context)
