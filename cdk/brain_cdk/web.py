"""The web chat on AWS: ``web/dist`` in a private S3 bucket behind CloudFront.

- **The bucket** blocks all public access, refuses plain HTTP (``aws:SecureTransport``) and is
  encrypted (SSE-S3); only this distribution reads it, through **origin access control** (a
  bucket policy naming the distribution), never a public website endpoint.
- **The files**: the built page (``make install`` runs the pinned npm toolchain in ``web/``; no
  Docker at synth or deploy) and ``config.json``, generated at deploy time from the stack's own
  outputs: the same aws-amplify configuration as the ``AmplifyConfig`` output plus the page's
  ``web`` section (``brain_core.config.web_page_settings``; SRP sign-in, the user pool's default).
  The hashed script and stylesheet are cached for a year; ``index.html`` and ``config.json`` are
  revalidated on every load and invalidated at each deployment.
- **CloudFront**: HTTPS only (HTTP redirects), HTTP/2 and 3, the cheapest price class, and
  security headers on every answer: HSTS, no sniffing, no framing, a strict referrer policy and a
  Content-Security-Policy whose ``connect-src`` names this stack's Cognito and Events endpoints and
  the region's HTTP APIs (``*.execute-api``: naming this one would make a dependency cycle, since
  its CORS names this distribution).
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_s3_deployment as deployment
from constructs import Construct

from . import compliance
from .assets import REPO_ROOT

WEB_DIST = REPO_ROOT / "web" / "dist"
#: What the page fetches fresh on every load; everything else in dist/ has a content hash in its name.
PAGE_FILES = ("index.html", "config.json")
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
#: The id CDK gives its one BucketDeployment function per stack.
BUCKET_DEPLOYMENT_HANDLER = "Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C"


class WebBuildMissing(RuntimeError):
    """``web/dist`` has not been built: the stack cannot deploy a page that does not exist."""


def built_page(dist: Path = WEB_DIST) -> Path:
    if not (dist / "index.html").is_file():
        raise WebBuildMissing(
            f"{dist} has no index.html: build the web chat first "
            "(`make install`, or `cd web && npm ci && npm run build`)"
        )
    return dist


class WebChat(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        connect_sources: list[str],
        log_retention: logs.RetentionDays,
        dist: Path = WEB_DIST,
    ):
        """``connect_sources``: where the page may connect besides itself (CSP ``connect-src``);
        ``log_retention``: of the deployment function's log group, as every other log group."""
        super().__init__(scope, construct_id)
        self.dist = built_page(dist)
        self.deploy_logs = logs.LogGroup(
            self, "DeployLogs", retention=log_retention, removal_policy=RemovalPolicy.DESTROY
        )
        self.bucket = s3.Bucket(
            self,
            "Site",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            # Kept by `cdk destroy`, like the tables: emptying it would take CDK's auto-delete
            # function, whose role uses an AWS-managed policy (this stack has none).
            removal_policy=RemovalPolicy.RETAIN,
        )
        compliance.acknowledge(self.bucket, compliance.WEB_BUCKET)
        self.headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="Brain in Cup web chat: security headers",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(365), include_subdomains=True, override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override=True
                ),
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy(connect_sources), override=True
                ),
            ),
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Cdn",
            comment="Brain in Cup web chat",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.headers,
                compress=True,
            ),
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
        )
        compliance.acknowledge(self.distribution, compliance.WEB_DISTRIBUTION)

    @property
    def origin(self) -> str:
        """``https://<distribution>.cloudfront.net``: the page's origin, for the API's CORS."""
        return f"https://{self.distribution.distribution_domain_name}"

    @property
    def url(self) -> str:
        return self.origin + "/"

    def deploy(self, page_config: dict) -> None:
        """Upload the page and its ``config.json`` (its tokens are resolved at deploy time)."""
        page_asset = s3_assets.Asset(self, "PageAsset", path=str(self.dist))
        role = self._deploy_role(page_asset.bucket)
        assets = deployment.BucketDeployment(
            self,
            "Assets",
            sources=[deployment.Source.bucket(page_asset.bucket, page_asset.s3_object_key)],
            destination_bucket=self.bucket,
            exclude=list(PAGE_FILES),
            cache_control=[deployment.CacheControl.from_string(IMMUTABLE)],
            prune=False,  # a page still open in a browser keeps finding the assets it names
            role=role,
            log_group=self.deploy_logs,
        )
        page = deployment.BucketDeployment(
            self,
            "Page",
            sources=[
                deployment.Source.bucket(page_asset.bucket, page_asset.s3_object_key),
                deployment.Source.json_data("config.json", page_config),
            ],
            destination_bucket=self.bucket,
            exclude=["*"],
            include=list(PAGE_FILES),
            cache_control=[deployment.CacheControl.from_string(REVALIDATE)],
            prune=False,
            distribution=self.distribution,
            distribution_paths=[f"/{name}" for name in PAGE_FILES],
            role=role,
            log_group=self.deploy_logs,
        )
        page.node.add_dependency(assets)  # the page names assets that must be there first
        handler = Stack.of(self).node.try_find_child(BUCKET_DEPLOYMENT_HANDLER)
        if handler is not None:
            compliance.acknowledge(handler, compliance.BUCKET_DEPLOYMENT_HANDLER)

    def _deploy_role(self, assets_bucket: s3.IBucket) -> iam.IRole:
        """The role of CDK's BucketDeployment function, scoped to what it does here: read this
        stack's assets (the page, config.json) from the CDK asset bucket, write the page's bucket
        (no deletes: ``prune`` is off), invalidate this distribution, write its own log group.
        Immutable, so the construct's broader default grants (``s3:GetObject*``, ``s3:DeleteObject*``,
        an AWS-managed policy) never reach it."""
        role = iam.Role(
            self,
            "DeployRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Brain in Cup web chat: copy the built page and config.json into its bucket",
        )
        statements = [
            iam.PolicyStatement(
                sid="ReadTheStacksAssets",
                actions=["s3:GetObject"],
                resources=[assets_bucket.arn_for_objects("*")],
            ),
            iam.PolicyStatement(
                sid="WriteThePage",
                actions=["s3:PutObject", "s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"],
                resources=[self.bucket.bucket_arn, self.bucket.arn_for_objects("*")],
            ),
            iam.PolicyStatement(
                sid="InvalidateThePage",
                actions=["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"],
                resources=[self.distribution.distribution_arn],
            ),
            iam.PolicyStatement(
                sid="OwnLogGroup",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.deploy_logs.log_group_arn],
            ),
        ]
        for statement in statements:
            role.add_to_policy(statement)
        compliance.acknowledge(role, compliance.web_deploy_role(Stack.of(self), self.bucket))
        return role.without_policy_updates()


def content_security_policy(connect_sources: list[str]) -> str:
    """Scripts, styles and images from the page's own origin only; connections to itself and
    ``connect_sources``; no framing, no plugins, no base or form tricks."""
    connect = " ".join(["'self'", *connect_sources])
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src {connect}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
    )
