"""The offline HTTP API: API Gateway (HTTP API, payload 2.0) with a Cognito JWT authorizer.

The same routes as the CDK stack (``ClientApiSettings.routes``), under ``/api`` on the front
door (``API.REST.brain.endpoint``). A request whose route matches is authorised as API Gateway's
JWT authorizer does it (the ``Authorization`` header, ``Bearer`` optional; a missing, bad or
expired token gets ``401 {"message": "Unauthorized"}`` and reaches no function), then handed to
the API function through the local Lambda Invoke pool as the same API-Gateway-v2 event AWS builds
(``routeKey``, ``rawPath``, ``pathParameters``, ``requestContext.authorizer.jwt.claims``, ...);
its proxy result becomes the HTTP response. No route: ``404 {"message": "Not Found"}``; a
function error: ``500 {"message": "Internal Server Error"}``, as API Gateway answers.
"""

from __future__ import annotations

import asyncio
import base64
import re
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from aiohttp import web

from brain_local.cognito.identity import InvalidToken, TokenVerifier

PREFIX = "/api"

#: (result, function error kind or None): how the Lambda pool answers an invoke.
Invoke = Callable[[dict], tuple[object, "str | None"]]


class Route:
    def __init__(self, key: str):
        self.key = key
        self.method, self.template = key.split(" ", 1)
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.template))
        self._pattern = re.compile(pattern + "$")

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        found = self._pattern.match(path)
        return found.groupdict() if found else None


class HttpApiService:
    def __init__(
        self,
        routes: tuple[str, ...],
        verifier: TokenVerifier,
        invoke: Invoke,
        *,
        account: str,
        api_id: str = "offline",
        max_workers: int = 32,
    ):
        self.routes = [Route(key) for key in routes]
        self.verifier = verifier
        self.invoke = invoke
        self.account = account
        self.api_id = api_id
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="http-api")

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", PREFIX + "/{tail:.*}", self.handle)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def handle(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        for route in self.routes:
            parameters = route.match(request.method, path)
            if parameters is not None:
                break
        else:
            return web.json_response({"message": "Not Found"}, status=404)
        try:
            claims = self.verifier.verify(request.headers.get("Authorization"))
        except InvalidToken:
            return web.json_response(
                {"message": "Unauthorized"}, status=401, headers={"www-authenticate": 'Bearer error="invalid_token"'}
            )
        body = await request.read()
        event = self.event(request, route, path, parameters, claims, body)
        loop = asyncio.get_running_loop()
        result, function_error = await loop.run_in_executor(self._executor, self.invoke, event)
        if function_error or not isinstance(result, dict):
            return web.json_response({"message": "Internal Server Error"}, status=500)
        return proxy_response(result)

    def event(self, request: web.Request, route: Route, path: str, parameters: dict, claims: dict, body: bytes) -> dict:
        """The API-Gateway-v2 (payload format 2.0) event of this request."""
        now = time.time()
        text = body.decode("utf-8", errors="surrogateescape")
        binary = not _is_text(body)
        headers: dict[str, str] = {}
        for name, value in request.headers.items():
            name = name.lower()
            if name == "cookie":
                continue
            headers[name] = f"{headers[name]},{value}" if name in headers else value
        query: dict[str, str] = {}
        for name, value in request.query.items():
            query[name] = f"{query[name]},{value}" if name in query else value
        event = {
            "version": "2.0",
            "routeKey": route.key,
            "rawPath": path,
            "rawQueryString": request.query_string,
            "headers": headers,
            "requestContext": {
                "accountId": self.account,
                "apiId": self.api_id,
                "authorizer": {"jwt": {"claims": {k: _claim(v) for k, v in claims.items()}, "scopes": None}},
                "domainName": request.host,
                "domainPrefix": request.host.split(".")[0],
                "http": {
                    "method": request.method,
                    "path": path,
                    "protocol": f"HTTP/{request.version.major}.{request.version.minor}",
                    "sourceIp": request.remote or "127.0.0.1",
                    "userAgent": request.headers.get("User-Agent", ""),
                },
                "requestId": str(uuid.uuid4()),
                "routeKey": route.key,
                "stage": "$default",
                "time": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "timeEpoch": int(now * 1000),
            },
            "isBase64Encoded": binary,
        }
        if request.cookies:
            event["cookies"] = [f"{k}={v}" for k, v in request.cookies.items()]
        if query:
            event["queryStringParameters"] = query
        if parameters:
            event["pathParameters"] = parameters
        if body:
            event["body"] = base64.b64encode(body).decode() if binary else text
        return event


def _is_text(body: bytes) -> bool:
    try:
        body.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _claim(value) -> str:
    """API Gateway hands JWT claims on as strings (lists as ``[a b]``)."""
    if isinstance(value, list):
        return "[" + " ".join(str(v) for v in value) + "]"
    return str(value)


def proxy_response(result: dict) -> web.Response:
    """A Lambda proxy result (payload 2.0) as the HTTP response API Gateway sends."""
    if "statusCode" not in result:  # 2.0 also takes a bare JSON value as a 200
        return web.json_response(result)
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    response = web.Response(status=int(result["statusCode"]), body=data)
    for name, value in (result.get("headers") or {}).items():
        response.headers[name] = str(value)
    for cookie in result.get("cookies") or []:
        response.headers.add("Set-Cookie", cookie)
    return response
