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
        "(AWSLambdaPowertoolsPythonV3-python313-*) and the cold-start budgets of docs/design.md §6 are "
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
USAGE_TABLE = (
    Acknowledged(
        "AwsSolutions-DDB3",
        "Usage holds each person's message counters of the current minute and day (the per-user "
        "limit), deleted by TTL an hour after their window ends; restoring them would restore a "
        "count that no longer limits anything.",
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

WEB_BUCKET = (
    Acknowledged(
        "AwsSolutions-S1",
        "The web chat's bucket holds the built page only (public code and public configuration: pool "
        "and client ids, endpoints) and is read by this stack's CloudFront distribution alone, through "
        "origin access control; nobody else can read or list it. Server access logs would record "
        "CloudFront's own reads. Who did what is in the HTTP API's access logs and CloudTrail.",
    ),
)
WEB_DISTRIBUTION = (
    Acknowledged(
        "AwsSolutions-CFR1",
        "The chat is meant to be reachable wherever its users are; a country list is the operator's "
        "product decision, not the stack's (CloudFront's GeoRestriction can be added).",
    ),
    Acknowledged(
        "AwsSolutions-CFR2",
        "The distribution serves a static page of a few files (about 80 KB gzipped); every request "
        "that does work goes to the HTTP API, which checks a Cognito token and is throttled per stage. "
        "A web ACL (about $5 a month plus requests) would guard nothing that can be abused here.",
    ),
    Acknowledged(
        "AwsSolutions-CFR3",
        "Access logs of a static page would record visitors' IP addresses for no use this stack has "
        "(personal data kept without a purpose); the API's access logs record the requests that matter.",
    ),
    Acknowledged(
        "AwsSolutions-CFR4",
        "Without a custom domain CloudFront serves its default *.cloudfront.net certificate, whose "
        "security policy is fixed by AWS (TLSv1); browsers negotiate TLS 1.2/1.3 with it. A custom "
        "domain with an ACM certificate is where the minimum version (TLS_V1_2_2021, set) applies.",
    ),
    Acknowledged(
        "Annotation::@aws-cdk/aws-cloudfront:minimumProtocolVersionWithoutCertificate",
        "The minimum protocol version is set for the day a custom domain and certificate are added "
        "(see AwsSolutions-CFR4); until then CloudFront's default certificate policy applies.",
    ),
)


#: CDK's own BucketDeployment function (one per stack), which copies the built page into its bucket.
BUCKET_DEPLOYMENT_HANDLER = (
    Acknowledged(
        "AwsSolutions-L1",
        "The runtime of CDK's BucketDeployment function is chosen by aws-cdk-lib (pinned, 2.275.0) and "
        "moves with it; it runs only while a deployment copies the page.",
    ),
)


def web_deploy_role(stack, site_bucket) -> tuple[Acknowledged, ...]:
    """The role of that function (brain_cdk/web.py): its object wildcards name their buckets, so
    the findings' ids are computed from the stack (the CDK asset bucket is per account and region)."""
    from aws_cdk import DefaultStackSynthesizer, Token

    site = stack.resolve(site_bucket.node.default_child.logical_id)
    partition = "<AWS::Partition>" if Token.is_unresolved(stack.partition) else stack.partition
    qualifier = getattr(stack.synthesizer, "bootstrap_qualifier", None) or DefaultStackSynthesizer.DEFAULT_QUALIFIER
    assets = (
        DefaultStackSynthesizer.DEFAULT_FILE_ASSETS_BUCKET_NAME.replace("${Qualifier}", qualifier)
        .replace("${AWS::AccountId}", "<AWS::AccountId>")
        .replace("${AWS::Region}", stack.region)
    )
    objects = (
        "Object keys only, in two named buckets: the page's own (the deployment writes whatever files "
        "the build made, by name) and the CDK asset bucket of this account and region (the page and "
        "config.json are uploaded there under content-hash keys known only at deploy time)."
    )
    return (
        Acknowledged(f"AwsSolutions-IAM5[Resource::<{site}.Arn>/*]", objects),
        Acknowledged(f"AwsSolutions-IAM5[Resource::arn:{partition}:s3:::{assets}/*]", objects),
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
