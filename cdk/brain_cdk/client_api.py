"""The client API on AWS (docs/design.md §8): what a browser talks to, and what it may do.

- **Identity**: a Cognito user pool and a public app client (SRP and USER_PASSWORD sign-in), or
  an existing pool passed as context (``-c userPoolId=... -c userPoolClientId=...``).
- **The HTTP API**: API Gateway (HTTP API) with a Cognito JWT authorizer on every route of
  ``ClientApiSettings.routes``, one Lambda integration (the ``api`` function, payload 2.0), CORS
  for the web chat's origin (and ``-c webOrigin=...``), throttling on the ``$default`` stage,
  access logs.
- **Pushed streaming**: an AppSync Events API whose connect and subscribe use the user pool and
  whose publish is IAM only (no browser can forge a chunk), one namespace ``brain`` whose
  ``onSubscribe`` is ``appsync/brain_namespace.js`` (the same file the offline stack runs);
  only the publishing functions' roles may publish, and only to that namespace.
Its table, Conversations, is built with the others from ``brain_core.tables``.

:meth:`ClientApi.amplify_config` is the aws-amplify v6 configuration of all of it, output as the
stack's ``AmplifyConfig`` (``cdk deploy --outputs-file`` gives it as a JSON string): the same shape
as the offline stack's ``.brain/config.json``.
"""

from __future__ import annotations

import jsii
from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_appsync as appsync
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from brain_core.config import Settings

from . import compliance
from .assets import REPO_ROOT
from .options import DeployOptions

NAMESPACE_HANDLERS = REPO_ROOT / "appsync" / "brain_namespace.js"
ACCESS_LOG_FORMAT = (
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","requestTime":"$context.requestTime",'
    '"routeKey":"$context.routeKey","status":"$context.status","responseLength":"$context.responseLength",'
    '"integrationLatency":"$context.integrationLatency","sub":"$context.authorizer.claims.sub",'
    '"error":"$context.error.message","authorizerError":"$context.authorizer.error"}'
)


class ClientApi(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings, options: DeployOptions):
        super().__init__(scope, construct_id)
        self.settings, self.options = settings, options
        self.api_settings = settings.client_api
        self._identity()
        self.events = self._events()
        self.http_api: apigw.HttpApi | None = None

    # -- identity --------------------------------------------------------------------------------
    def _identity(self) -> None:
        options, api = self.options, self.api_settings
        if options.user_pool_id and options.user_pool_client_id:
            self.user_pool = cognito.UserPool.from_user_pool_id(self, "Users", options.user_pool_id)
            self.user_pool_client = cognito.UserPoolClient.from_user_pool_client_id(
                self, "WebClient", options.user_pool_client_id
            )
            return
        pool = cognito.UserPool(
            self,
            "Users",
            user_pool_name=f"{self.settings.app_name}-{api.user_pool_name}",
            self_sign_up_enabled=api.self_sign_up,  # False: people are invited (or added by the operator)
            sign_in_aliases=cognito.SignInAliases(username=True, email=True),
            password_policy=cognito.PasswordPolicy(
                min_length=api.password_min_length,
                require_lowercase=api.password_require_lowercase,
                require_uppercase=api.password_require_uppercase,
                require_digits=api.password_require_digits,
                require_symbols=api.password_require_symbols,
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.LITE,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,  # the users' accounts outlive a stack
        )
        compliance.acknowledge(pool, compliance.USER_POOL)
        self.user_pool = pool
        self.user_pool_client = pool.add_client(
            "WebClient",
            user_pool_client_name=api.user_pool_client_name,
            generate_secret=False,  # a browser cannot keep a secret
            auth_flows=cognito.AuthFlow(user_srp=True, user_password=True),
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            access_token_validity=Duration.minutes(api.access_token_minutes),
            id_token_validity=Duration.minutes(api.id_token_minutes),
            refresh_token_validity=Duration.days(api.refresh_token_days),
        )

    # -- pushed streaming ------------------------------------------------------------------------
    def _events(self) -> appsync.EventApi:
        api = self.api_settings
        user_pool = appsync.AppSyncAuthorizationType.USER_POOL
        iam_auth = appsync.AppSyncAuthorizationType.IAM
        events = appsync.EventApi(
            self,
            "Events",
            api_name=f"{self.settings.app_name}-{api.events_api_name}",
            authorization_config=appsync.EventApiAuthConfig(
                auth_providers=[
                    appsync.AppSyncAuthProvider(
                        authorization_type=user_pool,
                        cognito_config=appsync.AppSyncCognitoConfig(user_pool=self.user_pool),
                    ),
                    appsync.AppSyncAuthProvider(authorization_type=iam_auth),
                ],
                connection_auth_mode_types=[user_pool],
                default_publish_auth_mode_types=[iam_auth],
                default_subscribe_auth_mode_types=[user_pool],
            ),
        )
        self._events_logging(events)
        self.namespace = events.add_channel_namespace(
            "BrainNamespace",
            channel_namespace_name=self.settings.events_namespace,
            code=appsync.Code.from_asset(str(NAMESPACE_HANDLERS)),
            authorization_config=appsync.NamespaceAuthConfig(
                publish_auth_mode_types=[iam_auth], subscribe_auth_mode_types=[user_pool]
            ),
        )
        return events

    def _events_logging(self, events: appsync.EventApi) -> None:
        """Errors only, to a log group made here with its retention, through a role that may write
        that group alone. Set on the L1: the L2's log config brings a managed-policy role and
        CDK's log-retention helper function (a wildcard policy), neither of which is needed."""
        log_group = logs.LogGroup(
            self,
            "EventsLogs",
            log_group_name=f"/aws/appsync/apis/{events.api_id}",
            retention=self.options.log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        role = iam.Role(
            self,
            "EventsLogRole",
            assumed_by=iam.ServicePrincipal("appsync.amazonaws.com"),
            description="Brain in Cup Events API: write its own log group",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="OwnLogGroup",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group.log_group_arn],
            )
        )
        cfn = events.node.default_child
        assert isinstance(cfn, appsync.CfnApi)
        cfn.add_property_override(
            "EventConfig.LogConfig", {"CloudWatchLogsRoleArn": role.role_arn, "LogLevel": "ERROR"}
        )

    @property
    def events_http_endpoint(self) -> str:
        return f"https://{self.events.http_dns}/event"

    def grant_publish(self, role: iam.IGrantable) -> None:
        """Publish to the ``brain`` namespace only (``EventApi.grant_publish`` would allow them all)."""
        self.namespace.grant_publish(role)

    # -- the HTTP API ----------------------------------------------------------------------------
    def add_http_api(self, function: lambda_.IFunction, web_origins: list[str]) -> apigw.HttpApi:
        """``web_origins``: the origins whose pages may call it (CORS)."""
        api, options = self.api_settings, self.options
        http_api = apigw.HttpApi(
            self,
            "HttpApi",
            api_name=f"{self.settings.app_name}-{api.http_api_name}",
            description="Brain in Cup client API: post a message, read history (Cognito JWT)",
            create_default_stage=False,
            cors_preflight=apigw.CorsPreflightOptions(
                allow_origins=web_origins,
                allow_methods=[apigw.CorsHttpMethod.GET, apigw.CorsHttpMethod.POST, apigw.CorsHttpMethod.OPTIONS],
                allow_headers=["authorization", "content-type"],
                max_age=Duration.minutes(10),
            ),
        )
        access_logs = logs.LogGroup(
            self, "HttpApiAccessLogs", retention=options.log_retention, removal_policy=RemovalPolicy.DESTROY
        )
        http_api.add_stage(
            "DefaultStage",
            stage_name="$default",
            auto_deploy=True,
            # Every route at once; per route on AWS means the stage's default route settings.
            throttle=apigw.ThrottleSettings(rate_limit=api.throttle_rate_limit, burst_limit=api.throttle_burst_limit),
            access_log_settings=_AccessLogs(access_logs),
        )
        authorizer = authorizers.HttpUserPoolAuthorizer(
            "Cognito", self.user_pool, user_pool_clients=[self.user_pool_client]
        )
        integration = integrations.HttpLambdaIntegration(
            "Api", function, payload_format_version=apigw.PayloadFormatVersion.VERSION_2_0
        )
        for key in api.routes:
            method, path = key.split(" ", 1)
            http_api.add_routes(
                path=path, methods=[apigw.HttpMethod[method]], integration=integration, authorizer=authorizer
            )
        self.http_api = http_api
        return http_api

    # -- what a client needs -----------------------------------------------------------------------
    @property
    def browser_endpoints(self) -> list[str]:
        """Where a browser page connects (its CSP ``connect-src``): Cognito, the Events API's HTTP
        and WebSocket domains, and the region's HTTP APIs (this one's id would make a dependency
        cycle with its CORS, which names the page's CloudFront origin)."""
        region = Stack.of(self).region
        return [
            f"https://cognito-idp.{region}.amazonaws.com",
            f"https://{self.events.http_dns}",
            f"wss://{self.events.realtime_dns}",
            f"https://*.execute-api.{region}.amazonaws.com",
        ]

    def amplify_config(self) -> dict:
        """The aws-amplify v6 configuration (``Amplify.configure()`` takes it unchanged)."""
        region = Stack.of(self).region
        assert self.http_api is not None, "add_http_api() first"
        return {
            "Auth": {
                "Cognito": {
                    "userPoolId": self.user_pool.user_pool_id,
                    "userPoolClientId": self.user_pool_client.user_pool_client_id,
                    "loginWith": {"username": True, "email": True},
                }
            },
            "API": {
                "Events": {"endpoint": self.events_http_endpoint, "region": region, "defaultAuthMode": "userPool"},
                "REST": {"brain": {"endpoint": self.http_api.api_endpoint, "region": region}},
            },
        }


@jsii.implements(apigw.IAccessLogSettings)
class _AccessLogs:
    """The stage's access logs: JSON lines, no request bodies."""

    def __init__(self, log_group: logs.ILogGroup):
        self._destination = apigw.LogGroupLogDestination(log_group)

    @property
    def destination(self) -> apigw.IAccessLogDestination:
        return self._destination

    @property
    def format(self):
        from aws_cdk import aws_apigateway as apigateway

        return apigateway.AccessLogFormat.custom(ACCESS_LOG_FORMAT)
