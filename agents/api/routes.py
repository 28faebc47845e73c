"""The HTTP API's routes (Powertools' ``APIGatewayHttpResolver``): read the request, call the logic
in :mod:`.conversations`, answer JSON. The caller is the JWT authorizer's ``sub`` claim.

=====================================================================  =======================
``POST /conversations/{conversationId}/messages``                      202 the message, queued
``GET  /conversations/{conversationId}/messages[?after=&limit=]``       the caller's history
``GET  /conversations/{conversationId}/messages/{messageId}/chunks``    a reply's draft so far
``GET  /conversations[?nextToken=&limit=]``                            the caller's conversations
=====================================================================  =======================

Each POST is counted against the caller's per-user limit first (:mod:`.rate_limit`): beyond it,
429 with ``Retry-After`` and ``retryAfterSeconds``, and nothing written.

A ``clientMessageId`` makes the POST idempotent per (caller, conversation, clientMessageId):
Powertools idempotency keeps the first answer, so a retried request gets the same messageId and
writes nothing more; the same id with different content is refused (409).
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from . import conversations as logic
from .rate_limit import RateLimiter, TooManyRequests


def build_resolver(  # noqa: C901 - one nested function per route; the lead splits it after issue 18 merges
    store: logic.Store,
    limits: logic.Limits,
    idempotent: Callable[[Callable], Callable],
    logger: Logger,
    metrics: Metrics,
    limiter: RateLimiter,
) -> APIGatewayHttpResolver:
    """The resolver with its routes. ``idempotent`` wraps the post for requests that carry a
    clientMessageId (Powertools' ``idempotent_function``, keyword argument ``request``). Once a
    message is written, its id is the correlation id of what is logged after."""
    app = APIGatewayHttpResolver()
    post_once = idempotent(logic.post_message)

    def caller() -> str:
        claims = app.current_event.request_context.authorizer.jwt_claim or {}
        if not claims.get("sub"):
            raise logic.ApiError(401, "Unauthorized", "no signed-in user")
        return claims["sub"]

    def body() -> bytes:
        raw = app.current_event.get("body") or ""
        return base64.b64decode(raw) if app.current_event.is_base64_encoded else raw.encode("utf-8", "surrogateescape")

    def query(name: str) -> str | None:
        return (app.current_event.query_string_parameters or {}).get(name)

    @app.post("/conversations/<conversationId>/messages")
    def post_message(conversationId: str):
        request = logic.new_message(body(), caller(), conversationId, limits)
        try:
            limiter.admit(request["owner"])
        except TooManyRequests:
            metrics.add_metric(name="MessageRateLimited", unit=MetricUnit.Count, value=1)
            raise
        try:
            if request["clientMessageId"]:
                posted = post_once(request=request, store=store, limits=limits)
            else:
                posted = logic.post_message(request, store, limits)
        except IdempotencyAlreadyInProgressError as exc:
            raise logic.ApiError(409, "InProgress", "this clientMessageId is being posted: retry shortly") from exc
        except IdempotencyValidationError as exc:
            raise logic.ApiError(
                409, "ClientMessageIdReused", "this clientMessageId was sent with other content"
            ) from exc
        logger.set_correlation_id(posted["messageId"])
        metrics.add_metric(name="MessageAccepted", unit=MetricUnit.Count, value=1)
        return Response(202, content_types.APPLICATION_JSON, posted)

    @app.get("/conversations/<conversationId>/messages")
    def get_messages(conversationId: str):
        return logic.history(store, caller(), conversationId, query("after"), logic.page_limit(query("limit"), limits))

    @app.get("/conversations/<conversationId>/messages/<messageId>/chunks")
    def get_chunks(conversationId: str, messageId: str):
        return logic.chunks(store, caller(), conversationId, messageId, query("after"))

    @app.get("/conversations")
    def get_conversations():
        return logic.conversations(store, caller(), query("nextToken"), logic.page_limit(query("limit"), limits))

    @app.exception_handler(logic.ApiError)
    def api_error(error: logic.ApiError):
        headers = error.headers if isinstance(error, TooManyRequests) else None
        return Response(error.status, content_types.APPLICATION_JSON, error.to_dict(), headers=headers)

    return app
