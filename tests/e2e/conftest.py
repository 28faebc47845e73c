"""`brain up` as a user runs it: a subprocess on free ports, with its own state directory."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RunningStack:
    endpoint: str  # the plain AWS-compatible endpoint
    state: Path  # config.json (aws-amplify), ca.pem, users.json


@contextmanager
def brain_up(tmp_path_factory, *options: str):
    """`brain up --port <free> --tls-port 0 --state-dir <tmp> OPTIONS`, until it answers its health."""
    state = tmp_path_factory.mktemp("state")
    log = open(tmp_path_factory.mktemp("up") / "brain-up.log", "w")  # noqa: SIM115 - brain up writes to it until the end
    port = free_port()
    command = ["up", "--port", str(port), "--tls-port", "0", "--state-dir", str(state), *options]
    process = subprocess.Popen(
        [sys.executable, "-m", "brain_local.cli", *command], stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    try:
        while True:
            try:
                urllib.request.urlopen(f"{url}/brain/health", timeout=0.5)
                break
            except OSError:
                assert process.poll() is None, "brain up exited: " + Path(log.name).read_text()
                assert time.time() < deadline, "brain up did not come up in 60 s"
                time.sleep(0.2)
        yield RunningStack(endpoint=url, state=state)
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
