"""The local Lambda Invoke endpoint: ``POST /2015-03-31/functions/{name}/invocations``, over the
functions' pools of execution environments (:mod:`brain_local.awslambda.environments`).
``X-Amz-Invocation-Type: Event`` is answered 202 at once and invoked in the background, as
Lambda's asynchronous invoke."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from urllib.parse import unquote

from brain_local.awslambda.environments import FunctionPool


class LambdaService:
    """WSGI app for Lambda's Invoke API over the pools."""

    PREFIX = "/2015-03-31/functions/"

    def __init__(self, pools: dict[str, FunctionPool]):
        self.pools = pools

    def handles(self, path: str) -> bool:
        return path.startswith(self.PREFIX) and path.endswith("/invocations")

    def pool_for(self, name_or_arn: str) -> FunctionPool | None:
        name = unquote(name_or_arn)
        if name.startswith("arn:"):
            name = name.split(":")[6]
        return self.pools.get(name)

    def __call__(self, environ, start_response) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        pool = self.pool_for(path[len(self.PREFIX) : -len("/invocations")])
        if pool is None:
            start_response(
                "404 Not Found",
                [("Content-Type", "application/json"), ("x-amzn-ErrorType", "ResourceNotFoundException")],
            )
            return [json.dumps({"Type": "User", "Message": f"Function not found: {path}"}).encode()]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        payload = json.loads(body) if body else {}
        if environ.get("HTTP_X_AMZ_INVOCATION_TYPE") == "Event":
            threading.Thread(target=pool.invoke, args=(payload,), daemon=True).start()
            start_response("202 Accepted", [("Content-Type", "application/json")])
            return [b""]
        result, function_error = pool.invoke(payload)
        headers = [("Content-Type", "application/json"), ("X-Amz-Executed-Version", "$LATEST")]
        if function_error:
            headers.append(("X-Amz-Function-Error", function_error))
        start_response("200 OK", headers)
        return [json.dumps(result).encode()]
