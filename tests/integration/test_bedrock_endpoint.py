"""The language agent's model clients against the local Bedrock runtime endpoint.

boto3's ``converse``/``converse_stream`` and langchain-aws's ``ChatBedrockConverse`` run
unmodified: only ``endpoint_url`` points them here.
"""

import boto3
import pytest

from agents.language.model_client import (
    BedrockConverseClient,
    LangChainConverseClient,
    ModelThrottled,
    ModelUnavailable,
    bedrock_runtime_client,
)
from brain_local.faults import ModelFaultRates, ModelFaults

MESSAGES = [{"role": "user", "content": [{"text": "My name is Ada. Do you dream?"}]}]
INFERENCE = {"maxTokens": 200, "temperature": 0.5, "topP": 0.9}


@pytest.fixture
def runtime(bedrock_endpoint, monkeypatch):
    app, endpoint = bedrock_endpoint
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", endpoint)
    yield app
    app.faults = ModelFaults()


def test_boto3_converse_stream_yields_the_reply_incrementally(runtime):
    client = BedrockConverseClient(bedrock_runtime_client(max_attempts=1, read_timeout=5))
    deltas = list(client.stream("local.any", "persona", MESSAGES, INFERENCE))
    assert len(deltas) > 5 and "".join(deltas).endswith("?")
    assert client.usage["outputTokens"] == len(deltas) and client.usage["inputTokens"] > 0


def test_boto3_converse_non_streaming_returns_the_same_reply(runtime):
    plain = boto3.client("bedrock-runtime").converse(modelId="local.any", messages=MESSAGES, inferenceConfig=INFERENCE)
    client = BedrockConverseClient(bedrock_runtime_client(max_attempts=1, read_timeout=5))
    streamed = "".join(client.stream("local.any", "persona", MESSAGES, INFERENCE))
    assert plain["output"]["message"]["content"][0]["text"] == streamed
    assert plain["stopReason"] == "end_turn"


def test_max_tokens_stops_the_stream(runtime):
    client = BedrockConverseClient(bedrock_runtime_client(max_attempts=1, read_timeout=5))
    assert len(list(client.stream("local.any", "persona", MESSAGES, {**INFERENCE, "maxTokens": 4}))) == 4


def test_langchain_chat_bedrock_converse_streams_the_same_reply(runtime):
    boto = BedrockConverseClient(bedrock_runtime_client(max_attempts=1, read_timeout=5))
    expected = "".join(boto.stream("local.any", "persona", MESSAGES, INFERENCE))
    chain = LangChainConverseClient(bedrock_runtime_client(max_attempts=1, read_timeout=5))
    deltas = list(chain.stream("local.any", "persona", MESSAGES, INFERENCE))
    assert len(deltas) > 5 and "".join(deltas) == expected
    assert chain.usage["outputTokens"] == len(deltas)


def test_throttling_surfaces_as_model_throttled_after_bounded_retries(runtime):
    runtime.faults = ModelFaults(ModelFaultRates(throttle=1.0))
    client = BedrockConverseClient(bedrock_runtime_client(max_attempts=2, read_timeout=5))
    with pytest.raises(ModelThrottled):
        list(client.stream("local.any", "persona", MESSAGES, INFERENCE))
    assert runtime.faults.counts["throttle"] == 2  # botocore tried twice, as configured, no more


def test_a_model_error_surfaces_as_model_unavailable(runtime):
    runtime.faults = ModelFaults(ModelFaultRates(error=1.0))
    client = BedrockConverseClient(bedrock_runtime_client(max_attempts=1, read_timeout=5))
    with pytest.raises(ModelUnavailable):
        list(client.stream("local.any", "persona", MESSAGES, INFERENCE))
