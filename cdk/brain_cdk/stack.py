"""The Brain in Cup stack (DESIGN §2, §3, §8): tables, six agents, the workflow, the pipe, and
the client API (Cognito, the HTTP API and its function, AppSync Events: :mod:`brain_cdk.client_api`)
and the web chat (S3 behind CloudFront: :mod:`brain_cdk.web`).

Everything that both this stack and the offline stack need (names, the model, the pipe's
parameters, each function's environment) comes from ``brain_core.config``; only deployment
choices come from CDK context (:mod:`brain_cdk.options`).
"""

from __future__ import annotations

import json

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_pipes as pipes
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from brain_core import workflow
from brain_core.config import (
    AGENTS,
    FUNCTION_PACKAGES,
    FUNCTIONS,
    INSIGHT_AGENTS,
    PUBLISHERS,
    Settings,
    function_environment,
    web_page_settings,
)
from brain_core.tables import TABLES, KeyAttribute, TableSpec

from . import compliance
from .assets import function_code
from .client_api import ClientApi
from .operations import Operations
from .options import StackOptions, foundation_model, is_inference_profile
from .web import WebChat

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

#: What a pipe needs to read a DynamoDB stream (EventBridge Pipes user guide, DynamoDB source).
STREAM_READ_ACTIONS = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
)

ALIAS_NAME = "live"

#: What cdk-nag says of a table without point-in-time recovery, and why that is right for it.
TABLE_ACKNOWLEDGEMENTS = {
    "chunks": compliance.CHUNKS_TABLE,
    "idempotency": compliance.IDEMPOTENCY_TABLE,
    "usage": compliance.USAGE_TABLE,
}

_ATTRIBUTE_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}


def _construct_id(agent: str) -> str:
    return "".join(part.capitalize() for part in agent.split("_"))


class BrainStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, options: StackOptions, **kwargs) -> None:
        super().__init__(
            scope,
            construct_id,
            description="Brain in Cup: a streamed multi-agent chat brain "
            "(DynamoDB -> EventBridge Pipe -> Step Functions -> Lambda + Bedrock)",
            **kwargs,
        )
        self.options = options
        settings = options.settings

        self.tables = self._tables()
        self.messages_table, self.chunks_table = self.tables["messages"], self.tables["chunks"]
        self.client_api = ClientApi(self, "ClientApi", settings=settings, options=options)
        self.functions: dict[str, lambda_.Function] = {}
        self.aliases: dict[str, lambda_.Alias] = {}
        self.invoke_arns: dict[str, str] = {}
        powertools = lambda_.LayerVersion.from_layer_version_arn(
            self, "PowertoolsLayer", options.powertools_layer_arn(self.region)
        )
        for agent in FUNCTIONS:
            self._function(agent, powertools)
        self.web = WebChat(
            self, "Web", connect_sources=self.client_api.browser_endpoints, log_retention=options.log_retention
        )
        web_origins = [self.web.origin, *([options.web_origin] if options.web_origin else [])]
        self.http_api = self.client_api.add_http_api(self.functions["api"], web_origins)
        self.web.deploy(
            {**self.client_api.amplify_config(), "web": web_page_settings(options.web_sign_in_flow, settings)}
        )
        for agent in PUBLISHERS:
            self.client_api.grant_publish(self.functions[agent])

        self.state_machine = self._state_machine()
        self.dead_letter_queue, self.pipe = self._pipe()

        self.operations = Operations(
            self,
            "Operations",
            settings=settings,
            functions=self.functions,
            state_machine=self.state_machine,
            dead_letter_queue=self.dead_letter_queue,
            alarm_topic_arn=options.alarm_topic_arn,
        )

        for spec in TABLES:
            CfnOutput(
                self,
                f"{spec.construct_id}TableName",
                value=self.tables[spec.key].table_name,
                description=spec.description,
            )
        CfnOutput(self, "StateMachineArn", value=self.state_machine.state_machine_arn)
        CfnOutput(self, "DeadLetterQueueUrl", value=self.dead_letter_queue.queue_url)
        CfnOutput(self, "DashboardName", value=self.operations.dashboard.dashboard_name)
        self._client_outputs()

    def _client_outputs(self) -> None:
        """Everything a web client needs, one by one and as one aws-amplify configuration."""
        api = self.client_api
        CfnOutput(
            self,
            "AmplifyConfig",
            value=self.to_json_string(api.amplify_config()),
            description="aws-amplify v6 configuration: Amplify.configure(JSON.parse(this))",
        )
        CfnOutput(self, "UserPoolId", value=api.user_pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=api.user_pool_client.user_pool_client_id)
        CfnOutput(self, "HttpApiUrl", value=self.http_api.api_endpoint, description="API.REST.brain.endpoint")
        CfnOutput(self, "EventsHttpEndpoint", value=api.events_http_endpoint, description="API.Events.endpoint")
        CfnOutput(self, "EventsRealtimeEndpoint", value=f"wss://{api.events.realtime_dns}/event/realtime")
        CfnOutput(self, "WebUrl", value=self.web.url, description="The web chat (CloudFront)")

    # -- data -------------------------------------------------------------------------------
    def _tables(self) -> dict[str, dynamodb.Table]:
        # CloudFormation names the tables (so a second stack can coexist); functions learn the
        # real names through their <KEY>_TABLE variables.
        tables = {spec.key: self._table(spec) for spec in TABLES}
        for key, acknowledged in TABLE_ACKNOWLEDGEMENTS.items():
            compliance.acknowledge(tables[key], acknowledged)
        return tables

    def _table(self, spec: TableSpec) -> dynamodb.Table:
        """One table of brain_core.tables.TABLES, as its spec says."""

        def attribute(key: KeyAttribute) -> dynamodb.Attribute:
            return dynamodb.Attribute(name=key.name, type=_ATTRIBUTE_TYPES[key.type])

        table = dynamodb.Table(
            self,
            spec.construct_id,
            partition_key=attribute(spec.partition_key),
            sort_key=attribute(spec.sort_key) if spec.sort_key else None,
            billing_mode=dynamodb.BillingMode(spec.billing_mode),
            encryption=dynamodb.TableEncryption.AWS_MANAGED if spec.encrypted else None,
            stream=dynamodb.StreamViewType(spec.stream_view) if spec.stream_view else None,
            time_to_live_attribute=spec.ttl_attribute,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            )
            if spec.point_in_time_recovery
            else None,
            removal_policy=RemovalPolicy.RETAIN if spec.retain_on_delete else RemovalPolicy.DESTROY,
        )
        for index in spec.local_indexes:
            table.add_local_secondary_index(index_name=index.name, sort_key=attribute(index.sort_key))
        return table

    # -- functions --------------------------------------------------------------------------
    def _function(self, agent: str, powertools: lambda_.ILayerVersion) -> None:
        options, settings = self.options, self.options.settings
        name = settings.function_name(agent)
        cid = _construct_id(agent)
        sizing = settings.functions[agent]

        log_group = logs.LogGroup(
            self,
            f"{cid}Logs",
            log_group_name=f"/aws/lambda/{name}",
            retention=options.log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        # One role per function, no managed policies: each gets only its own log group, X-Ray,
        # and the calls its code makes.
        role = iam.Role(
            self,
            f"{cid}Role",
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

        # function_environment() defines the keys; the stack fills in what only it knows.
        environment = function_environment(agent, settings)
        for spec in TABLES:
            environment[spec.environment_variable] = self.tables[spec.key].table_name
        environment["MODEL_ID"] = options.model_id
        environment["INSIGHT_MODEL_ID"] = options.insight_model_id
        if agent in PUBLISHERS:
            environment["EVENTS_HTTP_ENDPOINT"] = self.client_api.events_http_endpoint
        langchain = environment.get("MODEL_CLIENT") == "langchain"
        if agent in BEDROCK_AGENTS and langchain and not FUNCTION_PACKAGES.get(agent):
            # The opt-in client needs langchain-aws in the package; without it every run falls back.
            raise ValueError(
                f"MODEL_CLIENT=langchain but FUNCTION_PACKAGES[{agent!r}] bundles nothing: "
                "add langchain-aws there (and expect a package far above 1 MiB)"
            )
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
            layers=[powertools],
            environment=environment,
            role=role,
            log_group=log_group,
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if agent in options.snap_start else None,
        )
        compliance.acknowledge(role, compliance.FUNCTION_ROLE)
        compliance.acknowledge(function, compliance.FUNCTION)
        if agent in options.snap_start:
            compliance.acknowledge(function, compliance.SNAPSTART_FUNCTION)
        self.functions[agent] = function

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
        else:
            self.invoke_arns[agent] = function.function_arn

    def _bedrock_statement(
        self, role: iam.Role, model_id: str, actions: tuple[str, ...], sid: str
    ) -> iam.PolicyStatement:
        """``actions`` on the one model ``model_id`` names (a foundation model, or an inference
        profile and the model it routes to in any region)."""
        foundation = foundation_model(model_id)
        model_arn = self.format_arn(
            service="bedrock", account="", resource="foundation-model", resource_name=foundation
        )
        resources = [model_arn]
        if is_inference_profile(model_id):
            any_region_model = f"arn:{self.partition}:bedrock:*::foundation-model/{foundation}"
            resources = [
                self.format_arn(service="bedrock", resource="inference-profile", resource_name=model_id),
                any_region_model,
            ]
            compliance.acknowledge(role, [compliance.inference_profile_wildcard(self.resolve(any_region_model))])
        return iam.PolicyStatement(sid=sid, actions=list(actions), resources=resources)

    # -- workflow ---------------------------------------------------------------------------
    def _state_machine(self) -> sfn.StateMachine:
        options, settings = self.options, self.options.settings
        definition = workflow.asl_text()
        substitutions = {Settings.asl_substitution(agent): self.invoke_arns[agent] for agent in AGENTS}
        placeholders = workflow.placeholders(definition)
        if placeholders != set(substitutions):
            raise ValueError(
                f"{workflow.ASL_PATH.name} placeholders {sorted(placeholders)} do not match the "
                f"functions {sorted(substitutions)}"
            )

        express = options.workflow_type == "EXPRESS"
        # The type is immutable: a switch replaces the state machine, and a custom name can only be
        # replaced by a different one, hence the suffix for STANDARD.
        name = settings.state_machine_name if express else f"{settings.state_machine_name}-Standard"
        log_group = logs.LogGroup(
            self,
            "WorkflowLogs",
            # /aws/vendedlogs/ keeps the log-delivery resource policy small (Step Functions guide).
            log_group_name=f"/aws/vendedlogs/states/{name}",
            retention=options.log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        state_machine = sfn.StateMachine(
            self,
            "Workflow",
            state_machine_name=name,
            state_machine_type=sfn.StateMachineType.EXPRESS if express else sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_string(definition),
            definition_substitutions=substitutions,
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=log_group,
                level=sfn.LogLevel.ALL,
                # Inputs and outputs carry the users' messages: off unless asked for.
                include_execution_data=options.include_execution_data,
            ),
        )
        state_machine.add_to_role_policy(
            iam.PolicyStatement(
                sid="InvokeAgents",
                actions=["lambda:InvokeFunction"],
                resources=[self.invoke_arns[agent] for agent in AGENTS],
            )
        )
        compliance.acknowledge(state_machine, compliance.STATE_MACHINE)
        return state_machine

    # -- the pipe ---------------------------------------------------------------------------
    def _pipe(self) -> tuple[sqs.Queue, pipes.CfnPipe]:
        pipe_settings = self.options.settings.pipe
        dead_letters = sqs.Queue(
            self,
            "PipeDeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        compliance.acknowledge(dead_letters, compliance.DEAD_LETTER_QUEUE)
        log_group = logs.LogGroup(
            self,
            "PipeLogs",
            log_group_name=f"/aws/vendedlogs/pipes/{self.stack_name}-messages",
            retention=self.options.log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )

        role = iam.Role(
            self,
            "PipeRole",
            assumed_by=iam.ServicePrincipal(
                "pipes.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": self.account}}
            ),
            description="Brain in Cup pipe: Messages stream -> workflow",
        )
        stream_arn = self.messages_table.table_stream_arn
        if stream_arn is None:
            raise ValueError("the Messages table has no stream for the pipe to read (brain_core/tables.py)")
        role.add_to_policy(
            iam.PolicyStatement(sid="ReadMessagesStream", actions=list(STREAM_READ_ACTIONS), resources=[stream_arn])
        )
        role.add_to_policy(
            iam.PolicyStatement(sid="DeadLetters", actions=["sqs:SendMessage"], resources=[dead_letters.queue_arn])
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="StartWorkflow", actions=["states:StartExecution"], resources=[self.state_machine.state_machine_arn]
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="PipeLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group.log_group_arn],
            )
        )

        pipe = pipes.CfnPipe(
            self,
            "MessagesPipe",
            description="New user messages (INSERT, role=user) start one workflow run each",
            role_arn=role.role_arn,
            source=stream_arn,
            source_parameters=pipes.CfnPipe.PipeSourceParametersProperty(
                dynamo_db_stream_parameters=pipes.CfnPipe.PipeSourceDynamoDBStreamParametersProperty(
                    starting_position=pipe_settings.starting_position,
                    batch_size=pipe_settings.batch_size,
                    maximum_batching_window_in_seconds=pipe_settings.maximum_batching_window_seconds,
                    maximum_retry_attempts=pipe_settings.maximum_retry_attempts,
                    on_partial_batch_item_failure=pipe_settings.on_partial_batch_item_failure,
                    dead_letter_config=pipes.CfnPipe.DeadLetterConfigProperty(arn=dead_letters.queue_arn),
                ),
                filter_criteria=pipes.CfnPipe.FilterCriteriaProperty(
                    filters=[
                        pipes.CfnPipe.FilterProperty(pattern=json.dumps(pipe_settings.filter_pattern)),
                    ]
                ),
            ),
            target=self.state_machine.state_machine_arn,
            target_parameters=pipes.CfnPipe.PipeTargetParametersProperty(
                input_template=pipe_settings.input_template,
                step_function_state_machine_parameters=pipes.CfnPipe.PipeTargetStateMachineParametersProperty(
                    invocation_type=pipe_settings.invocation_type,
                ),
            ),
            log_configuration=pipes.CfnPipe.PipeLogConfigurationProperty(
                level="ERROR",  # why a record did not start a run; no message content
                cloudwatch_logs_log_destination=pipes.CfnPipe.CloudwatchLogsLogDestinationProperty(
                    log_group_arn=log_group.log_group_arn
                ),
            ),
        )
        # The pipe checks its role's permissions when it is created: the policy must exist first
        # (the role itself is already a dependency through role_arn).
        pipe.node.add_dependency(role.node.find_child("DefaultPolicy"))
        return dead_letters, pipe
