"""The offline stack's front door: one TLS origin with everything a browser or a Node client needs.

``https://127.0.0.1:<tls port>`` (aiohttp, its own thread and event loop in the stack's process):

==========================  ================================================================
``POST /event``             AppSync Events HTTP publish (IAM only) (:mod:`.events_service`)
``GET /event/realtime``     AppSync Events WebSocket (``wss://``, what aws-amplify insists on)
``/api/...``                the HTTP API and its JWT authorizer (:mod:`.http_api`)
``POST /``                  Cognito's JSON API (``X-Amz-Target: AWSCognitoIdentityProviderService.*``),
                            forwarded to moto on the plain endpoint: Amplify's ``userPoolEndpoint``
``GET /config.json``        the web page's configuration: the aws-amplify one (also written to
                            ``.brain/config.json``) and the page's ``web`` section
``GET /ca.pem``             the local CA's certificate
``GET /...``                static files, when the stack is given a directory of them (the web chat)
==========================  ================================================================

One origin, so a page served from it reaches Cognito, the API and the Events socket with a single
certificate decision, and without CORS. Cross-origin callers get CORS headers only when their
origin is the front door's own or one named with ``brain up --cors-origin`` (never an echo of
whatever ``Origin`` came: any page in the developer's browser could otherwise drive the stack).
Cognito's operations pass as :mod:`.cognito_gate` decides: the public ones as they came, the rest
only signed by the administrator. The plain ``http://127.0.0.1:<port>`` endpoint stays the SDKs'
endpoint.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
from collections.abc import Callable
from pathlib import Path

from aiohttp import ClientSession, ClientTimeout, web

from brain_local.frontdoor import cognito_gate

log = logging.getLogger("brain.front_door")

#: Requests larger than this are refused before any route sees them (API Gateway's own limit).
MAX_REQUEST_BYTES = 10 * 1024 * 1024


def cors(allowed: Callable[[], frozenset[str]]):
    """CORS for the origins ``allowed()`` names: they get ``Access-Control-Allow-Origin``, any other
    origin (``null`` too) gets no CORS header at all, so the browser keeps the answer from it."""

    @web.middleware
    async def middleware(request: web.Request, handler):
        origin = request.headers.get("Origin", "")
        trusted = origin in allowed()
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            response = web.Response(status=204)
            if trusted:
                response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
                response.headers["Access-Control-Allow-Headers"] = request.headers.get(
                    "Access-Control-Request-Headers", "authorization, content-type"
                )
                response.headers["Access-Control-Max-Age"] = "600"
        else:
            response = await handler(request)
        if isinstance(response, web.StreamResponse) and not isinstance(response, web.WebSocketResponse):
            response.headers["Vary"] = "Origin"
            if trusted:
                response.headers["Access-Control-Allow-Origin"] = origin
        return response

    return middleware


class FrontDoor:
    def __init__(
        self,
        host: str,
        port: int,
        ssl_context: ssl.SSLContext,
        *,
        cognito_endpoint: str,
        region: str,
        config: Callable[[], dict],
        ca_file: Path,
        static_dir: Path | None = None,
        cors_origins: tuple[str, ...] = (),
        authorize: cognito_gate.Authorize | None = None,
    ):
        self.host, self.port = host, port
        self._ssl = ssl_context
        self._cognito_endpoint = cognito_endpoint
        self._cognito_host = f"cognito-idp.{region}.amazonaws.com"
        self._region = region
        self._config = config
        self._ca_file = ca_file
        self._static_dir = static_dir
        self._cors_origins = tuple(cors_origins)
        self._authorize = authorize
        self._services: list = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}"

    def add(self, service) -> None:
        """A service with ``add_routes(app)`` (events, the HTTP API); before :meth:`start`."""
        self._services.append(service)

    def allowed_origins(self) -> frozenset[str]:
        """The front door's own origin and those named with ``--cors-origin``."""
        return frozenset((self.url, *self._cors_origins))

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        assert self._loop is not None, "the front door is not running"
        return self._loop

    def _app(self) -> web.Application:
        app = web.Application(middlewares=[cors(self.allowed_origins)], client_max_size=MAX_REQUEST_BYTES)
        for service in self._services:
            service.add_routes(app)
        app.router.add_post("/", self.cognito)
        app.router.add_get("/config.json", self.config_json)
        app.router.add_get("/ca.pem", self.ca_pem)
        if self._static_dir is not None and self._static_dir.is_dir():
            app.router.add_get("/", self.index)
            app.router.add_static("/", self._static_dir)
        return app

    async def config_json(self, _request: web.Request) -> web.Response:
        return web.json_response(self._config())

    async def ca_pem(self, _request: web.Request) -> web.FileResponse:
        return web.FileResponse(self._ca_file)

    async def index(self, _request: web.Request) -> web.FileResponse:
        assert self._static_dir is not None  # the route exists only with a static directory
        return web.FileResponse(self._static_dir / "index.html")

    async def cognito(self, request: web.Request) -> web.Response:
        target = request.headers.get("X-Amz-Target", "")
        name = cognito_gate.operation(target)
        if name is None:
            return web.json_response({"message": "Not Found"}, status=404)
        body = await request.read()
        if not cognito_gate.is_public(name):
            url = f"{request.scheme}://{request.host}{request.raw_path}"  # as the caller signed it
            refused = cognito_gate.refusal(self._authorize, request.method, url, request.headers, body)
            if refused is not None:
                status, headers, answer = refused
                return web.Response(status=status, body=answer, headers=dict(headers))
        if self._session is None:
            self._session = ClientSession(timeout=ClientTimeout(total=30))
        headers = {
            "X-Amz-Target": target,
            "Content-Type": request.headers.get("Content-Type", "application/x-amz-json-1.1"),
            # moto picks the service by host, as AWS does by domain.
            "Host": self._cognito_host,
        }
        if not cognito_gate.is_public(name):
            headers = cognito_gate.signed_as_administrator(self._cognito_endpoint, headers, body, self._region)
        async with self._session.post(self._cognito_endpoint, data=body, headers=headers) as answer:
            body = await answer.read()
            passed = {k: v for k, v in answer.headers.items() if k.lower() in ("content-type", "x-amzn-errortype")}
            return web.Response(status=answer.status, body=body, headers=passed)

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self, timeout: float = 15.0) -> FrontDoor:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                self._runner = web.AppRunner(self._app(), access_log=None)
                loop.run_until_complete(self._runner.setup())
                site = web.TCPSite(self._runner, self.host, self.port, ssl_context=self._ssl, backlog=256)
                loop.run_until_complete(site.start())
                server = site._server
                assert isinstance(server, asyncio.Server)
                self.port = server.sockets[0].getsockname()[1]  # port 0 asks for any free port
            except BaseException as exc:  # noqa: BLE001 - reported to start(), which raises it
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()

        self._thread = threading.Thread(target=run, name="brain-front-door", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise RuntimeError("the front door did not start in time")
        if failure:
            raise failure[0]
        return self

    def call(self, coroutine, timeout: float = 10.0):
        """Run ``coroutine`` on the front door's loop from another thread and wait for it."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return

        async def shutdown() -> None:
            if self._session is not None:
                await self._session.close()
            if self._runner is not None:
                await self._runner.cleanup()

        try:
            self.call(shutdown(), timeout=10)
        except (TimeoutError, RuntimeError) as exc:
            log.warning("front door shutdown: %s", exc)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        self._loop = None
