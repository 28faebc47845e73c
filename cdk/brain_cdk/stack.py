"""The Brain in Cup stack (docs/design.md §2, §3, §8), read as the list of what is deployed: the tables,
the functions (six agents and the client API's), the client API (Cognito, the HTTP API, AppSync
Events), the web chat (S3 behind CloudFront), the workflow and the pipe that starts it, and
operations (alarms, the dashboard). Each is one construct, in its own module.

Everything that both this stack and the offline stack need (names, the model, the pipe's
parameters, each function's environment) comes from ``brain_core.config``; only deployment
choices come from CDK context (:mod:`brain_cdk.options`). The constructs were introduced after the
first deployments: their ids are left out of their resources' logical ids
(:mod:`brain_cdk.logical_ids`), so no table or function is replaced by the move.
"""

from __future__ import annotations

from aws_cdk import CfnOutput
from constructs import Construct

from brain_core.config import PUBLISHERS, web_page_settings
from brain_core.tables import TABLES

from .client_api import ClientApi
from .functions import Functions
from .logical_ids import TransparentIds
from .operations import Operations
from .options import DeployOptions
from .tables import Tables
from .web import WebChat
from .workflow import MessagesPipe, Workflow


class BrainStack(TransparentIds):
    #: The constructs whose resources keep the logical ids they had directly under the stack.
    transparent = frozenset({"Tables", "Functions", "Workflow", "Pipe"})

    def __init__(self, scope: Construct, construct_id: str, *, options: DeployOptions, **kwargs) -> None:
        super().__init__(
            scope,
            construct_id,
            description="Brain in Cup: a streamed multi-agent chat brain "
            "(DynamoDB -> EventBridge Pipe -> Step Functions -> Lambda + Bedrock)",
            **kwargs,
        )
        self.options = options
        settings = options.settings

        self.tables = Tables(self, "Tables").by_key
        self.messages_table, self.chunks_table = self.tables["messages"], self.tables["chunks"]
        self.client_api = ClientApi(self, "ClientApi", settings=settings, options=options)
        functions = Functions(
            self,
            "Functions",
            options=options,
            tables=self.tables,
            events_http_endpoint=self.client_api.events_http_endpoint,
        )
        self.functions, self.aliases = functions.functions, functions.aliases
        for agent in PUBLISHERS:
            self.client_api.grant_publish(self.functions[agent])

        self.web = WebChat(
            self, "Web", connect_sources=self.client_api.browser_endpoints, log_retention=options.log_retention
        )
        web_origins = [self.web.origin, *([options.web_origin] if options.web_origin else [])]
        self.http_api = self.client_api.add_http_api(self.functions["api"], web_origins)
        self.web.deploy(
            {**self.client_api.amplify_config(), "web": web_page_settings(options.web_sign_in_flow, settings)}
        )

        self.state_machine = Workflow(
            self, "Workflow", options=options, invoke_arns=functions.invoke_arns
        ).state_machine
        self.messages_pipe = MessagesPipe(
            self, "Pipe", options=options, messages=self.messages_table, state_machine=self.state_machine
        )
        self.dead_letter_queue, self.pipe = self.messages_pipe.dead_letter_queue, self.messages_pipe.pipe

        self.operations = Operations(
            self,
            "Operations",
            settings=settings,
            functions=self.functions,
            state_machine=self.state_machine,
            dead_letter_queue=self.dead_letter_queue,
            alarm_topic_arn=options.alarm_topic_arn,
        )
        self._outputs()

    def _outputs(self) -> None:
        """The tables' names, the workflow, and everything a web client needs, one by one and as
        one aws-amplify configuration."""
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
