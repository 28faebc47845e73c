"""`brain up` as a user runs it, for the end-to-end tests: a process of its own on free ports,
with its own state directory (config.json, ca.pem, users.json), ready before a test uses it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.e2e.user_side import BrainUp


@contextmanager
def brain_up(tmp_path_factory, *options: str) -> Iterator[BrainUp]:
    """`brain up OPTIONS` until it is ready; stopped when the block ends."""
    up = BrainUp(tmp_path_factory.mktemp("up") / "brain-up.log", *options)
    try:
        up.wait_ready()
        yield up
    finally:
        up.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """`brain up` in its own process, ready, for one test module; stopped after it."""
    with brain_up(tmp_path_factory) as up:
        yield up
