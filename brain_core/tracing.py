"""A light X-Ray provider for Powertools Tracer, for the functions that call no AWS service.

Why not aws-xray-sdk there: Powertools' default provider imports aws-xray-sdk, which imports
botocore, ~250 ms of cold start (measured: `make bench`), in functions that otherwise need
~60 ms and make no calls for X-Ray to patch. Lambda already records each invocation's segment
(Tracing.ACTIVE); what these functions add is their handler's subsegment with its annotations,
metadata and errors. This provider sends exactly that, the way aws-xray-sdk does: one UDP
datagram per closed subsegment to the daemon at ``AWS_XRAY_DAEMON_ADDRESS``, under the trace
and parent that Lambda gives each invocation in ``_X_AMZN_TRACE_ID``, only when sampled.

Functions that do call AWS (perception, language, self_review) keep the default provider: its
patching of botocore is what draws their DynamoDB and Bedrock calls in the trace.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment

_HEADER = b'{"format": "json", "version": 1}\n'


def trace_context() -> tuple[str | None, str | None, bool]:
    """(trace id, parent id, sampled) from Lambda's ``_X_AMZN_TRACE_ID``."""
    fields = dict(part.split("=", 1) for part in os.environ.get("_X_AMZN_TRACE_ID", "").split(";") if "=" in part)
    return fields.get("Root"), fields.get("Parent"), fields.get("Sampled") == "1"


class Subsegment(BaseSegment):
    def __init__(self, name: str, trace_id: str | None, parent_id: str | None):
        self.id = os.urandom(8).hex()
        self.name = name
        self.trace_id = trace_id
        self.parent_id = parent_id
        self.start_time = time.time()
        self.end_time: float | None = None
        self.annotations: dict[str, Any] = {}
        self.metadata: dict[str, dict[str, Any]] = {}
        self.subsegments: list[Subsegment] = []
        self.cause: dict | None = None

    def close(self, end_time: int | None = None):
        self.end_time = time.time() if end_time is None else end_time

    def add_subsegment(self, subsegment: Any):
        self.subsegments.append(subsegment)

    def remove_subsegment(self, subsegment: Any):
        self.subsegments.remove(subsegment)

    def put_annotation(self, key: str, value) -> None:
        self.annotations[key] = value

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        self.metadata.setdefault(namespace, {})[key] = value

    def add_exception(self, exception: BaseException, stack=None, remote: bool = False):
        frames = traceback.extract_tb(exception.__traceback__)
        self.cause = {
            "working_directory": os.getcwd(),
            "exceptions": [
                {
                    "id": os.urandom(8).hex(),
                    "type": type(exception).__name__,
                    "message": str(exception),
                    "remote": remote,
                    "stack": [{"path": f.filename, "line": f.lineno, "label": f.name} for f in frames[-10:]],
                }
            ],
        }

    def document(self) -> dict:
        doc: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "start_time": self.start_time,
            "end_time": self.end_time or time.time(),
            "type": "subsegment",
            "trace_id": self.trace_id,
            "parent_id": self.parent_id,
        }
        if self.annotations:
            doc["annotations"] = self.annotations
        if self.metadata:
            doc["metadata"] = self.metadata
        if self.cause:
            doc["fault"] = True
            doc["cause"] = self.cause
        if self.subsegments:
            doc["subsegments"] = [s.document() for s in self.subsegments]
        return doc


class DaemonProvider(BaseProvider):
    """Powertools Tracer provider emitting subsegments straight to the X-Ray daemon."""

    def __init__(self):
        self._local = threading.local()
        self._socket: socket.socket | None = None

    def _stack(self) -> list[Subsegment]:
        if not hasattr(self._local, "stack"):
            self._local.stack = []
        return self._local.stack

    @contextmanager
    def in_subsegment(self, name=None, **kwargs) -> Iterator[Subsegment]:
        trace_id, parent_id, sampled = trace_context()
        stack = self._stack()
        subsegment = Subsegment(name or "subsegment", trace_id, stack[-1].id if stack else parent_id)
        if stack:
            stack[-1].add_subsegment(subsegment)
        stack.append(subsegment)
        try:
            yield subsegment
        except BaseException as error:  # recorded as aws-xray-sdk's context manager does, then re-raised
            subsegment.add_exception(error)
            raise
        finally:
            stack.pop()
            subsegment.close()
            if sampled and trace_id and not stack:
                self._send(subsegment.document())

    @asynccontextmanager
    async def in_subsegment_async(self, name=None, **kwargs):
        with self.in_subsegment(name=name, **kwargs) as subsegment:
            yield subsegment

    def put_annotation(self, key: str, value) -> None:
        if self._stack():
            self._stack()[-1].put_annotation(key, value)

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        if self._stack():
            self._stack()[-1].put_metadata(key, value, namespace)

    def patch(self, modules) -> None:
        """Nothing to patch: the functions using this provider make no outbound calls."""

    def patch_all(self) -> None:
        """As :meth:`patch`."""

    def _send(self, document: dict) -> None:
        host, _, port = os.environ.get("AWS_XRAY_DAEMON_ADDRESS", "127.0.0.1:2000").rpartition(":")
        if self._socket is None:
            self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        with contextlib.suppress(OSError):  # tracing must never fail the invocation
            self._socket.sendto(_HEADER + json.dumps(document, default=str).encode(), (host, int(port)))


def tracer_for(calls_aws: bool):
    """Powertools' Tracer for a function: its default provider (aws-xray-sdk, which patches
    botocore so AWS calls show in the trace) when the function calls AWS, else the light
    :class:`DaemonProvider`. The insight agents call Bedrock only when a model is configured."""
    from aws_lambda_powertools import Tracer

    return Tracer() if calls_aws else Tracer(provider=DaemonProvider())
