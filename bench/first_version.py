"""The first version's shape (seed §2): the same agents' logic chained in one process.

What the seed's controller did, with this version's agent logic and the same models:

    history  = a DynamoDB Query on every message, no cache   (perception.perceive.perceive with a
                                                                fresh ConversationMemory each time)
    reply    = one NON-streaming model call in which the main model writes the reply AND the
               inner life as one JSON object (its prompt asked for exactly that: FIRST_VERSION_ASK),
               so the model generates, and the double charges at its rate, those extra tokens
    thoughts = reasoning.insight.reason     (each a call to the insight model, as the
    emotion  = emotional.insight.feel        pipeline's agents make them, but one after
    depth    = depth.insight.deepen          another: the seed's agents ran in sequence)
    review   = self_review.review.compose, then ConversationStore.put_reply

one after another in the benchmark's process, against the same local endpoint as the stack.
The user sees text only when all of it has finished: time to first visible text = total. The
three insight steps, summed, are "the same three calls one after another" that the Parallel
state's time is compared with.

The message is handed to the chain in memory, never through the Messages table (the pipe would
answer it too). So that its history reads and its prompts are the same size as the pipeline's,
the chain keeps its conversation in a mirror table of its own (same key schema, no stream):
the user message is written there before the clock starts, the reply at the end of the chain.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

import boto3
from botocore.config import Config

from agents.depth.insight import deepen
from agents.emotional.insight import feel
from agents.language.streaming import inference_config
from agents.perception.memory import ConversationMemory
from agents.perception.perceive import perceive
from agents.reasoning.insight import reason
from agents.self_review.review import compose
from brain_core.config import SETTINGS, Settings
from brain_core.contracts import BranchResult, InsightInput, LanguageResult, StateDocument, WorkflowInput, step_name
from brain_core.insight import InsightSettings
from brain_core.store import ConversationStore, to_item
from brain_core.tables import MESSAGES
from brain_local.dynamodb.tables import create_table
from brain_local.models.scripted import JSON_REPLY_MARKER

if TYPE_CHECKING:
    from mypy_boto3_bedrock_runtime.type_defs import InferenceConfigurationTypeDef, MessageTypeDef

MIRROR_TABLE = "BenchFirstVersionMessages"
#: What the first version asked its model for: the reply and the inner life, as one JSON object.
FIRST_VERSION_SCHEMA = {
    "type": "object",
    "properties": {
        "response": {"type": "string", "description": "your reply to the person"},
        "thoughts": {"type": "array", "items": {"type": "string", "maxLength": 160}, "minItems": 1, "maxItems": 3},
        "emotion": {"type": "string", "enum": ["calm", "content", "excited", "alert", "melancholy", "agitated"]},
        "sensations": {"type": "array", "items": {"type": "string", "maxLength": 120}, "minItems": 1, "maxItems": 3},
        "memories": {"type": "string", "maxLength": 300},
        "selfReflection": {"type": "string", "maxLength": 240},
    },
    "required": ["response", "thoughts", "emotion", "sensations", "memories", "selfReflection"],
}
FIRST_VERSION_ASK = f"{JSON_REPLY_MARKER} {json.dumps(FIRST_VERSION_SCHEMA)}"
#: The Messages table's keys, without its stream: the pipe must not see the chain's messages.
MIRROR = replace(MESSAGES, stream_view=None, point_in_time_recovery=False)


@dataclass
class FirstVersionAnswer:
    total_ms: float  # chain called -> reply written: also its time to first visible text
    steps: dict[str, float]  # each step's milliseconds, in the pipeline's step names
    reply: dict


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)


class FirstVersionChain:
    def __init__(self, endpoint: str, model_id: str, settings: Settings = SETTINGS, insight_deadline: float = 10.0):
        self.settings = settings
        self.model_id = model_id
        #: The insight calls, as the agents make them; the deadline generous: the time is the figure.
        self.insights = InsightSettings(settings.insight_model_id, insight_deadline)
        session = boto3.session.Session(
            region_name=settings.region, aws_access_key_id="offline", aws_secret_access_key="offline"
        )
        # Clients made once, as a warm Lambda of the first version would hold them.
        self.dynamodb = session.client(
            "dynamodb",
            endpoint_url=endpoint,
            config=Config(retries={"mode": "standard", "max_attempts": 4}, tcp_keepalive=True),
        )
        # Non-streaming: the whole reply arrives in one response, so the read timeout must cover it.
        self.bedrock = session.client(
            "bedrock-runtime",
            endpoint_url=endpoint,
            config=Config(
                connect_timeout=2,
                read_timeout=300,
                tcp_keepalive=True,
                retries={"mode": "standard", "total_max_attempts": settings.bedrock_max_attempts},
            ),
        )
        self.insight_client = session.client(
            "bedrock-runtime",
            endpoint_url=endpoint,
            config=Config(connect_timeout=2, read_timeout=insight_deadline, retries={"total_max_attempts": 1}),
        )
        self.store = ConversationStore(self.dynamodb, MIRROR_TABLE)
        self.inference = inference_config(settings.max_output_tokens, settings.temperature, settings.top_p)

    def create_mirror_table(self) -> None:
        existing = self.dynamodb.list_tables()["TableNames"]
        if MIRROR_TABLE in existing:
            return
        create_table(self.dynamodb, MIRROR, MIRROR_TABLE)

    def record_user_message(self, message: dict) -> None:
        """What the first version's app did before its Lambda ran (not timed)."""
        self.dynamodb.put_item(TableName=MIRROR_TABLE, Item=to_item(message))

    def answer(self, message: dict) -> FirstVersionAnswer:
        """The whole chain for one user message; the clock starts when the message is written."""
        started = time.perf_counter()
        steps: dict[str, float] = {}
        workflow_input = WorkflowInput.from_dict(message)
        text = workflow_input.content

        t = time.perf_counter()
        memory = ConversationMemory(
            self.store, turns=self.settings.history_turns, ttl_seconds=self.settings.history_cache_ttl_seconds
        )  # new: nothing cached
        perception = perceive(
            workflow_input,
            memory,
            history_turns=self.settings.history_turns,
            max_input_chars=self.settings.max_input_chars,
            persona_length=self.settings.persona_length,
        )
        steps["perception"] = _ms(t)

        t = time.perf_counter()
        response = self.bedrock.converse(
            modelId=self.model_id,
            # The contracts carry Converse's shapes as plain dicts (no boto3 types at run time).
            messages=cast("list[MessageTypeDef]", perception.messages),
            system=[{"text": perception.system}, {"text": FIRST_VERSION_ASK}],
            inferenceConfig=cast("InferenceConfigurationTypeDef", self.inference),
        )
        raw = "".join(block.get("text", "") for block in response["output"]["message"]["content"])
        try:
            reply_text = str(json.loads(raw)["response"])
        except (ValueError, KeyError, TypeError):
            reply_text = raw  # a model that ignored the format: its text is the reply
        usage = response.get("usage", {})
        steps["language"] = _ms(t)
        language = LanguageResult(
            text=reply_text,
            model=self.model_id,
            inputTokens=usage.get("inputTokens", 0),
            outputTokens=usage.get("outputTokens", 0),
            modelTtftMs=0.0,
            modelMs=steps["language"],
            firstChunkAt=0,
            chunks=0,
            elapsedMs=steps["language"],
        )

        state = InsightInput(
            messageId=workflow_input.messageId,
            userText=text,
            reply=reply_text,
            history=perception.history,
            owner=workflow_input.owner,
            createdAt=workflow_input.createdAt,
            facts=perception.facts,
        )
        insights: list[BranchResult] = []
        for agent in (reason, feel, deepen):  # one after another, as the seed's agents ran
            result, _ = agent(state, self.insight_client, self.insights)
            steps[step_name(result.agent)] = result.elapsedMs
            insights.append(result)

        t = time.perf_counter()
        document = StateDocument(message=workflow_input, perception=perception, language=language, insights=insights)
        reply = compose(document, datetime.now(UTC))
        self.store.put_reply(reply)
        steps[step_name("self_review")] = _ms(t)
        return FirstVersionAnswer(total_ms=_ms(started), steps=steps, reply=reply.to_dict())
