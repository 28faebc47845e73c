"""The stack's side of the DynamoDB process (:mod:`brain_local.dynamodb.process`): its start, its
restore, its fault counters and its stop.

**One stack per data dir.** With a data dir the stack takes an exclusive lock on ``.lock`` there
before anything else; the DynamoDB process inherits the descriptor, so the lock stays taken until
that process has ended too (a killed stack's DynamoDB process takes a moment to follow it).
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

#: How long a second stack waits for a data dir's lock before it says the dir is in use.
LOCK_WAIT_SECONDS = 15


class DynamoDBProcess:
    """``python -m brain_local.dynamodb.process``, started and stopped by the offline stack."""

    def __init__(
        self,
        chunks_table: str,
        chunk_throttle_rate: float,
        seed: int,
        data_dir: Path | None,
        code_root: Path,
        arguments: list[str] | None = None,
    ):
        """``arguments``: more for the process (the IAM checks': brain_local.iam.OfflineIam)."""
        self.chunks_table, self.chunk_throttle_rate, self.seed = chunks_table, chunk_throttle_rate, seed
        self.data_dir, self.code_root = data_dir, code_root
        self.arguments = arguments or []
        self.endpoint = ""
        self._process: subprocess.Popen[str] | None = None
        self._lock: int | None = None

    def start(self) -> str:
        """Lock the data dir (if any), start the process, wait for its ``ready <port>``; returns
        its endpoint."""
        self._lock_data_dir()
        data_dir = ["--data-dir", str(self.data_dir)] if self.data_dir else []
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "brain_local.dynamodb.process",
                "--chunks-table",
                self.chunks_table,
                "--chunk-throttle-rate",
                str(self.chunk_throttle_rate),
                "--seed",
                str(self.seed),
                *data_dir,
                *self.arguments,
            ],
            stdout=subprocess.PIPE,
            # Its stdin is ours: when this process ends, however it ends, so does that one.
            stdin=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(self.code_root)},
            pass_fds=(self._lock,) if self._lock is not None else (),
        )
        assert self._process.stdout is not None  # a pipe: stdout=PIPE above
        line = self._process.stdout.readline()
        if not line.startswith("ready "):
            raise RuntimeError(f"the DynamoDB process did not start (exit code {self._process.poll()})")
        self.endpoint = f"http://127.0.0.1:{line.split()[1]}"
        return self.endpoint

    def send(self, line: str) -> None:
        """One line on the process's stdin (its IAM configuration: secrets never go on its
        command line)."""
        if self._process is None or self._process.stdin is None:
            raise RuntimeError("the DynamoDB process is not running")
        self._process.stdin.write(line + "\n")
        self._process.stdin.flush()

    def _lock_data_dir(self) -> None:
        if self.data_dir is None:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.data_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise RuntimeError(
                        f"the data dir {self.data_dir} is in use by another running stack; stop it first"
                    ) from None
                time.sleep(0.1)
        self._lock = fd

    def restore(self) -> dict:
        """The data dir's items and stream records back into the tables just created: what was
        restored (``items``, ``replayed``, ``streamEnds``)."""
        request = urllib.request.Request(f"{self.endpoint}/brain/restore", method="POST")
        with urllib.request.urlopen(request, timeout=600) as response:
            return json.load(response)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def exit_code(self) -> int | None:
        """None while it runs (or before it starts)."""
        return self._process.poll() if self._process is not None else None

    def fault_counts(self) -> dict:
        try:
            with urllib.request.urlopen(f"{self.endpoint}/brain/faults", timeout=0.5) as response:
                return json.load(response)
        except (OSError, ValueError):
            return {}  # a paused or stopped DynamoDB process: health says so from the pipe's state

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()  # with a data dir it writes a last snapshot first
            try:
                self._process.wait(timeout=120 if self.data_dir else 10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            if self._process.stdin is not None:
                self._process.stdin.close()
            if self._process.stdout is not None:
                self._process.stdout.close()
            self._process = None
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None
