"""Synthesize the CDK app in-process, once per configuration, and share the result.

The default configuration is synthesized once per session with cdk-nag's AwsSolutions checks
on (a finding fails the synth); other configurations once per module that needs them.
CDK_VALIDATION=false skips only CDK's built-in CloudFormation validator (several seconds;
`make synth` still runs it): cdk-nag, a plugin we add ourselves, still runs.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("CDK_VALIDATION", "false")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
# A developer's shell may point the CLI elsewhere; the tests pin the target.
for _key in (
    "CDK_DEFAULT_REGION",
    "CDK_DEPLOY_REGION",
    "CDK_DEFAULT_ACCOUNT",
    "CDK_DEPLOY_ACCOUNT",
    "CDK_CONTEXT_JSON",
):
    os.environ.pop(_key, None)

REPO_ROOT = Path(__file__).resolve().parents[2]
CDK_DIR = REPO_ROOT / "cdk"
if str(CDK_DIR) not in sys.path:
    sys.path.insert(0, str(CDK_DIR))


@dataclass
class Synth:
    """One synthesized configuration: the stack, its template, and the cloud assembly on disk."""

    stack: Any
    template: Any  # aws_cdk.assertions.Template
    outdir: Path

    @property
    def data(self) -> dict:
        return self.template.to_json()

    @property
    def resources(self) -> dict[str, dict]:
        return self.data["Resources"]

    def of_type(self, kind: str) -> dict[str, dict]:
        return {k: r for k, r in self.resources.items() if r["Type"] == kind}

    def logical_id(self, construct) -> str:
        return self.stack.resolve(construct.node.default_child.logical_id)

    def function_ids(self) -> dict[str, str]:
        """agent → logical id of its AWS::Lambda::Function."""
        return {agent: self.logical_id(fn) for agent, fn in self.stack.functions.items()}

    def policy_statements(self, role) -> list[dict]:
        """Every statement in the policies attached to ``role`` (a construct)."""
        role_id = self.logical_id(role)
        statements = []
        for policy in self.of_type("AWS::IAM::Policy").values():
            if {"Ref": role_id} in policy["Properties"]["Roles"]:
                statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
        return statements


def synthesize(outdir: Path, context: Mapping[str, Any] | None = None, nag: bool = True) -> Synth:
    from aws_cdk.assertions import Template

    from brain_cdk.app import build_app

    app, stack = build_app(context=context, outdir=str(outdir), nag=nag)
    app.synth()
    template = Template.from_json(json.loads((outdir / f"{stack.stack_name}.template.json").read_text()))
    return Synth(stack=stack, template=template, outdir=outdir)


@pytest.fixture(scope="session")
def default(tmp_path_factory) -> Synth:
    """The stack as `make synth` builds it, with no context: cdk-nag passed if this returns."""
    return synthesize(tmp_path_factory.mktemp("cdk-default"))


#: Every context knob at a non-default value, in one synth.
VARIANT_CONTEXT = {
    "workflowType": "STANDARD",
    "modelId": "us.amazon.nova-lite-v1:0",
    "insightModelId": "none",
    "provisionedConcurrency": "language:2,perception:1",
    "snapStart": "self_review",
    "powertoolsLayerVersion": "31",
    "includeExecutionData": "true",
    "logRetentionDays": "7",
    "alarmTopicArn": "arn:aws:sns:us-east-1:123456789012:brain-alarms",
}


@pytest.fixture(scope="session")
def variant(tmp_path_factory) -> Synth:
    return synthesize(tmp_path_factory.mktemp("cdk-variant"), VARIANT_CONTEXT)
