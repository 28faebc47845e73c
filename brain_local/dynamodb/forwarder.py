"""The endpoint's DynamoDB requests, passed on to the DynamoDB process.

Clients see one endpoint (``brain up``'s); DynamoDB runs in a process of its own
(:mod:`brain_local.dynamodb.process`, for a core of its own). A hand-written pass-through rather
than a proxy library: it is a few lines over ``http.client``, keeps one keep-alive connection per
serving thread, and the offline stack needs nothing else of a proxy.
"""

from __future__ import annotations

import http.client
import threading


class Forwarder:
    """Passes a request on to the DynamoDB process, one keep-alive connection per thread."""

    _HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}

    def __init__(self, endpoint: str):
        self._host, self._port = endpoint.removeprefix("http://").split(":")
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        if getattr(self._local, "connection", None) is None:
            self._local.connection = http.client.HTTPConnection(self._host, int(self._port), timeout=30)
        return self._local.connection

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_") and key[5:].lower().replace("_", "-") not in self._HOP_BY_HOP
        }
        headers["Content-Type"] = environ.get("CONTENT_TYPE", "application/x-amz-json-1.0")
        for attempt in range(2):
            connection = self._connection()
            try:
                connection.request(environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/"), body, headers)
                response = connection.getresponse()
                data = response.read()
                break
            except (ConnectionError, OSError):
                connection.close()
                self._local.connection = None
                if attempt:
                    raise
        start_response(
            f"{response.status} {response.reason}",
            [(k, v) for k, v in response.getheaders() if k.lower() not in self._HOP_BY_HOP],
        )
        return [data]
