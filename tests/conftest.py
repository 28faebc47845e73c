"""Shared fixtures: agent environments and local endpoints, each started only by the tests that need them."""

from __future__ import annotations

import os

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
    from brain_local.bedrock.service import serve
    from brain_local.models.scripted import ScriptedPersonaModel, ScriptSettings

    app, server = serve(ScriptedPersonaModel(ScriptSettings(ttft_ms=30, tokens_per_second=400, reply_tokens=40)))
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
