"""The Lambda functions (the six agents and the client API's), each with its own log group, its
own role granting only the calls its code makes, and (when asked) an alias on a published version.

Each function's environment is ``brain_core.config.function_environment``; the construct fills in
what only the deployment knows (the tables' real names, the chosen models, the Events endpoint).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from brain_core.config import FUNCTION_PACKAGES, FUNCTIONS, INSIGHT_AGENTS, PUBLISHERS, Settings, function_environment
from brain_core.tables import TABLES

from . import compliance
from .assets import function_code
from .options import DeployOptions, foundation_model, is_inference_profile

#: The DynamoDB calls each agent's code makes (brain_core/store.py), by table. Nothing else is
#: granted: reasoning and emotional make no DynamoDB call at all.
DYNAMODB_ACTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "perception": {"messages": ("dynamodb:Query",), "memory": ("dynamodb:Query",)},  # history, long-term facts
    # Long-term memory (FactStore.remember): the conditional write, the owner's facts, the trim.
    "depth": {"memory": ("dynamodb:PutItem", "dynamodb:Query", "dynamodb:DeleteItem")},
    "language": {
        # Query: a run that takes over from one that died reads what it streamed (lease.py).
        "chunks": ("dynamodb:PutItem", "dynamodb:Query"),
        # Powertools idempotency (DynamoDBPersistenceLayer): what its documentation lists.
        "idempotency": ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"),
    },
    "self_review": {
        "messages": ("dynamodb:PutItem",),  # the conditional reply write
        "chunks": ("dynamodb:PutItem", "dynamodb:Query"),
    },
    "api": {
        "messages": ("dynamodb:PutItem", "dynamodb:Query", "dynamodb:GetItem"),
        "conversations": ("dynamodb:UpdateItem", "dynamodb:Query"),  # Query: on its byUpdatedAt index
        "chunks": ("dynamodb:Query",),
        # Powertools idempotency for a repeated clientMessageId (DynamoDBPersistenceLayer).
        "idempotency": ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"),
        # The per-user limit: both counters in one TransactWriteItems, authorised per item as UpdateItem.
        "usage": ("dynamodb:UpdateItem",),
    },
}
#: Tables with local indexes the functions query: a grant on the table names those indexes too.
INDEXES = {spec.key: [index.name for index in spec.local_indexes] for spec in TABLES if spec.local_indexes}
#: The agents that call Bedrock (ConverseStream needs InvokeModelWithResponseStream).
BEDROCK_AGENTS = ("language",)
BEDROCK_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
#: The insight agents call ConverseStream on the insight model (streamed so a call past its deadline
#: is cut off): InvokeModelWithResponseStream only.
INSIGHT_ACTIONS = ("bedrock:InvokeModelWithResponseStream",)

ALIAS_NAME = "live"


def construct_id(agent: str) -> str:
    return "".join(part.capitalize() for part in agent.split("_"))


class Functions(Construct):
    """Every function of :data:`brain_core.config.FUNCTIONS`: ``functions``, ``aliases`` (the
    aliased ones) and ``invoke_arns`` (what the workflow invokes: the alias or the function)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        options: DeployOptions,
        tables: Mapping[str, dynamodb.ITable],
        events_http_endpoint: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.options, self.tables, self.events_http_endpoint = options, tables, events_http_endpoint
        self.functions: dict[str, lambda_.Function] = {}
        self.aliases: dict[str, lambda_.Alias] = {}
        self.invoke_arns: dict[str, str] = {}
        self.powertools = lambda_.LayerVersion.from_layer_version_arn(
            self, "PowertoolsLayer", options.powertools_layer_arn(Stack.of(self).region)
        )
        for agent in FUNCTIONS:
            self._function(agent)

    def _function(self, agent: str) -> None:
        options, settings = self.options, self.options.settings
        name = settings.function_name(agent)
        cid = construct_id(agent)
        sizing = settings.functions[agent]
        log_group = logs.LogGroup(
            self,
            f"{cid}Logs",
            log_group_name=f"/aws/lambda/{name}",
            retention=options.log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        role = self._role(agent, log_group)
        function = lambda_.Function(
            self,
            f"{cid}Function",
            function_name=name,
            description=f"Brain in Cup: the {agent} agent (agents/{agent})",
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=(
                lambda_.Architecture.ARM_64 if options.architecture == "arm64" else lambda_.Architecture.X86_64
            ),
            handler=Settings.handler(agent),
            code=function_code(agent),
            memory_size=sizing.memory_mb,
            timeout=Duration.seconds(sizing.timeout_seconds),
            tracing=lambda_.Tracing.ACTIVE,
            layers=[self.powertools],
            environment=self._environment(agent),
            role=role,
            log_group=log_group,
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if agent in options.snap_start else None,
        )
        compliance.acknowledge(role, compliance.FUNCTION_ROLE)
        compliance.acknowledge(function, compliance.FUNCTION)
        if agent in options.snap_start:
            compliance.acknowledge(function, compliance.SNAPSTART_FUNCTION)
        self.functions[agent] = function
        self.invoke_arns[agent] = function.function_arn
        if options.aliased(agent):
            # SnapStart and provisioned concurrency apply to published versions: the workflow
            # invokes the alias, which follows the version of the current code.
            alias = lambda_.Alias(
                self,
                f"{cid}Alias",
                alias_name=ALIAS_NAME,
                version=function.current_version,
                provisioned_concurrent_executions=options.provisioned_concurrency.get(agent),
            )
            self.aliases[agent] = alias
            self.invoke_arns[agent] = alias.function_arn

    def _role(self, agent: str, log_group: logs.LogGroup) -> iam.Role:
        """One role per function, no managed policies: each gets only its own log group, X-Ray,
        and the calls its code makes."""
        options = self.options
        role = iam.Role(
            self,
            f"{construct_id(agent)}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Brain in Cup {agent} function",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="OwnLogGroup",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group.log_group_arn],
            )
        )
        for table_key, actions in DYNAMODB_ACTIONS.get(agent, {}).items():
            table_arn = self.tables[table_key].table_arn
            role.add_to_policy(
                iam.PolicyStatement(
                    sid=f"{table_key.capitalize()}Table",
                    actions=list(actions),
                    resources=[table_arn] + [f"{table_arn}/index/{name}" for name in INDEXES.get(table_key, [])],
                )
            )
        if agent in BEDROCK_AGENTS:
            role.add_to_policy(
                self._bedrock_statement(role, options.model_id, BEDROCK_ACTIONS, "InvokeConfiguredModel")
            )
        if agent in INSIGHT_AGENTS and options.insights_enabled:
            role.add_to_policy(
                self._bedrock_statement(role, options.insight_model_id, INSIGHT_ACTIONS, "InvokeInsightModel")
            )
        return role

    def _environment(self, agent: str) -> dict[str, str]:
        """function_environment() defines the keys; the deployment fills in what only it knows."""
        options = self.options
        environment = function_environment(agent, options.settings)
        for spec in TABLES:
            environment[spec.environment_variable] = self.tables[spec.key].table_name
        environment["MODEL_ID"] = options.model_id
        environment["INSIGHT_MODEL_ID"] = options.insight_model_id
        if agent in PUBLISHERS:
            environment["EVENTS_HTTP_ENDPOINT"] = self.events_http_endpoint
        langchain = environment.get("MODEL_CLIENT") == "langchain"
        if agent in BEDROCK_AGENTS and langchain and not FUNCTION_PACKAGES.get(agent):
            # The opt-in client needs langchain-aws in the package; without it every run falls back.
            raise ValueError(
                f"MODEL_CLIENT=langchain but FUNCTION_PACKAGES[{agent!r}] bundles nothing: "
                "add langchain-aws there (and expect a package far above 1 MiB)"
            )
        return environment

    def _bedrock_statement(
        self, role: iam.Role, model_id: str, actions: tuple[str, ...], sid: str
    ) -> iam.PolicyStatement:
        """``actions`` on the one model ``model_id`` names (a foundation model, or an inference
        profile and the model it routes to in any region)."""
        stack = Stack.of(self)
        foundation = foundation_model(model_id)
        model_arn = stack.format_arn(
            service="bedrock", account="", resource="foundation-model", resource_name=foundation
        )
        resources = [model_arn]
        if is_inference_profile(model_id):
            any_region_model = f"arn:{stack.partition}:bedrock:*::foundation-model/{foundation}"
            resources = [
                stack.format_arn(service="bedrock", resource="inference-profile", resource_name=model_id),
                any_region_model,
            ]
            compliance.acknowledge(role, [compliance.inference_profile_wildcard(stack.resolve(any_region_model))])
        return iam.PolicyStatement(sid=sid, actions=list(actions), resources=resources)
