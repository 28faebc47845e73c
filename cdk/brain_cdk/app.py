"""Build the CDK app: one stack, cdk-nag's AwsSolutions checks, context → DeployOptions."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, Tags, Validations
from cdk_nag import AwsSolutionsChecks

from brain_core.config import SETTINGS

from .options import DeployOptions
from .stack import BrainStack

CDK_JSON = Path(__file__).resolve().parents[1] / "cdk.json"


def cdk_json_context() -> dict[str, Any]:
    """cdk.json's context (the feature flags): the CLI passes it too, tests and the direct run
    of app.py get it here, so every synth sees the same flags."""
    return dict(json.loads(CDK_JSON.read_text()).get("context", {}))


def build_app(
    context: Mapping[str, Any] | None = None, outdir: str | None = None, nag: bool = True
) -> tuple[App, BrainStack]:
    """The app and its stack. ``context`` adds to cdk.json's; the CLI's ``-c`` wins over both."""
    app = App(context={**cdk_json_context(), **dict(context or {})}, outdir=outdir)
    if nag:
        # cdk-nag 3.x is a policy-validation plugin: findings fail the synth unless acknowledged
        # (brain_cdk/compliance.py lists every exception and why).
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    options = DeployOptions.from_context(app.node.try_get_context)
    region = (
        app.node.try_get_context("region")
        or os.environ.get("CDK_DEPLOY_REGION")
        or os.environ.get("CDK_DEFAULT_REGION")
        or SETTINGS.region
    )
    account = os.environ.get("CDK_DEPLOY_ACCOUNT") or os.environ.get("CDK_DEFAULT_ACCOUNT")
    stack = BrainStack(app, SETTINGS.app_name, options=options, env=Environment(account=account, region=region))
    Tags.of(app).add("project", "brain-in-cup")
    return app, stack
