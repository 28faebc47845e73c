"""The dashboard and the alarms (docs/design.md §6 budgets, seen from production).

The agents publish Powertools metrics (EMF) in ``SETTINGS.metrics_namespace`` with the dimension
``service`` = the agent's name; ``ColdStart`` also carries ``function_name``. self_review emits
the user-facing numbers (TotalLatency, TimeToFirstToken, MessageProcessed, FallbackReplies,
DegradedReplies), language the model's (BedrockLatency, ModelTimeToFirstToken), api the client API's
(MessageAccepted, MessageRateLimited: refused by the per-user limit).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from brain_core.config import AGENTS, Settings

PERIOD = Duration.minutes(5)
#: docs/design.md §2: a reply should be complete within seconds; p95 above this pages someone.
TOTAL_LATENCY_P95_THRESHOLD_MS = 10_000
PERCENTILES = ("p50", "p95", "p99")
#: Refusals by the per-user message limit (MessageRateLimited, from the api function) in 5 minutes
#: above which someone is told: one flooding client reaches it in well under a minute.
RATE_LIMITED_THRESHOLD = 50


class Operations(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        functions: Mapping[str, lambda_.IFunction],
        state_machine: sfn.StateMachine,
        dead_letter_queue: sqs.IQueue,
        alarm_topic_arn: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.namespace = settings.metrics_namespace
        self.functions = functions

        self.alarms: dict[str, cw.Alarm] = {}
        self._alarm(
            "TotalLatencyP95",
            self.brain_metric("TotalLatency", "self_review", "p95"),
            threshold=TOTAL_LATENCY_P95_THRESHOLD_MS,
            evaluation_periods=3,
            datapoints_to_alarm=2,
            description=f"p95 time from the user's message to the written reply is above "
            f"{TOTAL_LATENCY_P95_THRESHOLD_MS / 1000:g} s (2 of the last 3 5-minute periods).",
        )
        self._alarm(
            "FailedWorkflowRuns",
            cw.MathExpression(
                expression="failed + timedOut",
                using_metrics={
                    "failed": state_machine.metric_failed(statistic="Sum", period=PERIOD),
                    "timedOut": state_machine.metric_timed_out(statistic="Sum", period=PERIOD),
                },
                label="Failed or timed-out runs",
                period=PERIOD,
            ),
            threshold=0,
            description="A workflow run failed or timed out: even the fallback reply was not written "
            "(ExecutionsFailed + ExecutionsTimedOut > 0). Check the Step Functions console.",
        )
        self._alarm(
            "DeadLetterQueueNotEmpty",
            dead_letter_queue.metric_approximate_number_of_messages_visible(statistic="Maximum", period=PERIOD),
            threshold=0,
            description="The pipe gave up on stream records (they are in the dead-letter queue): some "
            "messages did not start a workflow run.",
        )
        self._alarm(
            "MessagesRateLimited",
            self.brain_metric("MessageRateLimited", "api", "Sum"),
            threshold=RATE_LIMITED_THRESHOLD,
            description=f"More than {RATE_LIMITED_THRESHOLD} messages in 5 minutes were refused (429) by the "
            f"per-user limit ({settings.messages_per_minute} a minute, "
            f"{settings.messages_per_day} a day): someone is flooding the brain, or the limit is "
            "too low for real use (CDK context messagesPerMinute / messagesPerDay).",
        )
        for agent, function in functions.items():
            self._alarm(
                f"{_pascal(agent)}Throttles",
                function.metric_throttles(statistic="Sum", period=PERIOD),
                threshold=0,
                description=f"Lambda throttled the {agent} function (account or reserved concurrency "
                f"exhausted): replies slow down or fall back.",
            )
        if alarm_topic_arn:
            topic = sns.Topic.from_topic_arn(self, "AlarmTopic", alarm_topic_arn)
            for alarm in self.alarms.values():
                alarm.add_alarm_action(cw_actions.SnsAction(topic))
                alarm.add_ok_action(cw_actions.SnsAction(topic))

        self.dashboard = self._dashboard(settings, state_machine, dead_letter_queue)

    # -- metrics ----------------------------------------------------------------------------
    def brain_metric(self, name: str, agent: str, statistic: str, label: str | None = None) -> cw.Metric:
        return cw.Metric(
            namespace=self.namespace,
            metric_name=name,
            dimensions_map={"service": agent},
            statistic=statistic,
            period=PERIOD,
            label=label or f"{name} {statistic}",
        )

    def cold_starts(self, agent: str) -> cw.Metric:
        return cw.Metric(
            namespace=self.namespace,
            metric_name="ColdStart",
            dimensions_map={"function_name": self.functions[agent].function_name, "service": agent},
            statistic="Sum",
            period=PERIOD,
            label=agent,
        )

    def _alarm(
        self,
        construct_id: str,
        metric: cw.IMetric,
        *,
        threshold: float,
        description: str,
        evaluation_periods: int = 1,
        datapoints_to_alarm: int | None = None,
    ) -> cw.Alarm:
        alarm = cw.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=threshold,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=datapoints_to_alarm,
            # No traffic is not an incident.
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        self.alarms[construct_id] = alarm
        return alarm

    # -- dashboard --------------------------------------------------------------------------
    def _dashboard(
        self, settings: Settings, state_machine: sfn.StateMachine, dead_letter_queue: sqs.IQueue
    ) -> cw.Dashboard:
        def percentiles(name: str, agent: str) -> list[cw.IMetric]:
            return [self.brain_metric(name, agent, p) for p in PERCENTILES]

        ordered = [a for a in AGENTS if a in self.functions]
        stack = Stack.of(self)
        dashboard = cw.Dashboard(
            self,
            "Dashboard",  # Dashboard names are account-wide (not regional).
            dashboard_name=f"{stack.stack_name}-{stack.region}",
            default_interval=Duration.hours(3),
        )
        dashboard.add_widgets(
            cw.TextWidget(
                markdown=(
                    f"# {settings.app_name}\nUser message → Pipe → **{state_machine.state_machine_name}** "
                    "(Perception → Language → [Reasoning | Emotional | Depth] → SelfReview). "
                    "Latencies in milliseconds; time to first token is message written → first chunk."
                ),
                width=24,
                height=2,
            )
        )
        dashboard.add_widgets(
            cw.GraphWidget(
                title="Time to first token (user-visible, ms)",
                width=8,
                left=percentiles("TimeToFirstToken", "self_review")
                + [self.brain_metric("ModelTimeToFirstToken", "language", "p50", "model's own TTFT p50")],
            ),
            cw.GraphWidget(
                title="Total latency: message → reply written (ms)",
                width=8,
                left=percentiles("TotalLatency", "self_review"),
                left_annotations=[cw.HorizontalAnnotation(value=TOTAL_LATENCY_P95_THRESHOLD_MS, label="p95 alarm")],
            ),
            cw.GraphWidget(title="Bedrock latency (ms)", width=8, left=percentiles("BedrockLatency", "language")),
        )
        dashboard.add_widgets(
            cw.GraphWidget(
                title="Replies",
                width=8,
                left=[
                    self.brain_metric("MessageProcessed", "self_review", "Sum", "replies written"),
                    self.brain_metric("FallbackReplies", "self_review", "Sum", "fallback replies"),
                    self.brain_metric("DegradedReplies", "self_review", "Sum", "degraded replies"),
                ],
            ),
            cw.GraphWidget(
                title="Workflow runs",
                width=8,
                left=[
                    state_machine.metric_started(statistic="Sum", period=PERIOD, label="started"),
                    state_machine.metric_succeeded(statistic="Sum", period=PERIOD, label="succeeded"),
                    state_machine.metric_failed(statistic="Sum", period=PERIOD, label="failed"),
                    state_machine.metric_timed_out(statistic="Sum", period=PERIOD, label="timed out"),
                ],
            ),
            cw.GraphWidget(
                title="Errors and throttles by function",
                width=8,
                left=[
                    self.functions[a].metric_errors(statistic="Sum", period=PERIOD, label=f"{a} errors")
                    for a in ordered
                ],
                right=[
                    self.functions[a].metric_throttles(statistic="Sum", period=PERIOD, label=f"{a} throttles")
                    for a in ordered
                ],
            ),
        )
        dashboard.add_widgets(
            cw.GraphWidget(
                title="Duration p95 by function (ms)",
                width=8,
                left=[self.functions[a].metric_duration(statistic="p95", period=PERIOD, label=a) for a in ordered],
            ),
            cw.GraphWidget(title="Cold starts by function", width=8, left=[self.cold_starts(a) for a in ordered]),
            cw.GraphWidget(
                title="Pipe dead-letter queue depth",
                width=8,
                left=[
                    dead_letter_queue.metric_approximate_number_of_messages_visible(
                        statistic="Maximum", period=PERIOD, label="messages in the DLQ"
                    )
                ],
            ),
        )
        dashboard.add_widgets(cw.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms.values()), width=24))
        return dashboard


def _pascal(agent: str) -> str:
    return "".join(part.capitalize() for part in agent.split("_"))
