"""cdk-nag (AwsSolutions) on the stack, and every exception with its reason.

cdk-nag 3.x is a CDK policy-validation plugin: a finding fails ``cdk synth`` unless it is
acknowledged with ``Validations.of(scope).acknowledge(...)`` on the construct it concerns (the
narrowest scope that works). Each acknowledgement below says why the finding does not apply.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

XRAY_AND_LOG_DELIVERY_WILDCARD = (
    "X-Ray's PutTraceSegments/PutTelemetryRecords (and, for the state machine, CloudWatch Logs "
    "vended-log delivery: logs:CreateLogDelivery, logs:DescribeResourcePolicies and related "
    'actions) do not support resource-level permissions: AWS documents Resource "*" as the only '
    "valid resource. Every other statement in this role names its resources."
)


@dataclass(frozen=True)
class Acknowledged:
    """One cdk-nag (or CDK annotation) rule acknowledged, and why."""

    rule: str
    reason: str


#: The exceptions, by what they apply to; stack.py attaches each to the matching constructs.
FUNCTION_ROLE = (Acknowledged("AwsSolutions-IAM5[Resource::*]", XRAY_AND_LOG_DELIVERY_WILDCARD),)
FUNCTION = (
    Acknowledged(
        "AwsSolutions-L1",
        "Python 3.13 is the project's chosen runtime: the Powertools layer is selected for it "
        "(AWSLambdaPowertoolsPythonV3-python313-*) and the cold-start budgets of DESIGN §6 are "
        "measured against it. A newer runtime is a deliberate change of runtime, layer and "
        "measurements together, not a lint fix.",
    ),
)
STATE_MACHINE = (Acknowledged("AwsSolutions-IAM5[Resource::*]", XRAY_AND_LOG_DELIVERY_WILDCARD),)
CHUNKS_TABLE = (
    Acknowledged(
        "AwsSolutions-DDB3",
        "ResponseChunks holds only the streamed draft of a reply, deleted by TTL after "
        "chunk_ttl_seconds (24 h); the reply itself is written to Messages, which has point-in-time "
        "recovery. Restoring drafts would restore nothing a user needs.",
    ),
)
IDEMPOTENCY_TABLE = (
    Acknowledged(
        "AwsSolutions-DDB3",
        "Idempotency holds Powertools idempotency records that expire within the hour (TTL "
        "'expiration'); losing them costs at most one duplicate model call, which the conditional "
        "reply write still turns into a single reply. Nothing in it is worth restoring.",
    ),
)
DEAD_LETTER_QUEUE = (
    Acknowledged(
        "AwsSolutions-SQS3",
        "This queue is the dead-letter queue of the EventBridge Pipe (cdk-nag only recognises SQS "
        "redrive policies as DLQ use); a dead-letter queue of a dead-letter queue would only move "
        "the same records once more. The alarm 'DLQ not empty' watches it.",
    ),
)


USER_POOL = (
    Acknowledged(
        "AwsSolutions-COG2",
        "MFA is OPTIONAL (TOTP): each person may turn it on. Requiring it for a chat with a brain in a "
        "jar is the operator's product decision; an operator who needs it passes a pool of their own "
        "(-c userPoolId=... -c userPoolClientId=...).",
    ),
    Acknowledged(
        "AwsSolutions-COG8",
        "The Plus feature plan (threat protection) costs per monthly active user beyond the Lite plan "
        "that cost_model.py prices; this pool is invite-only (no self sign-up), with a strong password "
        "policy and optional TOTP MFA. Bring a Plus pool through -c userPoolId=... where it is wanted.",
    ),
)

SNAPSTART_FUNCTION = (
    Acknowledged(
        "Annotation::@aws-cdk/aws-lambda:snapStartRequirePublish",
        "CDK warns that SnapStart applies to published versions only; this function gets one: the "
        "stack publishes its current version behind the alias 'live', which the workflow invokes.",
    ),
)


def inference_profile_wildcard(model_arn: str) -> Acknowledged:
    """``model_arn``: the any-region foundation-model ARN as the template renders it."""
    if not isinstance(model_arn, str):  # partition unknown at synth time
        model_arn = "arn:<AWS::Partition>:bedrock:*::foundation-model/" + str(model_arn).rsplit("/", 1)[-1]
    return Acknowledged(
        f"AwsSolutions-IAM5[Resource::{model_arn}]",
        "A cross-region inference profile routes each request to the model in any region of its "
        "geography, and Bedrock authorises the call against the foundation model in the region that "
        "serves it; the statement names one model and the inference profile, only the region is open.",
    )


def acknowledge(scope: IConstruct, exceptions: tuple[Acknowledged, ...] | list[Acknowledged]) -> None:
    for exc in exceptions:
        Validations.of(scope).acknowledge(Acknowledgment(id=exc.rule, reason=exc.reason))
