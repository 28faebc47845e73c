"""Model-backed insights: one Bedrock ConverseStream call with a forced tool, under a deadline.

Reasoning, emotional and depth each ask a small fast model (``insight_model_id``, default
``amazon.nova-micro-v1:0``) for their part of the inner life, through ConverseStream (so a call
past its deadline is cut off rather than left running). The tool's JSON schema *is* the
agent's output contract, with bounded list and string lengths; forcing the tool
(``toolChoice: {"tool": {"name": ...}}``, which Amazon Nova supports alongside ``auto`` and
``any`` — Nova user guide, "Choosing a tool") makes the model answer with that JSON and nothing
else. Nova calls tools best with greedy decoding (temperature 0 and ``topK`` 1 in
``additionalModelRequestFields``, Nova's "Troubleshooting tool calls"), and its top-level tool
schema may hold only ``type``, ``properties`` and ``required``: the schemas here keep to that.

:func:`ask` makes the call with a deadline for the whole of it (default 2.5 s) and at most one
retry — after throttling, an error or an answer that fails the schema, and only while time is
left; the retry samples (temperature 0.5), since a greedy retry would repeat the same invalid
answer. Any failure raises :class:`InsightFailed` with its reason (``timeout``, ``throttled``,
``error``, ``invalid``), and the agent falls back to its heuristic for that turn.

Valid for the schema is not yet usable: a small model fills a schema with whatever fits (measured
with SmolLM2-135M: thoughts that were its reply copied, sensations that were one made-up word, "I
am a machine"). So the texts in the brain's inner voice (:attr:`InsightTool.voiced`) are checked
too (:func:`voice_problem`): they keep character (:func:`brain_core.persona.breaks_character`),
say something of their own (no run of six words copied from the exchange) and are prose phrases,
not a word or a scrap of JSON. A text that fails makes the answer ``invalid``: retried while time
is left, else the heuristic answers.

Validation uses fastjsonschema: ~7 ms of cold start to import and compile one schema, measured
against ~70 ms for jsonschema (median of 9 fresh interpreters each); these agents' cold start is
budgeted at 1.2x the floor of boto3 + Powertools + one client (docs/design.md §6). boto3 is imported only
when a model is configured (:func:`bedrock_client`): with ``insight_model_id = none`` reasoning
and emotional stay compute-only (depth still writes long-term memory).

Written here rather than taken from a library: the call is a dozen lines of boto3; the deadline
over the whole call (a worker thread and the stream cut off between events) and the fallback
contract are this project's, and langchain-aws's ``with_structured_output`` would cost its ~1 s
of cold start (docs/design.md §4).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, Literal

import fastjsonschema

from brain_core.persona import breaks_character
from brain_core.text import clip, words

#: ``insight_model_id`` meaning "no model: the heuristics alone" (cheaper, no extra Bedrock calls).
NO_MODEL = "none"

Source = Literal["model", "heuristic"]

#: What every insight call's system prompt begins with: the brain's inner voice, in persona.
INNER_VOICE = (
    "You are the Brain in a Cup: a human brain kept alive in a jar of warm fluid on a laboratory "
    "shelf, wired to sensors and a speaker. What you write now is your private inner life, not a "
    "reply: first person, as the brain, concrete and specific to this exchange. Never call yourself "
    "an AI, an assistant or a language model. Never repeat a sentence you have written before."
)


def exchange_prompt(user_text: str, reply: str, ask: str, context: list[str] | None = None) -> str:
    """The user message of an insight call: any ``context`` lines, the exchange, the request."""
    lines = [*(context or []), f"The person said: {clip(user_text, 1200)}", f"You answered: {clip(reply, 1200)}", ask]
    return "\n".join(lines)


class InsightFailed(Exception):
    """The model gave no usable insight this turn; ``reason`` says why."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class InsightTool:
    """One agent's tool: its name, what it is for, and the JSON schema of its input."""

    name: str
    description: str
    schema: dict
    max_tokens: int = 400
    #: The top-level fields written in the brain's inner voice (a string or a list of strings):
    #: tidied and checked beyond the schema (:func:`voice_problem`).
    voiced: tuple[str, ...] = ()
    validate: Callable[[Any], Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "validate", fastjsonschema.compile(self.schema))

    def tool_config(self) -> dict:
        spec = {"name": self.name, "description": self.description, "inputSchema": {"json": self.schema}}
        return {"tools": [{"toolSpec": spec}], "toolChoice": {"tool": {"name": self.name}}}


@dataclass(frozen=True)
class InsightSettings:
    model_id: str
    deadline_seconds: float = 2.5
    max_attempts: int = 2  # the first call and at most one retry

    @property
    def enabled(self) -> bool:
        return self.model_id.strip().lower() != NO_MODEL


@dataclass
class InsightResult:
    """What the agent used this turn, and where it came from."""

    value: Any
    source: Source
    reason: str | None = None  # why the heuristic stood in, when it did
    attempts: int = 0


#: A text sharing this many consecutive words with the exchange copies it rather than reflects on it.
ECHO_WORDS = 6
#: Fewer words than this is not a thought, a memory or a sensation (a small model's "melebilhoslo").
MIN_WORDS = 3
#: Characters prose has no use for: a small model's JSON or markup inside a string.
_MARKUP = re.compile(r"[{}\[\]<>|\\=_#*`]")
#: What a small model sometimes leaves at the start of a string: the tail of the JSON around it.
_STRAY = "])}>;:,.-–— \t\n"


def _runs(text: str, n: int = ECHO_WORDS) -> set[tuple[str, ...]]:
    said = words(text)
    return {tuple(said[i : i + n]) for i in range(len(said) - n + 1)}


def voice_problem(text: str, exchange: tuple[str, ...] = ()) -> str | None:
    """Why an inner-life text a model wrote cannot be used as the brain's, or None."""
    if len(words(text)) < MIN_WORDS:
        return "not a phrase"
    if _MARKUP.search(text) or sum(c.isalpha() or c.isspace() for c in text) < 0.85 * len(text):
        return "not prose"
    if breaks_character(text):
        return "out of character"
    mine = _runs(text)
    if any(mine & _runs(source) for source in exchange):
        return "copies the exchange"
    return None


def _voiced_texts(answer: dict, tool: InsightTool) -> list[str]:
    texts: list[str] = []
    for key in tool.voiced:
        value = answer.get(key)
        texts.extend([value] if isinstance(value, str) else [v for v in value or [] if isinstance(v, str)])
    return texts


def _tidy(answer: Any, tool: InsightTool) -> Any:
    """The voiced fields without the stray punctuation a small model leaves at their start, and
    without a last sentence it was cut off in (its token budget or the schema's length bound)."""
    if not isinstance(answer, dict):
        return answer
    tidy = dict(answer)
    for key in tool.voiced:
        value = tidy.get(key)
        if isinstance(value, str):
            tidy[key] = _tidy_text(value)
        elif isinstance(value, list):
            tidy[key] = [_tidy_text(v) if isinstance(v, str) else v for v in value]
    return tidy


_SENTENCE_END = re.compile(r"[.!?…][\"”’)]*(?=\s)")


def _tidy_text(text: str) -> str:
    """``"… my best friend. I"`` → ``"… my best friend."``; a text with no sentence end, or
    ending in one, is kept as it is."""
    text = text.lstrip(_STRAY).strip()
    if not text or text[-1] in '.!?…"”’)':
        return text
    ends = list(_SENTENCE_END.finditer(text))
    return text[: ends[-1].end()] if ends else text


_THROTTLING = {"ThrottlingException", "TooManyRequestsException", "ServiceQuotaExceededException"}
#: Each call runs in a worker thread so the deadline bounds the whole call, not each socket read.
_CALLS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="insight")


def bedrock_client(settings: InsightSettings):
    """The bedrock-runtime client for insight calls: botocore retries nothing (the retry is ours,
    inside the deadline) and no socket waits beyond the deadline."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "bedrock-runtime",
        config=Config(
            # A little beyond the deadline, so the deadline (which bounds the whole call) decides.
            connect_timeout=min(1.0, settings.deadline_seconds) + 0.5,
            read_timeout=settings.deadline_seconds + 0.5,
            retries={"mode": "standard", "total_max_attempts": 1},
            tcp_keepalive=True,
        ),
    )


def _call(  # noqa: C901 - deadline, retry and validation of one model call; the lead splits it after issue 18 merges
    client,
    settings: InsightSettings,
    tool: InsightTool,
    system: str,
    prompt: str,
    retry: bool,
    deadline: float,
    exchange: tuple[str, ...] = (),
) -> dict:
    """One ConverseStream call: the tool call's input deltas, joined, parsed and validated.
    Streamed so that a call past its deadline is cut off (the stream closed), not left running
    on the model: an abandoned non-streamed call keeps a model busy until it has finished."""
    from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, ReadTimeoutError

    name, parts, stop = None, [], None
    try:
        response = client.converse_stream(
            modelId=settings.model_id,
            system=[{"text": system}],
            messages=[{"role": "user", "content": [{"text": prompt}]}],
            toolConfig=tool.tool_config(),
            inferenceConfig={"maxTokens": tool.max_tokens, "temperature": 0.5 if retry else 0.0},
            additionalModelRequestFields={"inferenceConfig": {"topK": 1 if not retry else 40}},
        )
        stream = response["stream"]
        try:
            for event in stream:
                if time.monotonic() > deadline:
                    raise InsightFailed("timeout", "cut off at the deadline")
                if "contentBlockStart" in event:
                    name = event["contentBlockStart"]["start"].get("toolUse", {}).get("name", name)
                elif "contentBlockDelta" in event:
                    parts.append(event["contentBlockDelta"]["delta"].get("toolUse", {}).get("input", ""))
                elif "messageStop" in event:
                    stop = event["messageStop"].get("stopReason")
        finally:
            stream.close()
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        raise InsightFailed("throttled" if code in _THROTTLING else "error", code) from exc
    except (ReadTimeoutError, ConnectTimeoutError) as exc:
        raise InsightFailed("timeout", type(exc).__name__) from exc
    except BotoCoreError as exc:
        raise InsightFailed("error", type(exc).__name__) from exc
    if name != tool.name or stop != "tool_use":
        raise InsightFailed("invalid", f"no complete {tool.name} call (stopReason {stop})")
    try:
        answer = tool.validate(_tidy(json.loads("".join(parts)), tool))
    except ValueError as exc:  # not JSON, or JSON the schema refuses (JsonSchemaException is a ValueError)
        raise InsightFailed("invalid", str(exc)[:200]) from exc
    for text in _voiced_texts(answer, tool):
        problem = voice_problem(text, exchange)
        if problem:
            raise InsightFailed("invalid", f"{problem}: {clip(text, 80)}")
    return answer


def ask(
    client, settings: InsightSettings, tool: InsightTool, system: str, prompt: str, exchange: tuple[str, ...] = ()
) -> tuple[dict, int]:
    """The tool input the model gave, valid for the tool's schema and with its voiced texts in
    the brain's voice (none copying ``exchange``: the texts of the exchange it reflects on), and
    the attempts it took. Raises :class:`InsightFailed` when the deadline passes or every attempt
    failed."""
    deadline = time.monotonic() + settings.deadline_seconds
    failure = InsightFailed("error", "no attempt made")
    for attempt in range(1, settings.max_attempts + 1):
        remaining = deadline - time.monotonic()
        if remaining <= 0.05:
            break
        future = _CALLS.submit(_call, client, settings, tool, system, prompt, attempt > 1, deadline, exchange)
        try:
            return future.result(timeout=remaining), attempt
        except FutureTimeout:
            future.cancel()
            raise InsightFailed("timeout", f"no answer within {settings.deadline_seconds} s") from None
        except InsightFailed as exc:
            if exc.reason == "timeout":
                raise
            failure = exc
    raise failure


def insight_or_heuristic(
    client,
    settings: InsightSettings,
    tool: InsightTool,
    system: str,
    prompt: str,
    from_model: Callable[[dict], Any],
    heuristic: Callable[[], Any],
    exchange: tuple[str, ...] = (),
) -> InsightResult:
    """The model's insight, read by ``from_model``; on any failure (or with no model configured)
    the agent's ``heuristic``, with the reason. ``exchange``: the person's message and the reply,
    which the model's texts may reflect on but not copy."""
    if client is None or not settings.enabled:
        return InsightResult(heuristic(), "heuristic", "disabled")
    try:
        answer, attempts = ask(client, settings, tool, system, prompt, exchange)
        return InsightResult(from_model(answer), "model", attempts=attempts)
    except InsightFailed as failed:
        return InsightResult(heuristic(), "heuristic", failed.reason, attempts=settings.max_attempts)


def record(outcome: InsightResult, logger, metrics) -> None:
    """Log where the insight came from (and why the heuristic, when it was), and count it:
    ``InsightFromModel`` or ``InsightFallback`` (per function, so per agent; not counted when no
    model is configured, since then the heuristic is the plan, not a fallback)."""
    from aws_lambda_powertools.metrics import MetricUnit

    if outcome.source == "model":
        metrics.add_metric(name="InsightFromModel", unit=MetricUnit.Count, value=1)
    elif outcome.reason != "disabled":
        metrics.add_metric(name="InsightFallback", unit=MetricUnit.Count, value=1)
    logger.info("insight", extra={"source": outcome.source, "reason": outcome.reason, "attempts": outcome.attempts})
