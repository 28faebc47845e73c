"""Model clients: Bedrock ConverseStream through boto3 (default) or langchain-aws (opt-in).

Both yield the reply's text deltas as they arrive and leave token usage on ``usage``.
Bedrock's failures become three named errors the state machine's Retry and Catch know:
ModelThrottled (429), ModelUnavailable (5xx, model errors) and ModelStalled (no bytes for
``read_timeout``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ReadTimeoutError


class ModelThrottled(Exception):
    """Bedrock throttled the call after botocore's own (bounded) retries."""


class ModelUnavailable(Exception):
    """Bedrock or the model failed (5xx, model error, malformed stream)."""


class ModelStalled(Exception):
    """The model stopped sending before the stream ended."""


_THROTTLING = {"ThrottlingException", "throttlingException", "TooManyRequestsException"}


def model_error(exc: Exception) -> Exception:
    """Map a botocore failure to the named error the workflow retries or catches."""
    if isinstance(exc, ReadTimeoutError):
        return ModelStalled(str(exc))
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        if code in _THROTTLING:
            return ModelThrottled(code)
        return ModelUnavailable(f"{code}: {exc.response.get('Error', {}).get('Message', '')}")
    return ModelUnavailable(f"{type(exc).__name__}: {exc}")


class ModelClient(Protocol):
    usage: dict

    def stream(self, model_id: str, system: str, messages: list[dict], inference: dict) -> Iterator[str]: ...


def bedrock_runtime_client(max_attempts: int, read_timeout: int):
    return boto3.client(
        "bedrock-runtime",
        config=Config(
            connect_timeout=2,
            read_timeout=read_timeout,
            # total attempts, first call included: botocore's own retries stay bounded so they
            # do not multiply with the state machine's Retry on ModelThrottled.
            retries={"mode": "standard", "total_max_attempts": max_attempts},
            tcp_keepalive=True,
        ),
    )


class BedrockConverseClient:
    """boto3 ``converse_stream``: ~0.2 s to import and build, the default."""

    def __init__(self, client):
        self._client = client
        self.usage: dict = {}

    def stream(self, model_id: str, system: str, messages: list[dict], inference: dict) -> Iterator[str]:
        self.usage = {}
        try:
            response = self._client.converse_stream(
                modelId=model_id, messages=messages, system=[{"text": system}], inferenceConfig=inference
            )
            for event in response["stream"]:
                delta = event.get("contentBlockDelta", {}).get("delta", {}).get("text")
                if delta:
                    yield delta
                elif "metadata" in event:
                    self.usage = event["metadata"].get("usage", {})
        except (ClientError, BotoCoreError) as exc:
            raise model_error(exc) from exc


class LangChainConverseClient:
    """langchain-aws ``ChatBedrockConverse`` on the same boto3 client (opt-in: ~1 s cold start)."""

    def __init__(self, client):
        from langchain_aws import ChatBedrockConverse  # only when chosen: heavy import

        self._factory = lambda model_id, inference: ChatBedrockConverse(
            model=model_id,
            client=client,
            max_tokens=inference.get("maxTokens"),
            temperature=inference.get("temperature"),
            top_p=inference.get("topP"),
            disable_streaming=False,  # stream whatever the model id (it only knows AWS providers)
        )
        self.usage: dict = {}

    def stream(self, model_id: str, system: str, messages: list[dict], inference: dict) -> Iterator[str]:
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        lc_messages = [SystemMessage(content=system)] + [
            (HumanMessage if m["role"] == "user" else AIMessage)(content=m["content"][0]["text"]) for m in messages
        ]
        self.usage = {}
        try:
            for chunk in self._factory(model_id, inference).stream(lc_messages):
                yield from _langchain_texts(chunk.content)
                if chunk.usage_metadata:
                    self.usage = {
                        "inputTokens": chunk.usage_metadata.get("input_tokens", 0),
                        "outputTokens": chunk.usage_metadata.get("output_tokens", 0),
                    }
        except (ClientError, BotoCoreError) as exc:
            raise model_error(exc) from exc


def _langchain_texts(content) -> list[str]:
    if isinstance(content, str):
        return [content] if content else []
    return [block["text"] for block in content if isinstance(block, dict) and block.get("text")]


def make_model_client(kind: str, max_attempts: int, read_timeout: int) -> ModelClient:
    client = bedrock_runtime_client(max_attempts, read_timeout)
    if kind == "boto3":
        return BedrockConverseClient(client)
    if kind == "langchain":
        return LangChainConverseClient(client)
    raise ValueError(f"MODEL_CLIENT must be 'boto3' or 'langchain', not {kind!r}")
