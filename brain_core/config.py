"""Deployment settings defined once, read by CDK, the offline stack and the agents.

CDK (``cdk/``) and the offline stack (``brain_local``) both build their resources from
:data:`SETTINGS`; they hand each function the environment produced by
:func:`function_environment`, and the agents parse it back with :func:`AgentEnv.from_environ`.
Every setting a function reads is declared once, as a field of :class:`AgentEnv` — its name,
type, default and environment variable (:func:`setting`); :class:`Settings` inherits those
fields, and the environment and its parsing are derived from them (:data:`ENVIRONMENT`).
The tables' shapes are in :mod:`brain_core.tables`; their names here. Nothing here imports
boto3: compute-only agents import this module too, and their cold start is budgeted at 100 ms.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar, get_type_hints

T = TypeVar("T")

#: The agents, in workflow order; each is one Lambda function and one folder under ``agents/``.
AGENTS: tuple[str, ...] = ("perception", "language", "reasoning", "emotional", "depth", "self_review")
#: The client API's function (docs/design.md §8): behind the HTTP API, not a step of the workflow.
API_FUNCTION = "api"
#: Every Lambda function, each one folder under ``agents/`` with a thin ``handler.py``.
FUNCTIONS: tuple[str, ...] = AGENTS + (API_FUNCTION,)
#: The functions that publish to the client's channel (chunks, the reply): the only ones granted it.
PUBLISHERS: tuple[str, ...] = ("language", "self_review")
#: The agents of the Parallel state's branches, in the ASL's branch order.
INSIGHT_AGENTS: tuple[str, ...] = ("reasoning", "emotional", "depth")
#: The persona's two lengths (brain_core/persona.py): the full one, and a condensed one for
#: small models that cannot follow the full one.
PERSONA_LENGTHS: tuple[str, ...] = ("full", "condensed")


@dataclass(frozen=True)
class PipeSettings:
    """The EventBridge Pipe from the Messages stream to the state machine (docs/design.md §2)."""

    starting_position: str = "LATEST"
    batch_size: int = 1
    maximum_batching_window_seconds: int = 0
    maximum_retry_attempts: int = 2
    on_partial_batch_item_failure: str = "AUTOMATIC_BISECT"
    invocation_type: str = "FIRE_AND_FORGET"
    #: EventBridge event pattern: only new user messages start a workflow.
    filter_pattern: Mapping = field(
        default_factory=lambda: {
            "eventName": ["INSERT"],
            "dynamodb": {"NewImage": {"role": {"S": ["user"]}}},
        }
    )
    #: EventBridge Pipes input template producing WorkflowInput from a stream record.
    input_template: str = (
        '{"conversationId": <$.dynamodb.NewImage.conversationId.S>, '
        '"messageId": <$.dynamodb.NewImage.messageId.S>, '
        '"owner": <$.dynamodb.NewImage.owner.S>, '
        '"content": <$.dynamodb.NewImage.content.S>, '
        '"createdAt": <$.dynamodb.NewImage.createdAt.S>}'
    )


@dataclass(frozen=True)
class ClientApiSettings:
    """The client API (docs/design.md §8): identity, the HTTP API and pushed streaming."""

    user_pool_name: str = "BrainUsers"
    user_pool_client_name: str = "brain-web"
    #: The user pool, on AWS and offline alike (CDK's pool and moto's are made from these):
    #: people are invited or added by the operator, never sign themselves up.
    self_sign_up: bool = False
    #: Cognito's password policy (moto enforces it too).
    password_min_length: int = 8
    password_require_lowercase: bool = True
    password_require_uppercase: bool = True
    password_require_digits: bool = True
    password_require_symbols: bool = True
    #: Token lifetimes of the app client (the offline stack's tokens live as long).
    access_token_minutes: int = 60
    id_token_minutes: int = 60
    refresh_token_days: int = 30
    #: Origins, beyond the front door's own, whose pages may call the offline front door (CORS;
    #: ``brain up --cors-origin``). On AWS the HTTP API allows the web chat's origin and ``webOrigin``.
    cors_origins: tuple[str, ...] = ()
    http_api_name: str = "BrainApi"
    events_api_name: str = "BrainEvents"
    #: The most items a page of history may hold (``?limit=``); the default is
    #: :attr:`AgentEnv.page_size`. The channel namespace and body limit are rows of :class:`AgentEnv`.
    max_page_size: int = 200
    #: A conversation's title: the first message, cut to this many characters.
    title_chars: int = 80
    #: How long a ``clientMessageId`` is remembered: a retry within it creates no second message.
    client_message_ttl_seconds: int = 86400
    #: Route throttling on AWS (the HTTP API stage's default route settings), per second.
    throttle_rate_limit: float = 25.0
    throttle_burst_limit: int = 50
    #: Publishing to the Events API: at most 5 events a request (AppSync's limit), a few quick
    #: attempts, and a bound on how long a function waits for its queue before it returns.
    publish_max_batch: int = 5
    publish_attempts: int = 3
    publish_timeout_seconds: float = 2.0
    publish_flush_seconds: float = 3.0
    #: The HTTP API's routes, as API Gateway names them (route keys); CDK and the offline front
    #: door both build from this list.
    routes: tuple[str, ...] = (
        "POST /conversations/{conversationId}/messages",
        "GET /conversations/{conversationId}/messages",
        "GET /conversations/{conversationId}/messages/{messageId}/chunks",
        "GET /conversations",
    )


@dataclass(frozen=True)
class FunctionSettings:
    memory_mb: int = 512
    timeout_seconds: int = 10


class ConfigurationError(RuntimeError):
    """A required setting is missing or malformed: fail at cold start, loudly."""


_VARIABLE = "environment_variable"
_CHOICES = "choices"
_DEPLOYMENT = "deployment"


def setting(default: T, *, variable: str = "", choices: tuple[str, ...] = (), deployment: bool = False) -> T:
    """One row of the functions' settings table (a field of :class:`AgentEnv`).

    ``variable`` is the environment variable carrying it (the field's name upper-cased unless
    said), ``choices`` the only values accepted at cold start, and ``deployment`` marks a value
    only a deployment knows (an endpoint): :func:`function_environment` leaves it out, and a
    function without it reads the default. Typed as the default so type checkers see the field's
    type; at runtime it is a dataclass field carrying the row's metadata."""
    metadata = {_VARIABLE: variable, _CHOICES: choices, _DEPLOYMENT: deployment}
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class AgentEnv:
    """The settings every function reads from its environment: the one table.

    Each row is declared once here — name, type, default (the deployment's value) and its
    environment variable. :class:`Settings` inherits these fields (``SETTINGS.model_id``),
    :func:`function_environment` writes them out for CDK and the offline stack, and
    :meth:`from_environ` reads them back inside a running function. Adding a setting a function
    reads is one row here; :data:`ENVIRONMENT` lists the rows."""

    #: The tables' names (brain_core/tables.py specifies them; ``<key>_table`` each).
    messages_table: str = setting("BrainMessages")
    chunks_table: str = setting("BrainResponseChunks")
    #: Powertools idempotency records (pk ``id``, TTL ``expiration``) for steps with side effects.
    idempotency_table: str = setting("BrainIdempotency")
    #: Long-term memory: facts about each person, per owner (brain_core/facts.py has the layout).
    memory_table: str = setting("BrainMemory")
    #: Each person's conversations (pk ``owner``, sk ``conversationId``), for ``GET /conversations``.
    conversations_table: str = setting("BrainConversations")
    #: Per-user message counters (pk ``id``, TTL ``expiresAt``), for the API's per-user limit.
    usage_table: str = setting("BrainUsage")
    model_id: str = setting("amazon.nova-pro-v1:0")
    #: ``boto3`` (default, fast cold start) or ``langchain`` (opt-in ChatBedrockConverse).
    model_client: str = setting("boto3")
    #: The small fast model the insight agents (reasoning, emotional, depth) ask through Converse
    #: with a forced tool; "none" keeps their heuristics alone (cheaper: no extra Bedrock calls).
    insight_model_id: str = setting("amazon.nova-micro-v1:0")
    #: Each insight agent's whole model call, its one retry included; past it the agent's heuristic
    #: answers for that turn. It must fit in the branch function's timeout (and the ASL's
    #: TimeoutSeconds) with room for a cold start: tests/unit/test_config.py checks it.
    insight_deadline_seconds: float = setting(2.5)
    #: Long-term memory's bounds: facts kept per owner (the oldest go first), and how long a fact
    #: not heard again is kept.
    memory_max_facts: int = setting(30)
    memory_ttl_days: int = setting(365)
    #: Earlier messages handed to the model and kept in each warm perception's cache. A turn is
    #: one message, the person's or the brain's (a ``brain_core.contracts.Turn``).
    history_turns: int = setting(12)
    history_cache_ttl_seconds: int = setting(300)
    #: Longest user message accepted, in characters.
    max_input_chars: int = setting(4000)
    max_output_tokens: int = setting(400)
    #: Which persona perception puts in the system prompt: "full", or "condensed" for small
    #: models (the offline stack sets it for ``--model smollm2``).
    persona_length: str = setting("full", choices=PERSONA_LENGTHS)
    temperature: float = setting(0.7)
    top_p: float = setting(0.9)
    #: Coalescing window for streamed chunks: the first chunk at once, then at most this often.
    chunk_interval_ms: int = setting(100)
    chunk_ttl_seconds: int = setting(86400)
    #: Bound on botocore's own retries so they do not multiply with the state machine's Retry.
    bedrock_max_attempts: int = setting(2)
    #: A model silent this long mid-reply has stalled: the run falls back (docs/design.md §2, bounded waiting).
    bedrock_read_timeout_seconds: int = setting(10)
    #: The AppSync Events channel namespace: one channel per conversation of one user,
    #: ``/<namespace>/<sub>/<conversationId>``.
    events_namespace: str = setting("brain")
    #: Largest request body the client API accepts (413 beyond it).
    max_body_bytes: int = setting(16 * 1024)
    #: Items per page of history (``?limit=`` may ask for fewer or up to ``max_page_size``).
    page_size: int = setting(50)
    #: Messages one person (a token's ``sub``) may post, per minute and per day, on AWS and offline
    #: (CDK context ``messagesPerMinute``/``messagesPerDay``, ``brain up --messages-per-minute``/
    #: ``--messages-per-day``); beyond them the API answers 429 (agents/api/rate_limit.py).
    messages_per_minute: int = setting(20)
    messages_per_day: int = setting(500)
    metrics_namespace: str = setting("BrainInCup", variable="POWERTOOLS_METRICS_NAMESPACE")
    log_level: str = setting("INFO", variable="POWERTOOLS_LOG_LEVEL")
    #: Where chunks and replies are published (the Events API's ``https://<http domain>/event``):
    #: only the deployment knows it, and only the functions in :data:`PUBLISHERS` get it. Empty
    #: where the deployment has no client API (the functions then answer through DynamoDB only,
    #: and say so once at cold start).
    events_http_endpoint: str = setting("", deployment=True)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> AgentEnv:
        """Every row read from the environment: a missing or malformed value fails loudly (only a
        deployment's own rows may be absent). A subclass (:class:`Settings`) reads the same rows."""
        env = os.environ if environ is None else environ
        absent = {row.name for row in ENVIRONMENT if row.deployment and env.get(row.variable, "") == ""}
        return cls(**{row.name: row.read(env) for row in ENVIRONMENT if row.name not in absent})


@dataclass(frozen=True)
class EnvironmentSetting:
    """One row of the table, as :func:`function_environment` and :meth:`AgentEnv.from_environ`
    use it (derived from :class:`AgentEnv`'s fields)."""

    name: str
    variable: str
    type: type
    default: Any
    choices: tuple[str, ...]
    deployment: bool

    def write(self, value: Any) -> str:
        return str(value)

    def read(self, env: Mapping[str, str]) -> Any:
        raw = env.get(self.variable, "")
        if raw == "":
            raise ConfigurationError(f"environment variable {self.variable} is not set")
        try:
            value = self.type(raw)
        except ValueError as exc:
            raise ConfigurationError(
                f"environment variable {self.variable}={raw!r} is not a {self.type.__name__}"
            ) from exc
        if self.choices and raw not in self.choices:
            raise ConfigurationError(
                f"environment variable {self.variable}={raw!r} is not one of {', '.join(self.choices)}"
            )
        return value


def _rows() -> tuple[EnvironmentSetting, ...]:
    hints = get_type_hints(AgentEnv)
    return tuple(
        EnvironmentSetting(
            name=f.name,
            variable=f.metadata[_VARIABLE] or f.name.upper(),
            type=hints[f.name],
            default=f.default,
            choices=f.metadata[_CHOICES],
            deployment=f.metadata[_DEPLOYMENT],
        )
        for f in fields(AgentEnv)
    )


#: The functions' settings table, one row per field of :class:`AgentEnv`.
ENVIRONMENT: tuple[EnvironmentSetting, ...] = _rows()


@dataclass(frozen=True)
class Settings(AgentEnv):
    """The deployment's settings: every row of :class:`AgentEnv` (what the functions read), and
    what only the deployments read (names of resources, the pipe, the client API, sizes)."""

    app_name: str = "BrainInCup"
    region: str = "us-east-1"
    state_machine_name: str = "BrainWorkflow"
    pipe: PipeSettings = field(default_factory=PipeSettings)
    client_api: ClientApiSettings = field(default_factory=ClientApiSettings)
    functions: Mapping[str, FunctionSettings] = field(
        default_factory=lambda: {
            "perception": FunctionSettings(timeout_seconds=10),
            "language": FunctionSettings(timeout_seconds=30),
            # The insight deadline (2.5 s; 6 s for a real model offline), a cold start and depth's
            # writes fit (tests/unit/test_config.py); the ASL's TimeoutSeconds match.
            "reasoning": FunctionSettings(timeout_seconds=8),
            "emotional": FunctionSettings(timeout_seconds=8),
            "depth": FunctionSettings(timeout_seconds=8),
            "self_review": FunctionSettings(timeout_seconds=10),
            "api": FunctionSettings(timeout_seconds=10),
        }
    )

    def function_name(self, agent: str) -> str:
        return f"brain-{agent.replace('_', '-')}"

    @staticmethod
    def handler(agent: str) -> str:
        """The handler string as Lambda sees it: the asset keeps the repo's relative paths."""
        return f"agents.{agent}.handler.main"

    @staticmethod
    def asl_substitution(agent: str) -> str:
        """The ``${...}`` name standing for ``agent``'s function ARN in statemachine/brain.asl.json."""
        return "".join(part.capitalize() for part in agent.split("_")) + "FunctionArn"


#: Pure-Python packages a function needs beyond boto3 and the Powertools layer; the deployment
#: asset carries them (copied from the installed distribution, no Docker).
FUNCTION_PACKAGES: Mapping[str, tuple[str, ...]] = {
    "perception": ("cachetools",),
    # The insight agents validate the model's answer against their schema (brain_core/insight.py).
    "reasoning": ("fastjsonschema",),
    "emotional": ("fastjsonschema",),
    "depth": ("fastjsonschema",),
    "api": ("python-ulid",),
}


SETTINGS = Settings()

#: The Cognito sign-in flows the web chat can use (aws-amplify ``signIn``'s ``authFlowType``).
#: SRP is the user pool's default on AWS; moto has no SRP (docs/design.md §8), so the offline stack's
#: page signs in with USER_PASSWORD_AUTH, which the app client allows in both places.
SIGN_IN_FLOWS = ("USER_SRP_AUTH", "USER_PASSWORD_AUTH")


def web_page_settings(sign_in_flow: str, settings: Settings = SETTINGS) -> dict:
    """The ``web`` section of the web chat's ``config.json``, beside the aws-amplify configuration:
    what the page needs that Amplify's configuration does not say (read by web/src/session.ts).
    Each deployment writes its own: the offline front door, and the CDK stack's bucket."""
    if sign_in_flow not in SIGN_IN_FLOWS:
        raise ValueError(f"sign-in flow {sign_in_flow!r} is not one of {', '.join(SIGN_IN_FLOWS)}")
    return {
        "signInFlow": sign_in_flow,
        "eventsNamespace": settings.events_namespace,
        "maxContentChars": settings.max_input_chars,
    }


def function_environment(agent: str, settings: Settings = SETTINGS) -> dict[str, str]:
    """The environment every deployment of ``agent`` gets, on AWS and offline alike: each row of
    :data:`ENVIRONMENT` but the deployment's own (CDK and the offline stack add
    ``EVENTS_HTTP_ENDPOINT`` for the functions in :data:`PUBLISHERS`), and Powertools' service."""
    return {
        **{row.variable: row.write(getattr(settings, row.name)) for row in ENVIRONMENT if not row.deployment},
        "POWERTOOLS_SERVICE_NAME": agent,
        "POWERTOOLS_LOGGER_LOG_EVENT": "false",
    }
