"""The light X-Ray provider: what the compute-only functions send to the daemon."""

import json
import socket

import pytest
from aws_lambda_powertools import Tracer

from brain_core.tracing import DaemonProvider


@pytest.fixture
def daemon(monkeypatch):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(2)
    monkeypatch.setenv("AWS_XRAY_DAEMON_ADDRESS", f"127.0.0.1:{sock.getsockname()[1]}")
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    monkeypatch.delenv("POWERTOOLS_TRACE_DISABLED", raising=False)
    yield sock
    sock.close()


def traced_handler(fail=False):
    tracer = Tracer(service="reasoning", provider=DaemonProvider())

    @tracer.capture_lambda_handler(capture_response=False)
    def main(event, context):
        tracer.put_annotation(key="emotion", value="calm")
        if fail:
            raise ValueError("boom")
        return {"ok": True}

    return main


def test_a_sampled_invocation_sends_its_handler_subsegment(daemon, monkeypatch):
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-6740a1b2-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1")
    assert traced_handler()({}, None) == {"ok": True}
    header, body = daemon.recv(65536).split(b"\n", 1)
    assert json.loads(header) == {"format": "json", "version": 1}
    doc = json.loads(body)
    assert doc["type"] == "subsegment" and doc["name"] == "## main"
    assert doc["trace_id"] == "1-6740a1b2-0123456789abcdef01234567" and doc["parent_id"] == "53995c3f42cd8ad8"
    assert doc["annotations"]["emotion"] == "calm" and doc["annotations"]["ColdStart"] in (True, False)
    assert doc["end_time"] >= doc["start_time"]


def test_an_error_is_recorded_as_a_fault(daemon, monkeypatch):
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-6740a1b2-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1")
    with pytest.raises(ValueError):
        traced_handler(fail=True)({}, None)
    doc = json.loads(daemon.recv(65536).split(b"\n", 1)[1])
    assert doc["fault"] is True and doc["cause"]["exceptions"][0]["type"] == "ValueError"


def test_an_unsampled_invocation_sends_nothing(daemon, monkeypatch):
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-6740a1b2-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=0")
    traced_handler()({}, None)
    daemon.settimeout(0.2)
    with pytest.raises(socket.timeout):
        daemon.recv(65536)
