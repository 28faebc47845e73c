"""Deployment choices read from CDK context (``-c key=value`` or cdk.json), with defaults.

Everything else comes from ``brain_core.config.SETTINGS``; these are only the knobs that differ
between deployments of the same code:

==========================  ===========================================  =======================
context key                 meaning                                      default
==========================  ===========================================  =======================
``modelId``                 Bedrock model or inference profile id        ``SETTINGS.model_id``
``insightModelId``          the insight agents' small model, or ``none``  ``SETTINGS.insight_model_id``
``workflowType``            ``EXPRESS`` or ``STANDARD``                  ``EXPRESS``
``includeExecutionData``    log state input/output (personal data!)      ``false``
``provisionedConcurrency``  ``agent:count,...`` (via an alias ``live``)  none
``snapStart``               ``agent,...`` (published versions, alias)    none
``powertoolsLayerVersion``  version of the AWS-managed Powertools layer  ``27``
``architecture``            ``arm64`` or ``x86_64``                      ``arm64``
``logRetentionDays``        retention of every log group                 ``30``
``alarmTopicArn``           an existing SNS topic the alarms notify      none
``userPoolId``              an existing Cognito user pool (with ...)     a new pool
``userPoolClientId``        ... its app client (public, no secret)       a new client
``webOrigin``               another origin the API's CORS allows         none (the stack's own
                            (a dev server, a custom domain)              web chat only)
``webSignInFlow``           the web chat's Cognito sign-in flow          ``USER_SRP_AUTH``
``messagesPerMinute``       messages one user may post a minute (429      ``20`` (``SETTINGS``;
                            beyond; 0: no limit)                         ``brain up`` the same)
``messagesPerDay``          ... and a day                                ``500``
==========================  ===========================================  =======================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from brain_core.config import AGENTS, SETTINGS, SIGN_IN_FLOWS, Settings

#: Powertools for AWS Lambda (Python) v3, AWS-managed public layer (account 017000801446).
#: Version 27 is the layer of Powertools 3.x current when this stack was written; bump it with
#: ``-c powertoolsLayerVersion=N`` (the version must exist in the target region).
DEFAULT_POWERTOOLS_LAYER_VERSION = 27
POWERTOOLS_LAYER_ACCOUNT = "017000801446"
PYTHON_RUNTIME_TAG = "python313"

#: Geographic prefixes of Bedrock cross-region inference profile ids (``us.amazon.nova-pro-v1:0``).
INFERENCE_PROFILE_PREFIXES = ("us.", "eu.", "apac.", "us-gov.", "ca.", "jp.", "au.", "global.")


#: CloudWatch Logs accepts these retentions only (days -> aws_logs.RetentionDays member name).
LOG_RETENTION_DAYS = {
    1: "ONE_DAY",
    3: "THREE_DAYS",
    5: "FIVE_DAYS",
    7: "ONE_WEEK",
    14: "TWO_WEEKS",
    30: "ONE_MONTH",
    60: "TWO_MONTHS",
    90: "THREE_MONTHS",
    120: "FOUR_MONTHS",
    150: "FIVE_MONTHS",
    180: "SIX_MONTHS",
    365: "ONE_YEAR",
    400: "THIRTEEN_MONTHS",
    545: "EIGHTEEN_MONTHS",
    731: "TWO_YEARS",
    1096: "THREE_YEARS",
    1827: "FIVE_YEARS",
    2192: "SIX_YEARS",
    2557: "SEVEN_YEARS",
    2922: "EIGHT_YEARS",
    3288: "NINE_YEARS",
    3653: "TEN_YEARS",
}


class OptionsError(ValueError):
    """A context value is malformed: fail the synth with a message that says which and why."""


def _agent(name: str, key: str) -> str:
    name = name.strip()
    if name not in AGENTS:
        raise OptionsError(f"{key}: unknown agent {name!r}; agents are {', '.join(AGENTS)}")
    return name


def parse_agent_counts(raw: Any, key: str = "provisionedConcurrency") -> dict[str, int]:
    """``"language:2,perception:1"`` (or a JSON object in cdk.json) to ``{"language": 2, ...}``."""
    if raw in (None, "", {}):
        return {}
    items = (
        raw.items()
        if isinstance(raw, Mapping)
        else (part.split(":", 1) if ":" in part else (part, "") for part in str(raw).split(",") if part.strip())
    )
    counts: dict[str, int] = {}
    for name, count in items:
        try:
            value = int(count)
        except (TypeError, ValueError) as exc:
            raise OptionsError(f"{key}: {name}:{count!r} is not agent:count") from exc
        if value < 1:
            raise OptionsError(f"{key}: the count for {name} must be at least 1")
        counts[_agent(name, key)] = value
    return counts


def parse_agents(raw: Any, key: str = "snapStart") -> frozenset[str]:
    """``"language,perception"`` (or a JSON list) to a set of agent names."""
    if raw in (None, "", []):
        return frozenset()
    names = raw if isinstance(raw, (list, tuple)) else str(raw).split(",")
    return frozenset(_agent(n, key) for n in names if str(n).strip())


def _bool(raw: Any, key: str) -> bool:
    if isinstance(raw, bool):
        return raw
    value = str(raw).strip().lower()
    if value in ("true", "1", "yes", "on"):
        return True
    if value in ("false", "0", "no", "off", ""):
        return False
    raise OptionsError(f"{key}: {raw!r} is not true or false")


def _int(raw: Any, key: str) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError) as exc:
        raise OptionsError(f"{key}: {raw!r} is not a whole number") from exc


def is_inference_profile(model_id: str) -> bool:
    return model_id.startswith(INFERENCE_PROFILE_PREFIXES)


def foundation_model(model_id: str) -> str:
    """The model behind an id: an inference profile ``us.amazon.x`` routes to ``amazon.x``."""
    return model_id.split(".", 1)[1] if is_inference_profile(model_id) else model_id


@dataclass(frozen=True)
class DeployOptions:
    model_id: str = SETTINGS.model_id
    #: The insight agents' model; "none" keeps their heuristics (and grants them no Bedrock call).
    insight_model_id: str = SETTINGS.insight_model_id
    workflow_type: str = "EXPRESS"
    include_execution_data: bool = False
    provisioned_concurrency: Mapping[str, int] = field(default_factory=dict)
    snap_start: frozenset[str] = frozenset()
    powertools_layer_version: int = DEFAULT_POWERTOOLS_LAYER_VERSION
    architecture: str = "arm64"
    log_retention_days: int = 30
    alarm_topic_arn: str | None = None
    user_pool_id: str | None = None
    user_pool_client_id: str | None = None
    web_origin: str | None = None
    web_sign_in_flow: str = "USER_SRP_AUTH"
    settings: Settings = SETTINGS

    def __post_init__(self) -> None:
        if bool(self.user_pool_id) != bool(self.user_pool_client_id):
            raise OptionsError("userPoolId and userPoolClientId go together: give both or neither")
        if self.workflow_type not in ("EXPRESS", "STANDARD"):
            raise OptionsError(f"workflowType: {self.workflow_type!r} is not EXPRESS or STANDARD")
        if self.architecture not in ("arm64", "x86_64"):
            raise OptionsError(f"architecture: {self.architecture!r} is not arm64 or x86_64")
        both = set(self.provisioned_concurrency) & set(self.snap_start)
        if both:
            # Lambda refuses SnapStart and provisioned concurrency on the same version.
            raise OptionsError(f"choose SnapStart or provisioned concurrency, not both, for: {', '.join(sorted(both))}")
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            raise OptionsError(
                f"logRetentionDays: {self.log_retention_days} is not one of {sorted(LOG_RETENTION_DAYS)}"
            )
        if not self.model_id.strip():
            raise OptionsError("modelId: empty")
        if not self.insight_model_id.strip():
            raise OptionsError("insightModelId: empty (say none for the heuristics alone)")
        if self.web_sign_in_flow not in SIGN_IN_FLOWS:
            raise OptionsError(f"webSignInFlow: {self.web_sign_in_flow!r} is not one of {', '.join(SIGN_IN_FLOWS)}")
        if self.web_origin is not None and not self.web_origin.startswith(("https://", "http://")):
            raise OptionsError(f"webOrigin: {self.web_origin!r} is not an origin (https://host[:port])")

    @classmethod
    def from_context(cls, get: Callable[[str], Any]) -> DeployOptions:
        """``get`` is ``node.try_get_context``; an absent key keeps the default."""

        def value(key: str, default: Any) -> Any:
            raw = get(key)
            return default if raw is None or raw == "" else raw

        defaults = cls()
        topic = value("alarmTopicArn", None)
        return cls(
            model_id=str(value("modelId", defaults.model_id)).strip(),
            insight_model_id=str(value("insightModelId", defaults.insight_model_id)).strip(),
            workflow_type=str(value("workflowType", defaults.workflow_type)).strip().upper(),
            include_execution_data=_bool(value("includeExecutionData", False), "includeExecutionData"),
            provisioned_concurrency=parse_agent_counts(get("provisionedConcurrency")),
            snap_start=parse_agents(get("snapStart")),
            powertools_layer_version=_int(
                value("powertoolsLayerVersion", defaults.powertools_layer_version), "powertoolsLayerVersion"
            ),
            architecture=str(value("architecture", defaults.architecture)).strip().lower().replace("-", "_"),
            log_retention_days=_int(value("logRetentionDays", defaults.log_retention_days), "logRetentionDays"),
            alarm_topic_arn=str(topic) if topic else None,
            user_pool_id=str(value("userPoolId", "")).strip() or None,
            user_pool_client_id=str(value("userPoolClientId", "")).strip() or None,
            web_origin=str(value("webOrigin", "")).strip().rstrip("/") or None,
            web_sign_in_flow=str(value("webSignInFlow", defaults.web_sign_in_flow)).strip().upper(),
            settings=_with_message_limits(
                defaults.settings,
                _int(value("messagesPerMinute", defaults.settings.messages_per_minute), "messagesPerMinute"),
                _int(value("messagesPerDay", defaults.settings.messages_per_day), "messagesPerDay"),
            ),
        )

    @property
    def log_retention(self):
        from aws_cdk import aws_logs

        return aws_logs.RetentionDays[LOG_RETENTION_DAYS[self.log_retention_days]]

    @property
    def uses_inference_profile(self) -> bool:
        return is_inference_profile(self.model_id)

    @property
    def foundation_model_id(self) -> str:
        return foundation_model(self.model_id)

    @property
    def insights_enabled(self) -> bool:
        return self.insight_model_id.lower() != "none"

    def aliased(self, agent: str) -> bool:
        """Whether the workflow invokes ``agent`` through its alias (a published version)."""
        return agent in self.provisioned_concurrency or agent in self.snap_start

    def powertools_layer_arn(self, region: str) -> str:
        return (
            f"arn:aws:lambda:{region}:{POWERTOOLS_LAYER_ACCOUNT}:layer:"
            f"AWSLambdaPowertoolsPythonV3-{PYTHON_RUNTIME_TAG}-{self.architecture}:"
            f"{self.powertools_layer_version}"
        )


def _with_message_limits(settings: Settings, per_minute: int, per_day: int) -> Settings:
    """``settings`` with the per-user message limits of the context (one setting for both stacks)."""
    if per_minute < 0 or per_day < 0:
        raise OptionsError("messagesPerMinute and messagesPerDay: whole numbers, 0 for no limit")
    return replace(settings, messages_per_minute=per_minute, messages_per_day=per_day)
