"""The documentation's command blocks, run as a newcomer copies them, against a fresh `brain up`.

The README sends a newcomer to docs/client-api.md (the boto3 client, the AWS CLI block) and
docs/offline-stack.md (the `brain` command lines); their blocks are run here. Only the port
changes (the pages' 4566 becomes a free one). The AWS CLI block runs with the
`aws` on PATH (or ``BRAIN_TEST_AWS_CLI``), in an environment with nothing else set; the project
does not install the AWS CLI (awscli 1.x pins an older botocore than the one boto3 uses here).
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.user_side import wait_reply

DOCS = Path(__file__).resolve().parents[2] / "docs"
CLIENT_API = DOCS / "client-api.md"
OFFLINE_STACK = DOCS / "offline-stack.md"


def block_after(page: Path, marker: str, language: str) -> str:
    """The first ```language block of ``page`` after the line that contains ``marker``."""
    text = page.read_text()
    start = text.index(marker)
    match = re.compile(rf"^```{language}\n(.*?)^```", re.S | re.M).search(text, start)
    assert match, f"no {language} block after {marker!r}"
    return match.group(1)


def bare_environment(**extra: str) -> dict[str, str]:
    """No AWS_* from the test's own environment: only what the block itself sets."""
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **extra}


def test_the_python_client_block_streams_a_reply(stack):
    code = block_after(CLIENT_API, "## A trusted backend", "python")
    code = code.replace("http://127.0.0.1:4566", stack.endpoint)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=bare_environment()
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert len(done.stdout.strip()) > 40  # the streamed reply, then the emotion and thoughts


def test_the_aws_cli_block_writes_a_message_and_reads_its_reply(stack):
    aws = os.environ.get("BRAIN_TEST_AWS_CLI") or shutil.which("aws")
    if not aws:
        pytest.skip("no AWS CLI here (the block was checked by hand with AWS CLI 1.46.3 and 2.9.19)")
    script = block_after(CLIENT_API, "The same with the AWS CLI", "bash").replace(
        "http://127.0.0.1:4566", stack.endpoint
    )
    environment = bare_environment()
    environment["PATH"] = f"{Path(aws).parent}:{environment['PATH']}"
    done = subprocess.run(["bash", "-e", "-c", script], capture_output=True, text=True, timeout=120, env=environment)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "01JF00000000000000000000CL" in done.stdout  # the run that list-executions shows
    # get-item printed the reply's text, unless a slow machine took longer than the block waits.
    dynamodb = stack.client("dynamodb")
    reply = wait_reply(dynamodb, "cli", "01JF00000000000000000000CL")
    assert reply and reply["content"]["S"]
    assert done.stdout.splitlines()[0] == "null" or done.stdout.startswith('"')


def test_the_brain_command_lines_run(stack):
    lines = [
        line.split("#")[0].strip()
        for line in block_after(OFFLINE_STACK, "## The commands", "bash").splitlines()
        if line.startswith(("brain send", "brain runs"))
    ]
    assert len(lines) == 4
    for line in lines:
        command = [sys.executable, "-m", "brain_local.cli", *shlex.split(line)[1:], "--endpoint", stack.endpoint]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{line}: {done.stderr[-2000:]}"
