"""The local Bedrock runtime endpoint: ``Converse`` and ``ConverseStream`` (DESIGN §5).

Speaks Bedrock's REST shape (``POST /model/{modelId}/converse`` and ``/converse-stream``)
and, for the stream, the AWS event-stream wire format, so boto3 and langchain-aws run against
it unmodified. Behind it is a model backend: the scripted persona test double, or a small real
model where installed. Faults (throttling, stalls, 5xx) come from :class:`brain_local.faults.ModelFaults`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Iterator
from typing import Protocol
from urllib.parse import unquote

from brain_local import eventstream
from brain_local.faults import ModelFaults

log = logging.getLogger("brain.bedrock")


class ModelBackend(Protocol):
    model_id: str
    #: The persona this model can follow (``Settings.persona_length``): the offline stack
    #: configures perception with it.
    persona_length: str

    def stream(self, request: dict) -> Iterator[str]: ...


def _count_words(request: dict) -> int:
    texts = [b.get("text", "") for m in request.get("messages", []) for b in m.get("content", [])]
    texts += [s.get("text", "") for s in request.get("system", [])]
    return sum(len(t.split()) for t in texts)


def _error(start_response, status: str, error_type: str, message: str) -> list[bytes]:
    start_response(status, [("Content-Type", "application/json"), ("x-amzn-ErrorType", error_type)])
    return [json.dumps({"message": message}).encode()]


class BedrockRuntimeApp:
    """WSGI app for the two Bedrock runtime operations the language agent uses."""

    def __init__(self, backend: ModelBackend, faults: ModelFaults | None = None):
        self.backend = backend
        self.faults = faults or ModelFaults()
        self.calls = 0  # model calls served or failed (a replayed step that reuses its result makes none)

    def handles(self, path: str) -> bool:
        return path.startswith("/model/") and (path.endswith("/converse") or path.endswith("/converse-stream"))

    def __call__(self, environ, start_response) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        model_id = unquote(path[len("/model/") :].rsplit("/", 1)[0])
        length = int(environ.get("CONTENT_LENGTH") or 0)
        try:
            request = json.loads(environ["wsgi.input"].read(length) or b"{}")
        except ValueError:
            return _error(start_response, "400 Bad Request", "ValidationException", "Malformed JSON body")
        if not request.get("messages"):
            return _error(start_response, "400 Bad Request", "ValidationException", "messages must not be empty")
        self.calls += 1
        fault = self.faults.before_call()
        if fault == "throttle":
            return _error(start_response, "429 Too Many Requests", "ThrottlingException", "Rate exceeded")
        if fault == "error":
            return _error(
                start_response,
                "500 Internal Server Error",
                "InternalServerException",
                "The model failed (injected fault)",
            )
        log.debug("model %s: %s request", model_id, "stream" if path.endswith("-stream") else "converse")
        if path.endswith("/converse-stream"):
            start_response("200 OK", [("Content-Type", "application/vnd.amazon.eventstream")])
            return self._stream(request)
        return self._converse(request, start_response)

    def _converse(self, request: dict, start_response) -> list[bytes]:
        started = time.perf_counter()
        parts = list(self.backend.stream(request))
        body = {
            "output": {"message": {"role": "assistant", "content": [{"text": "".join(parts)}]}},
            "stopReason": "end_turn" if len(parts) < _max_tokens(request) else "max_tokens",
            "usage": _usage(request, len(parts)),
            "metrics": {"latencyMs": int((time.perf_counter() - started) * 1000)},
        }
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]

    def _stream(self, request: dict) -> Iterator[bytes]:
        started = time.perf_counter()
        yield eventstream.event("messageStart", {"role": "assistant"})
        count = 0
        stall_after = self.faults.stall_after()
        for text in self.backend.stream(request):
            if stall_after is not None and count >= stall_after:
                self.faults.stall()  # holds the connection open, sending nothing, as a stalled model does
                return
            count += 1
            yield eventstream.event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": text}})
        yield eventstream.event("contentBlockStop", {"contentBlockIndex": 0})
        yield eventstream.event(
            "messageStop", {"stopReason": "end_turn" if count < _max_tokens(request) else "max_tokens"}
        )
        yield eventstream.event(
            "metadata",
            {
                "usage": _usage(request, count),
                "metrics": {"latencyMs": int((time.perf_counter() - started) * 1000)},
            },
        )


def _max_tokens(request: dict) -> int:
    return int(request.get("inferenceConfig", {}).get("maxTokens") or 10_000)


def _usage(request: dict, output_tokens: int) -> dict:
    input_tokens = _count_words(request)
    return {"inputTokens": input_tokens, "outputTokens": output_tokens, "totalTokens": input_tokens + output_tokens}


def serve(backend: ModelBackend, host: str = "127.0.0.1", port: int = 0):
    """The Bedrock runtime endpoint alone, in a background thread: (app, server). For tests and
    for trying a model backend without the rest of the stack; ``server.shutdown()`` stops it."""
    import threading

    from werkzeug.serving import make_server

    app = BedrockRuntimeApp(backend)

    def only_bedrock(environ, start_response):
        if app.handles(environ.get("PATH_INFO", "")):
            return app(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    server = make_server(host, port, only_bedrock, threaded=True)
    threading.Thread(target=server.serve_forever, name="bedrock-endpoint", daemon=True).start()
    return app, server
