"""The offline AppSync Events API: HTTP publish and the real-time WebSocket protocol (DESIGN §8).

No existing emulator fits (DESIGN §8: none verifies Cognito tokens or runs the namespace's
handler without Docker), so this one is ours, on aiohttp, served by the front door over TLS:

- ``POST /event`` ``{"channel", "events": [<JSON string>, ...]}``: publish, **IAM only** as the
  CDK stack configures it: the request's SigV4 for the service ``appsync`` is verified and the
  signer's policy must allow ``appsync:EventPublish`` on the namespace (:attr:`EventsService.authorize`,
  the stack's :mod:`brain_local.iam`; without one every publish is refused), else AppSync's 401
  ``UnauthorizedException`` (a user-pool token is refused, so no browser can forge a chunk). At
  most 5 events, each valid JSON of at most 240 KB;
  the answer is AppSync's ``{"successful": [{identifier, index}], "failed": [...]}``.
- ``GET /event/realtime``: the WebSocket, subprotocols ``aws-appsync-event-ws`` and
  ``header-<base64url JSON>`` carrying ``{"Authorization": <user-pool token>, "host"}``.
  Client frames ``connection_init``, ``subscribe {id, channel, authorization}``,
  ``unsubscribe {id}``, ``publish`` (refused: IAM only); server frames ``connection_ack
  {connectionTimeoutMs}``, ``ka`` (every ``ka_interval`` seconds), ``subscribe_success`` /
  ``subscribe_error``, ``data {id, event}``, ``unsubscribe_success``, ``publish_error``,
  ``connection_error``, ``error``.
- Each subscribe runs the namespace's ``onSubscribe`` from the same APPSYNC_JS file CDK deploys
  (:mod:`brain_local.events.appsync_js`), with ``ctx.identity`` from the verified token.

Channels are ``/<namespace>/...`` of at most five segments; a subscription may end in ``/*``
(everything beneath). Only the configured namespace exists.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

from brain_local.cognito.identity import InvalidToken, TokenVerifier
from brain_local.events.appsync_js import NamespaceHandlers

log = logging.getLogger("brain.events")

PROTOCOL = "aws-appsync-event-ws"
MAX_EVENTS = 5
MAX_EVENT_BYTES = 240 * 1024
MAX_SEGMENTS = 5
CONNECTION_TIMEOUT_MS = 300_000


def _error(error_type: str, message: str) -> dict:
    return {"errorType": error_type, "message": message}


def header_auth(protocols: list[str]) -> dict:
    """The ``header-<base64url JSON>`` subprotocol's JSON ({} when absent or unreadable)."""
    for protocol in protocols:
        if protocol.startswith("header-"):
            encoded = protocol[len("header-") :]
            try:
                return json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
            except (ValueError, TypeError):
                return {}
    return {}


def channel_segments(channel: object) -> list[str] | None:
    """``/a/b/c`` -> ``["a", "b", "c"]``; None when it is not a channel path."""
    if not isinstance(channel, str):
        return None
    segments = channel.strip("/").split("/")
    if not channel.strip("/") or len(segments) > MAX_SEGMENTS or any(not s for s in segments):
        return None
    return segments


def matches(pattern: str, channel: str) -> bool:
    if pattern.endswith("/*"):
        return channel.startswith(pattern[:-1])
    return pattern == channel


@dataclass
class Subscription:
    id: str
    channel: str
    socket: web.WebSocketResponse


@dataclass
class EventsStats:
    connections: int = 0
    subscribed: int = 0
    refused: int = 0
    published: int = 0
    delivered: int = 0
    open_connections: set = field(default_factory=set)


class EventsService:
    def __init__(
        self,
        verifier: TokenVerifier,
        handlers: NamespaceHandlers,
        namespace: str,
        ka_interval: float = 60.0,
    ):
        self.verifier = verifier
        self.handlers = handlers
        self.namespace = namespace
        self.ka_interval = ka_interval
        self.subscriptions: dict[tuple[int, str], Subscription] = {}
        self.stats = EventsStats()
        #: ``(method, url, headers, body)`` -> the signer, or raises brain_local.iam.AuthError.
        self.authorize: Callable[[str, str, Mapping[str, str], bytes], object] | None = None

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/event", self.http_publish)
        app.router.add_get("/event/realtime", self.realtime)

    # -- publishing ------------------------------------------------------------------------------
    async def http_publish(self, request: web.Request) -> web.Response:
        from brain_local.iam import AuthError

        try:
            raw = await request.read()
        except ConnectionError:  # the publisher went away mid-request (its environment stopped)
            return web.Response(status=499)
        if self.authorize is None:
            return web.json_response(
                {"errors": [_error("UnauthorizedException", "publishing is IAM (SigV4) only")]}, status=401
            )
        try:
            self.authorize(request.method, f"{request.scheme}://{request.host}{request.raw_path}", request.headers, raw)
        except AuthError as refusal:
            status, headers, payload = refusal.response()
            return web.Response(status=status, body=payload, headers=dict(headers))
        try:
            body = json.loads(raw)
            channel, events = body.get("channel"), body.get("events")
        except (ValueError, AttributeError):
            return web.json_response({"errors": [_error("BadRequestException", "the body is not JSON")]}, status=400)
        problem = self._publish_problem(channel, events)
        if problem:
            return web.json_response({"errors": [problem]}, status=400)
        channel = "/" + channel.strip("/")
        await self.deliver(channel, events)
        return web.json_response(
            {"failed": [], "successful": [{"identifier": str(uuid.uuid4()), "index": i} for i in range(len(events))]}
        )

    def _publish_problem(self, channel, events) -> dict | None:
        segments = channel_segments(channel)
        if segments is None or "*" in segments:
            return _error("BadRequestException", f"not a channel to publish to: {channel!r}")
        if segments[0] != self.namespace:
            return _error("NotFoundException", f"no channel namespace {segments[0]!r}")
        if not isinstance(events, list) or not 1 <= len(events) <= MAX_EVENTS:
            return _error("BadRequestException", f"events must be a list of 1 to {MAX_EVENTS} JSON strings")
        for event in events:
            if not isinstance(event, str) or len(event.encode()) > MAX_EVENT_BYTES:
                return _error("BadRequestException", "each event must be a JSON string of at most 240 KB")
            try:
                json.loads(event)
            except ValueError:
                return _error("BadRequestException", "an event is not valid JSON")
        return None

    async def deliver(self, channel: str, events: list[str]) -> int:
        """Send ``events`` to every subscription matching ``channel``, in order."""
        self.stats.published += len(events)
        delivered = 0
        for sub in [s for s in self.subscriptions.values() if matches(s.channel, channel)]:
            for event in events:
                try:
                    await sub.socket.send_str(json.dumps({"type": "data", "id": sub.id, "event": event}))
                    delivered += 1
                except (ConnectionError, RuntimeError):
                    break  # the socket closed meanwhile: its subscriptions go with it
        self.stats.delivered += delivered
        return delivered

    # -- the WebSocket ---------------------------------------------------------------------------
    async def realtime(self, request: web.Request) -> web.WebSocketResponse:  # noqa: C901 - the Events protocol's message loop; split after the re-layout
        offered = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]
        socket = web.WebSocketResponse(protocols=(PROTOCOL,), autoping=True)
        await socket.prepare(request)
        self.stats.connections += 1
        connection_auth = header_auth(offered)
        keepalive: asyncio.Task | None = None
        key = id(socket)
        self.stats.open_connections.add(key)
        try:
            async for message in socket:
                if message.type != WSMsgType.TEXT:
                    continue
                try:
                    frame = json.loads(message.data)
                except ValueError:
                    await socket.send_json({"type": "error", "errors": [_error("BadRequestException", "not JSON")]})
                    continue
                kind = frame.get("type")
                if kind == "connection_init":
                    if PROTOCOL not in offered:
                        await self._refuse_connection(socket, "BadRequestException", f"subprotocol {PROTOCOL} missing")
                        break
                    try:
                        self.verifier.verify(connection_auth.get("Authorization"))
                    except InvalidToken as exc:
                        await self._refuse_connection(socket, "UnauthorizedException", str(exc))
                        break
                    await socket.send_json({"type": "connection_ack", "connectionTimeoutMs": CONNECTION_TIMEOUT_MS})
                    if keepalive is None:
                        keepalive = asyncio.ensure_future(self._keepalive(socket))
                elif kind == "subscribe":
                    await self._subscribe(socket, frame, connection_auth, request)
                elif kind == "unsubscribe":
                    self.subscriptions.pop((key, str(frame.get("id"))), None)
                    await socket.send_json({"type": "unsubscribe_success", "id": frame.get("id")})
                elif kind == "publish":
                    await socket.send_json(
                        {
                            "type": "publish_error",
                            "id": frame.get("id"),
                            "errors": [_error("UnauthorizedException", "publishing is IAM (SigV4) only")],
                        }
                    )
                else:
                    await socket.send_json(
                        {"type": "error", "errors": [_error("UnsupportedOperation", f"unknown type {kind!r}")]}
                    )
        finally:
            if keepalive is not None:
                keepalive.cancel()
            for sub_key in [k for k in self.subscriptions if k[0] == key]:
                del self.subscriptions[sub_key]
            self.stats.open_connections.discard(key)
        return socket

    async def _refuse_connection(self, socket: web.WebSocketResponse, error_type: str, message: str) -> None:
        await socket.send_json({"type": "connection_error", "errors": [_error(error_type, message)]})
        await socket.close()

    async def _keepalive(self, socket: web.WebSocketResponse) -> None:
        while not socket.closed:
            await asyncio.sleep(self.ka_interval)
            try:
                await socket.send_json({"type": "ka"})
            except (ConnectionError, RuntimeError):
                return

    async def _subscribe(self, socket, frame: dict, connection_auth: dict, request: web.Request) -> None:
        sub_id, channel = str(frame.get("id") or ""), frame.get("channel")

        async def refuse(error_type: str, message: str) -> None:
            self.stats.refused += 1
            await socket.send_json({"type": "subscribe_error", "id": sub_id, "errors": [_error(error_type, message)]})

        authorization = frame.get("authorization") or connection_auth
        try:
            claims = self.verifier.verify(authorization.get("Authorization"))
        except InvalidToken as exc:
            return await refuse("UnauthorizedException", str(exc))
        segments = channel_segments(channel)
        if not sub_id or segments is None or "*" in segments[:-1]:
            return await refuse("BadRequestException", f"not a channel to subscribe to: {channel!r}")
        if segments[0] != self.namespace:
            return await refuse("NotFoundException", f"no channel namespace {segments[0]!r}")
        path = "/" + "/".join(segments)
        outcome = self.handlers.run("onSubscribe", self._context(claims, path, segments, request))
        if not outcome.ok:
            return await refuse(outcome.error_type or "HandlerError", outcome.message or "refused")
        self.subscriptions[(id(socket), sub_id)] = Subscription(sub_id, path, socket)
        self.stats.subscribed += 1
        await socket.send_json({"type": "subscribe_success", "id": sub_id})

    def _context(self, claims: dict, path: str, segments: list[str], request: web.Request) -> dict:
        """``ctx`` as AppSync Events hands it to ``onSubscribe`` for a user-pool subscriber."""
        username = claims.get("username") or claims.get("cognito:username")
        return {
            "identity": {
                "sub": claims["sub"],
                "issuer": claims["iss"],
                "username": username,
                "claims": claims,
                "sourceIp": [request.remote or "127.0.0.1"],
                "defaultAuthStrategy": "ALLOW",
                "groups": claims.get("cognito:groups"),
            },
            "info": {
                "channel": {"path": path, "segments": segments},
                "channelNamespace": {"name": self.namespace},
                "operation": "SUBSCRIBE",
            },
            "request": {"headers": dict(request.headers), "domainName": request.host},
            "stash": {},
        }
