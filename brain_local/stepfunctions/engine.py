"""Step Functions offline: moto's engine *executes* the real ASL (:mod:`brain_core.workflow`) in
the stack's own process.

Under ``mock_aws`` rather than in moto's server mode: there the engine would call moto's own
Docker-based Lambda, here its ``lambda.invoke`` goes to the stack's endpoint through
``AWS_ENDPOINT_URL_LAMBDA``, like any boto3 client. The same ``mock_aws`` serves the stack's other
in-process moto services (SQS, Cognito). Where the engine departs from AWS,
:func:`brain_local.moto_departures.apply_to_step_functions` says how and why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from brain_core import workflow
from brain_core.config import AGENTS, Settings
from brain_local import moto_departures

if TYPE_CHECKING:
    from moto.core.models import MockAWS


def start_engine(credentials: dict[str, str | None] | None = None) -> MockAWS:
    """moto in this process, with the state machines executed; its Lambda calls signed with
    ``credentials`` (the state machine's role: ``aws_access_key_id``, …)."""
    from moto import mock_aws

    mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
    mock.start()
    moto_departures.apply_to_step_functions(credentials)
    return mock


def arn_substitutions(settings: Settings, region: str, account: str) -> dict[str, str]:
    """``${...}`` names in the ASL and the function ARNs they stand for."""
    return {
        settings.asl_substitution(a): f"arn:aws:lambda:{region}:{account}:function:{settings.function_name(a)}"
        for a in AGENTS
    }


def create_state_machine(sfn, settings: Settings, account: str) -> str:
    """The deployment's EXPRESS state machine from the ASL; returns its ARN."""
    definition = workflow.render(workflow.asl_text(), arn_substitutions(settings, settings.region, account))
    return sfn.create_state_machine(
        name=settings.state_machine_name,
        definition=definition,
        roleArn=f"arn:aws:iam::{account}:role/{settings.app_name}-workflow",
        type="EXPRESS",
    )["stateMachineArn"]
