"""The offline AppSync Events API: HTTP publish and the real-time WebSocket protocol (docs/design.md §8).

No existing emulator fits (docs/design.md §8: none verifies Cognito tokens or runs the namespace's
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

As AppSync's socket: ``connection_init`` comes first (a subscribe or publish before it is refused
with its error frame); a frame that is not a JSON object, has no string ``type``, or carries
mistyped fields gets an ``error`` (or ``subscribe_error``) frame and the connection lives on; the
connection ends (``connection_error``, then close) when its token expires, and a subscription
made with a token of its own stops receiving when that token expires.

Channels are ``/<namespace>/...`` of at most five segments, each 1-50 characters of AppSync's
alphabet (:data:`brain_core.channels.SEGMENT`); a subscription may end in ``/*`` (everything
beneath). Only the configured namespace exists.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

from brain_core.channels import valid_segment
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
    """The ``header-<base64url JSON>`` subprotocol's JSON object ({} when absent or unreadable)."""
    for protocol in protocols:
        if protocol.startswith("header-"):
            encoded = protocol[len("header-") :]
            try:
                found = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
            except (ValueError, TypeError):
                return {}
            return found if isinstance(found, dict) else {}
    return {}


def channel_segments(channel: object, wildcard: bool = False) -> list[str] | None:
    """``/a/b/c`` -> ``["a", "b", "c"]``; None when it is not a channel path of AppSync's rules
    (``wildcard``: the last segment may be ``*``, as a subscription's may)."""
    if not isinstance(channel, str) or not channel.startswith("/"):
        return None
    segments = channel[1:].removesuffix("/").split("/")
    if len(segments) > MAX_SEGMENTS:
        return None
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if not (valid_segment(segment) or (wildcard and last and index > 0 and segment == "*")):
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
    #: When the token it was made with expires (epoch seconds): it receives nothing after.
    expires_at: float = float("inf")


@dataclass
class EventsStats:
    connections: int = 0
    subscribed: int = 0
    refused: int = 0
    published: int = 0
    delivered: int = 0
    open_connections: set = field(default_factory=set)


@dataclass
class _Connection:
    socket: web.WebSocketResponse
    auth: dict
    offered: list[str]
    initialized: bool = False
    tasks: list[asyncio.Future] = field(default_factory=list)

    async def send(self, frame: dict) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):  # the client went away meanwhile
            await self.socket.send_json(frame)


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
        assert isinstance(events, list)  # _publish_problem checked it
        channel = "/" + "/".join(channel_segments(channel) or [])
        await self.deliver(channel, events)
        return web.json_response(
            {"failed": [], "successful": [{"identifier": str(uuid.uuid4()), "index": i} for i in range(len(events))]}
        )

    def _publish_problem(self, channel, events) -> dict | None:
        segments = channel_segments(channel)
        if segments is None:
            return _error("BadRequestException", f"not a channel to publish to: {str(channel)[:100]!r}")
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
        now = time.time()
        for sub in [s for s in self.subscriptions.values() if matches(s.channel, channel)]:
            if sub.expires_at <= now:  # its token has expired: AppSync delivers nothing more
                self.subscriptions.pop((id(sub.socket), sub.id), None)
                continue
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
        connection = _Connection(socket=socket, auth=header_auth(offered), offered=offered)
        key = id(socket)
        self.stats.open_connections.add(key)
        try:
            async for message in socket:
                if message.type != WSMsgType.TEXT:
                    continue
                try:
                    if not await self._frame(connection, message.data, request):
                        break
                except Exception:  # noqa: BLE001 - a frame must never take the connection down
                    log.exception("the Events socket could not handle a frame")
                    await connection.send(
                        {"type": "error", "errors": [_error("InternalFailure", "the frame could not be handled")]}
                    )
        finally:
            for task in connection.tasks:
                task.cancel()
            for sub_key in [k for k in self.subscriptions if k[0] == key]:
                del self.subscriptions[sub_key]
            self.stats.open_connections.discard(key)
        return socket

    async def _frame(self, connection: _Connection, data: str, request: web.Request) -> bool:
        """Handle one client frame; False when the connection is to end."""
        socket = connection.socket
        try:
            frame = json.loads(data)
        except ValueError:
            frame = None
        if not isinstance(frame, dict):
            await connection.send({"type": "error", "errors": [_error("BadRequestException", "not a JSON object")]})
            return True
        kind, frame_id = frame.get("type"), frame.get("id")
        if not isinstance(kind, str):
            await connection.send({"type": "error", "errors": [_error("BadRequestException", "type must be a string")]})
            return True
        if kind == "connection_init":
            if PROTOCOL not in connection.offered:
                await self._refuse_connection(socket, "BadRequestException", f"subprotocol {PROTOCOL} missing")
                return False
            try:
                claims = self.verifier.verify(connection.auth.get("Authorization"))
            except InvalidToken as exc:
                await self._refuse_connection(socket, "UnauthorizedException", str(exc))
                return False
            if not connection.initialized:
                connection.initialized = True
                connection.tasks.append(asyncio.ensure_future(self._keepalive(socket)))
                connection.tasks.append(asyncio.ensure_future(self._expire(socket, float(claims["exp"]))))
            await connection.send({"type": "connection_ack", "connectionTimeoutMs": CONNECTION_TIMEOUT_MS})
            return True
        answer = {"subscribe": "subscribe_error", "unsubscribe": "unsubscribe_error", "publish": "publish_error"}.get(
            kind, "error"
        )
        if kind in ("subscribe", "unsubscribe", "publish") and not connection.initialized:
            await connection.send(
                {
                    "type": answer,
                    "id": frame_id,
                    "errors": [_error("UnauthorizedException", "send connection_init first")],
                }
            )
            return True
        if kind == "subscribe":
            await self._subscribe(connection, frame, request)
        elif kind == "unsubscribe":
            self.subscriptions.pop((id(socket), str(frame_id)), None)
            await connection.send({"type": "unsubscribe_success", "id": frame_id})
        elif kind == "publish":
            await connection.send(
                {
                    "type": "publish_error",
                    "id": frame_id,
                    "errors": [_error("UnauthorizedException", "publishing is IAM (SigV4) only")],
                }
            )
        else:
            await connection.send(
                {"type": "error", "errors": [_error("UnsupportedOperation", f"unknown type {kind[:50]!r}")]}
            )
        return True

    async def _expire(self, socket: web.WebSocketResponse, expires_at: float) -> None:
        """End the connection when its token expires, as AppSync ends it."""
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        if not socket.closed:
            await self._refuse_connection(socket, "UnauthorizedException", "the connection's token has expired")

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

    async def _subscribe(self, connection: _Connection, frame: dict, request: web.Request) -> None:
        raw_id, channel = frame.get("id"), frame.get("channel")
        sub_id = raw_id if isinstance(raw_id, str) else ""

        async def refuse(error_type: str, message: str) -> None:
            self.stats.refused += 1
            await connection.send({"type": "subscribe_error", "id": raw_id, "errors": [_error(error_type, message)]})

        authorization = frame.get("authorization", connection.auth)
        if not isinstance(authorization, dict):
            return await refuse("BadRequestException", "authorization must be an object of headers")
        try:
            claims = self.verifier.verify(authorization.get("Authorization"))
        except InvalidToken as exc:
            return await refuse("UnauthorizedException", str(exc))
        if not 1 <= len(sub_id) <= 128:
            return await refuse("BadRequestException", "id must be a string of 1 to 128 characters")
        segments = channel_segments(channel, wildcard=True)
        if segments is None:
            return await refuse(
                "BadRequestException",
                f"not a channel to subscribe to: {str(channel)[:100]!r} (at most {MAX_SEGMENTS} segments, "
                "each 1-50 letters, digits or dashes; the last may be *)",
            )
        if segments[0] != self.namespace:
            return await refuse("NotFoundException", f"no channel namespace {segments[0]!r}")
        path = "/" + "/".join(segments)
        outcome = self.handlers.run("onSubscribe", self._context(claims, path, segments, request))
        if not outcome.ok:
            return await refuse(outcome.error_type or "HandlerError", outcome.message or "refused")
        socket = connection.socket
        self.subscriptions[(id(socket), sub_id)] = Subscription(sub_id, path, socket, float(claims["exp"]))
        self.stats.subscribed += 1
        await connection.send({"type": "subscribe_success", "id": sub_id})

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
