"""The offline stack as a separate process, as a user's app would find it.

Started as ``python -m brain_local.cli up --port <free port> ...`` with the benchmark's model
settings; ready once ``GET /brain/health`` answers. Stopped with SIGTERM (the CLI then stops its
workers), and only if that does not end it, by killing its own process group.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.settings import REPO_ROOT, BenchSettings


class StackFailed(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class StackProcess:
    def __init__(self, settings: BenchSettings, log_path: Path, start_timeout_s: float = 90.0):
        self.settings = settings
        self.log_path = log_path
        self.start_timeout_s = start_timeout_s
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        #: The stack's config.json (aws-amplify), ca.pem and users.json: the pushed client reads them.
        self.state_dir = Path(__file__).parent / "results" / "state"
        self.process: subprocess.Popen | None = None
        self.command = [
            sys.executable,
            "-m",
            "brain_local.cli",
            "up",
            "--port",
            str(self.port),
            "--model",
            settings.model,
            "--model-client",
            "boto3",
            "--ttft-ms",
            str(settings.ttft_ms),
            "--tokens-per-second",
            str(settings.tokens_per_second),
            "--reply-tokens",
            str(settings.reply_tokens),
            "--log-dir",
            str(Path(__file__).parent / "results" / "logs" / "functions"),
            "--tls-port",
            "0",
            "--state-dir",
            str(self.state_dir),
            *(["--warm", str(settings.provisioned)] if settings.provisioned else []),
            # The benchmark's clients send far more than one person may (20 a minute): it measures
            # latency, not the per-user limit (tests/integration/test_trust_boundary.py does that).
            "--messages-per-minute",
            "0",
            "--messages-per-day",
            "0",
        ]
        self.started_in_s: float | None = None

    def start(self) -> StackProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "w")  # noqa: SIM115 - the stack process writes to it for its whole life
        started = time.perf_counter()
        # Its own session: if SIGTERM is not enough, its worker processes go with it.
        self.process = subprocess.Popen(
            self.command,
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        deadline = started + self.start_timeout_s
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise StackFailed(
                    f"the stack exited with code {self.process.returncode} before it was ready:\n" + self.log_tail()
                )
            if self.health(timeout=0.5) is not None:
                self.started_in_s = round(time.perf_counter() - started, 2)
                return self
            time.sleep(0.1)
        self.stop()
        raise StackFailed(
            f"the stack did not answer {self.endpoint}/brain/health within "
            f"{self.start_timeout_s:.0f} s:\n" + self.log_tail()
        )

    def health(self, timeout: float = 5.0) -> dict | None:
        try:
            with urllib.request.urlopen(f"{self.endpoint}/brain/health", timeout=timeout) as response:
                return json.load(response)
        except (OSError, ValueError):
            return None

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds (user + system) used so far by the stack process itself and by its worker
        processes (the live ones in its process group, plus those it has already reaped)."""
        tick = os.sysconf("SC_CLK_TCK")
        stack = workers = 0.0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                # After "(comm)": state, ppid, pgrp, ..., utime (14th field), stime, cutime, cstime.
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone meanwhile
            if self.process is None or int(fields[2]) != self.process.pid:
                continue
            own = (int(fields[11]) + int(fields[12])) / tick
            if int(entry.name) == self.process.pid:
                stack = own
                workers += (int(fields[13]) + int(fields[14])) / tick  # reaped workers
            else:
                workers += own
        return {"stack": stack, "workers": workers}

    def log_tail(self, lines: int = 25) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout_s: float = 20.0) -> None:
        if self.process is None:
            return
        if self.process.poll() is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)  # workers left behind by a crashed stack
            return
        self.process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=timeout_s)
        # Its group holds only the stack and the workers it started: none may outlive the run.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
