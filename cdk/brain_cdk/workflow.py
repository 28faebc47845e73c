"""The workflow (statemachine/brain.asl.json, its functions substituted) and the EventBridge Pipe
that starts it: the Messages table's stream, filtered to new user messages, a dead-letter queue
for records that keep failing (docs/design.md §2)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_pipes as pipes
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from brain_core import workflow
from brain_core.config import AGENTS, PipeSettings, Settings

from . import compliance
from .options import DeployOptions

#: What a pipe needs to read a DynamoDB stream (EventBridge Pipes user guide, DynamoDB source).
STREAM_READ_ACTIONS = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
)


class Workflow(Construct):
    """The state machine (``state_machine``), invoking each agent through ``invoke_arns``."""

    def __init__(
        self, scope: Construct, construct_id: str, *, options: DeployOptions, invoke_arns: Mapping[str, str]
    ) -> None:
        super().__init__(scope, construct_id)
        settings = options.settings
        definition = workflow.asl_text()
        substitutions = {Settings.asl_substitution(agent): invoke_arns[agent] for agent in AGENTS}
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
        self.state_machine = sfn.StateMachine(
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
        self.state_machine.add_to_role_policy(
            iam.PolicyStatement(
                sid="InvokeAgents",
                actions=["lambda:InvokeFunction"],
                resources=[invoke_arns[agent] for agent in AGENTS],
            )
        )
        compliance.acknowledge(self.state_machine, compliance.STATE_MACHINE)


class MessagesPipe(Construct):
    """The pipe (``pipe``) from ``messages``' stream to ``state_machine``, its role (``role``)
    and its dead-letter queue (``dead_letter_queue``)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        options: DeployOptions,
        messages: dynamodb.ITable,
        state_machine: sfn.IStateMachine,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.dead_letter_queue = sqs.Queue(
            self,
            "PipeDeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        compliance.acknowledge(self.dead_letter_queue, compliance.DEAD_LETTER_QUEUE)
        log_group = logs.LogGroup(
            self,
            "PipeLogs",
            log_group_name=f"/aws/vendedlogs/pipes/{stack.stack_name}-messages",
            retention=options.log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        stream_arn = messages.table_stream_arn
        if stream_arn is None:
            raise ValueError("the Messages table has no stream for the pipe to read (brain_core/tables.py)")
        self.role = role = self._role(stream_arn, state_machine, log_group)
        self.pipe = pipes.CfnPipe(
            self,
            "MessagesPipe",
            description="New user messages (INSERT, role=user) start one workflow run each",
            role_arn=role.role_arn,
            source=stream_arn,
            source_parameters=self._source(options.settings.pipe),
            target=state_machine.state_machine_arn,
            target_parameters=pipes.CfnPipe.PipeTargetParametersProperty(
                input_template=options.settings.pipe.input_template,
                step_function_state_machine_parameters=pipes.CfnPipe.PipeTargetStateMachineParametersProperty(
                    invocation_type=options.settings.pipe.invocation_type,
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
        self.pipe.node.add_dependency(role.node.find_child("DefaultPolicy"))

    def _role(self, stream_arn: str, state_machine: sfn.IStateMachine, log_group: logs.LogGroup) -> iam.Role:
        role = iam.Role(
            self,
            "PipeRole",
            assumed_by=iam.ServicePrincipal(
                "pipes.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}}
            ),
            description="Brain in Cup pipe: Messages stream -> workflow",
        )
        for sid, actions, resource in (
            ("ReadMessagesStream", STREAM_READ_ACTIONS, stream_arn),
            ("DeadLetters", ("sqs:SendMessage",), self.dead_letter_queue.queue_arn),
            ("StartWorkflow", ("states:StartExecution",), state_machine.state_machine_arn),
            ("PipeLogs", ("logs:CreateLogStream", "logs:PutLogEvents"), log_group.log_group_arn),
        ):
            role.add_to_policy(iam.PolicyStatement(sid=sid, actions=list(actions), resources=[resource]))
        return role

    def _source(self, settings: PipeSettings) -> pipes.CfnPipe.PipeSourceParametersProperty:
        return pipes.CfnPipe.PipeSourceParametersProperty(
            dynamo_db_stream_parameters=pipes.CfnPipe.PipeSourceDynamoDBStreamParametersProperty(
                starting_position=settings.starting_position,
                batch_size=settings.batch_size,
                maximum_batching_window_in_seconds=settings.maximum_batching_window_seconds,
                maximum_retry_attempts=settings.maximum_retry_attempts,
                on_partial_batch_item_failure=settings.on_partial_batch_item_failure,
                dead_letter_config=pipes.CfnPipe.DeadLetterConfigProperty(arn=self.dead_letter_queue.queue_arn),
            ),
            filter_criteria=pipes.CfnPipe.FilterCriteriaProperty(
                filters=[pipes.CfnPipe.FilterProperty(pattern=json.dumps(settings.filter_pattern))]
            ),
        )
