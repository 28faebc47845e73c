"""Shared fixtures: agent environments and local endpoints, each started only by the tests that need them."""

from __future__ import annotations

import os
import threading

import pytest

from brain_core.config import function_environment

# Agents read their settings at import (cold start): give unit tests the environment CDK and
# the offline stack give the functions, and credentials for clients that are never used.
for _key, _value in function_environment("tests").items():
    os.environ.setdefault(_key, _value)
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "offline")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "offline")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")  # unit tests import handlers outside Lambda
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "BrainInCupTests")


@pytest.fixture(scope="session")
def bedrock_endpoint():
    """The local Bedrock runtime endpoint alone (no moto), backed by a fast scripted model."""
    from werkzeug.serving import make_server

    from brain_local.bedrock_service import BedrockRuntimeApp
    from brain_local.scripted_model import ScriptedPersonaModel, ScriptSettings

    app = BedrockRuntimeApp(ScriptedPersonaModel(ScriptSettings(ttft_ms=30, tokens_per_second=400, reply_tokens=40)))

    def dispatch(environ, start_response):
        if app.handles(environ.get("PATH_INFO", "")):
            return app(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    server = make_server("127.0.0.1", 0, dispatch, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
