"""The pipe's waits between retries of a failed call: a doubling delay that ends the moment the
pipe is stopped. Written here (a few lines) rather than taken from a retry library: the wait
must end on :meth:`Pipe.stop <brain_local.pipe.Pipe.stop>`, and each failure must be visible in
the pipe's status, between the tries."""

from __future__ import annotations

import threading


class Backoff:
    """A doubling delay, capped, back to the start after a success."""

    def __init__(self, first: float = 0.05, limit: float = 2.0):
        self.first, self.limit = first, limit
        self._next = first

    def next(self) -> float:
        delay, self._next = self._next, min(self._next * 2, self.limit)
        return delay

    def reset(self) -> None:
        self._next = self.first


class Stopping(Exception):
    """stop() was called while a call was being retried."""


def wait(stopping: threading.Event, seconds: float) -> None:
    """Sleep ``seconds``, or raise :class:`Stopping` as soon as the pipe is stopped."""
    if stopping.wait(seconds):
        raise Stopping
