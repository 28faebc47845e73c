"""The local Bedrock runtime endpoint: ``Converse`` and ``ConverseStream`` (docs/design.md §5).

Speaks Bedrock's REST shape (``POST /model/{modelId}/converse`` and ``/converse-stream``)
and, for the stream, the AWS event-stream wire format, so boto3 and langchain-aws run against
it unmodified. It answers as Bedrock does:

- it serves the model ids it is configured with (a map of id to backend: the deployment's
  default ids among them) and refuses any other with ``ValidationException`` (400), like every
  request it cannot serve (:mod:`brain_local.bedrock.converse_request` lists what and why);
- text replies stream as ``contentBlockDelta`` text deltas; a tool call as a
  ``contentBlockStart`` carrying the ``toolUse`` id and name, then ``toolUse`` input deltas
  (pieces of the JSON), with ``stopReason: tool_use``; the non-streamed answer carries the
  ``toolUse`` block with its parsed input;
- stop sequences end a text reply before them, with ``stopReason: stop_sequence``; ``maxTokens``
  with ``max_tokens``; a tool input cut short by ``maxTokens`` is a ``ModelErrorException``, as
  Amazon Nova reports it;
- usage counts the backend's own tokens (the real model's tokenizer, or the double's words).

Behind it is a model backend (:class:`ModelBackend`): the scripted test double, or a small real
model where installed. Faults (throttling, stalls, 5xx) come from :class:`brain_local.chaos.faults.ModelFaults`.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol
from urllib.parse import unquote

from brain_local.bedrock import eventstream
from brain_local.bedrock.converse_request import ConverseRequest, ToolSpec, ValidationError, parse
from brain_local.chaos.faults import ModelFaults

log = logging.getLogger("brain.bedrock")


class Generation:
    """One answer as a backend produces it: text pieces, or the pieces of a tool call's JSON input
    when ``tool`` is set. The backend fills in the counts as it goes."""

    def __init__(self, pieces: Iterator[str], tool: ToolSpec | None = None):
        self.pieces = pieces
        self.tool = tool
        self.input_tokens = 0  # the prompt as the model read it, in its own tokens
        self.output_tokens = 0  # one per generated token
        self.limit_reached = False  # maxTokens ended it


class ModelBackend(Protocol):
    model_id: str
    #: Keys of ``additionalModelRequestFields`` this model understands (others: ValidationException).
    additional_fields: frozenset[str]
    #: The persona this model can follow (``Settings.persona_length``): the offline stack
    #: configures perception with it.
    persona_length: str

    def respond(self, request: ConverseRequest) -> Generation: ...


def _error(start_response, status: str, error_type: str, message: str) -> list[bytes]:
    start_response(status, [("Content-Type", "application/json"), ("x-amzn-ErrorType", error_type)])
    return [json.dumps({"message": message}).encode()]


def tool_use_id() -> str:
    """An id shaped like Bedrock's (``tooluse_`` and 22 URL-safe characters)."""
    return "tooluse_" + secrets.token_urlsafe(17)[:22]


class StopSequences:
    """Holds back text that might begin a stop sequence; finds the first one that completes."""

    def __init__(self, stops: Iterable[str]):
        self.stops = tuple(stops)
        self.pending = ""

    def feed(self, piece: str) -> tuple[str, bool]:
        """(text safe to send now, whether a stop sequence was reached)."""
        self.pending += piece
        found = [i for i in (self.pending.find(s) for s in self.stops) if i >= 0]
        if found:
            out, self.pending = self.pending[: min(found)], ""
            return out, True
        hold = max((n for s in self.stops for n in range(1, len(s)) if self.pending.endswith(s[:n])), default=0)
        cut = len(self.pending) - hold
        out, self.pending = self.pending[:cut], self.pending[cut:]
        return out, False

    def flush(self) -> str:
        out, self.pending = self.pending, ""
        return out


def _text_pieces(generation: Generation, stops: tuple[str, ...], outcome: dict) -> Iterator[str]:
    """The reply's text pieces up to the first stop sequence; ``outcome["stopReason"]`` at the end."""
    held = StopSequences(stops)
    reason = "end_turn"
    try:
        for piece in generation.pieces:
            out, stopped = held.feed(piece)
            if out:
                yield out
            if stopped:
                reason = "stop_sequence"
                break
        else:
            rest = held.flush()
            if rest:
                yield rest
            if generation.limit_reached:
                reason = "max_tokens"
    finally:
        close = getattr(generation.pieces, "close", None)
        if close:
            close()  # a stop sequence (or a client that left) ends the generation
    outcome["stopReason"] = reason


def _usage(generation: Generation) -> dict:
    return {
        "inputTokens": generation.input_tokens,
        "outputTokens": generation.output_tokens,
        "totalTokens": generation.input_tokens + generation.output_tokens,
    }


class BedrockRuntimeService:
    """WSGI app for the two Bedrock runtime operations, for the model ids in ``models``."""

    def __init__(self, models: Mapping[str, ModelBackend], faults: ModelFaults | None = None):
        if not models:
            raise ValueError("the Bedrock endpoint needs at least one model id to serve")
        self.models = dict(models)
        self.faults = faults or ModelFaults()
        self.calls = 0  # model calls served or failed (a replayed step that reuses its result makes none)
        self.calls_by_model: Counter[str] = Counter()  # the same, per model id

    def handles(self, path: str) -> bool:
        return path.startswith("/model/") and (path.endswith("/converse") or path.endswith("/converse-stream"))

    def __call__(self, environ, start_response) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        model_id = unquote(path[len("/model/") :].rsplit("/", 1)[0])
        backend = self.models.get(model_id)
        if backend is None:
            return _error(
                start_response, "400 Bad Request", "ValidationException", "The provided model identifier is invalid."
            )
        length = int(environ.get("CONTENT_LENGTH") or 0)
        try:
            body = json.loads(environ["wsgi.input"].read(length) or b"{}")
            request = parse(model_id, body, backend.additional_fields)
        except ValueError as exc:  # malformed JSON or a ValidationError
            message = str(exc) if isinstance(exc, ValidationError) else "Malformed JSON body"
            return _error(start_response, "400 Bad Request", "ValidationException", message)
        self.calls += 1
        self.calls_by_model[model_id] += 1
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
        streamed = path.endswith("/converse-stream")
        log.debug("model %s: %s request", model_id, "stream" if streamed else "converse")
        generation = backend.respond(request)
        if streamed:
            start_response("200 OK", [("Content-Type", "application/vnd.amazon.eventstream")])
            return self._stream(request, generation)
        return self._converse(request, generation, start_response)

    def _converse(self, request: ConverseRequest, generation: Generation, start_response) -> list[bytes]:
        started = time.perf_counter()
        content: list[dict[str, Any]]
        if generation.tool is not None:
            raw = "".join(generation.pieces)
            try:
                tool_input = json.loads(raw)
            except ValueError:
                tool_input = None
            if not isinstance(tool_input, dict):
                return _error(
                    start_response,
                    "424 Failed Dependency",
                    "ModelErrorException",
                    "The model produced an invalid sequence as part of ToolUse.",
                )
            content = [{"toolUse": {"toolUseId": tool_use_id(), "name": generation.tool.name, "input": tool_input}}]
            stop_reason = "tool_use"
        else:
            outcome: dict = {}
            text = "".join(_text_pieces(generation, request.stop_sequences, outcome))
            content = [{"text": text}]
            stop_reason = outcome["stopReason"]
        body = {
            "output": {"message": {"role": "assistant", "content": content}},
            "stopReason": stop_reason,
            "usage": _usage(generation),
            "metrics": {"latencyMs": int((time.perf_counter() - started) * 1000)},
        }
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]

    def _stream(self, request: ConverseRequest, generation: Generation) -> Iterator[bytes]:
        started = time.perf_counter()
        yield eventstream.event("messageStart", {"role": "assistant"})
        stall_after = self.faults.stall_after()
        outcome: dict = {}
        if generation.tool is not None:
            start = {"toolUse": {"toolUseId": tool_use_id(), "name": generation.tool.name}}
            yield eventstream.event("contentBlockStart", {"start": start, "contentBlockIndex": 0})
            pieces: Iterator[str] = iter(generation.pieces)
            key = "toolUse"
        else:
            pieces = _text_pieces(generation, request.stop_sequences, outcome)
            key = "text"
        try:
            for count, piece in enumerate(pieces):
                if stall_after is not None and count >= stall_after:
                    self.faults.stall()  # holds the connection open, sending nothing, as a stalled model does
                    return
                delta = {"toolUse": {"input": piece}} if key == "toolUse" else {"text": piece}
                yield eventstream.event("contentBlockDelta", {"contentBlockIndex": 0, "delta": delta})
        finally:
            # A client that went away (a deadline passed) stops the generation at the next token.
            close = getattr(generation.pieces, "close", None)
            if close:
                close()
        if key == "toolUse":
            outcome["stopReason"] = "max_tokens" if generation.limit_reached else "tool_use"
        yield eventstream.event("contentBlockStop", {"contentBlockIndex": 0})
        yield eventstream.event("messageStop", {"stopReason": outcome["stopReason"]})
        yield eventstream.event(
            "metadata",
            {"usage": _usage(generation), "metrics": {"latencyMs": int((time.perf_counter() - started) * 1000)}},
        )


def model_table(backend: ModelBackend, *ids: str) -> dict[str, ModelBackend]:
    """``backend`` under its own model id and under each of ``ids`` (the deployment's default ids)."""
    table: dict[str, ModelBackend] = {backend.model_id: backend}
    table.update((model_id, backend) for model_id in ids)
    return table


def serve(models: ModelBackend | Mapping[str, ModelBackend], host: str = "127.0.0.1", port: int = 0):
    """The Bedrock runtime endpoint alone, in a background thread: (app, server). For tests and
    for trying a model backend without the rest of the stack; ``server.shutdown()`` stops it.
    ``models`` is a map of model id to backend, or one backend, served under its own id and the
    deployment's default model id (:data:`brain_core.config.SETTINGS`)."""
    import threading

    from werkzeug.serving import make_server

    from brain_core.config import SETTINGS

    if not isinstance(models, Mapping):
        models = model_table(models, SETTINGS.model_id)
    app = BedrockRuntimeService(models)

    def only_bedrock(environ, start_response):
        if app.handles(environ.get("PATH_INFO", "")):
            return app(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    server = make_server(host, port, only_bedrock, threaded=True)
    threading.Thread(target=server.serve_forever, name="bedrock-endpoint", daemon=True).start()
    return app, server
