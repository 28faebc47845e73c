"""Each function as the offline Lambda service runs it (:class:`FunctionSpec`): the environment
CDK gives it (:func:`brain_core.config.function_environment`), and what Lambda itself sets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from brain_core.config import FUNCTIONS, function_environment
from brain_local.stack.options import ACCOUNT, REPO_ROOT, OfflineStackOptions

if TYPE_CHECKING:
    from brain_local.awslambda.environments import FunctionSpec
    from brain_local.bedrock.service import ModelBackend

#: What a real small model on two shared cores needs for three insight calls at once
#: (scripts/insight_concurrency.py: 3.2 s quiet, up to ~8 s loaded, against 2.5 s on Bedrock).
LOCAL_MODEL_INSIGHT_DEADLINE_SECONDS = 6.0


def function_specs(
    options: OfflineStackOptions,
    model: ModelBackend,
    dynamodb_endpoint: str,
    client_api_env: Callable[[str], dict[str, str]] | None = None,
    credentials: Callable[[str], dict[str, str]] | None = None,
) -> dict[str, FunctionSpec]:
    """Each function's FunctionSpec: the environment CDK gives it, configured for the model
    behind the local Bedrock endpoint (its id, the persona length it can follow and, for a real
    local model, an insight deadline it can meet), plus what Lambda itself sets (and what reaching
    the client API's front door takes: ``client_api_env``), and its execution role's credentials
    (``credentials``; the administrator's without)."""
    from brain_local.awslambda.environments import FunctionSpec, worker_environment

    s = replace(
        options.settings,
        model_id=model.model_id,
        model_client=options.model_client,
        persona_length=model.persona_length,
    )
    if options.model == "smollm2":
        s = replace(s, insight_deadline_seconds=LOCAL_MODEL_INSIGHT_DEADLINE_SECONDS)
    specs = {}
    for agent in FUNCTIONS:
        name = s.function_name(agent)
        env = function_environment(agent, s)
        extra = {
            "AWS_REGION": s.region,
            "AWS_DEFAULT_REGION": s.region,
            **(
                credentials(agent)
                if credentials
                else {"AWS_ACCESS_KEY_ID": "offline", "AWS_SECRET_ACCESS_KEY": "offline"}
            ),
            "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_endpoint,
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": options.endpoint,
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(s.functions[agent].memory_mb),
            "BRAIN_FUNCTION_ARN": f"arn:aws:lambda:{s.region}:{ACCOUNT}:function:{name}",
            # As Lambda sets them: the task root (Powertools' "am I in Lambda" test) and the
            # X-Ray daemon's address. Each invoke carries an unsampled trace header.
            "LAMBDA_TASK_ROOT": str(REPO_ROOT),
            "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
            "PYTHONUNBUFFERED": "1",
            # The function's code root, as Lambda's task root: the repo's agents/ and brain_core/.
            "PYTHONPATH": str(REPO_ROOT),
            **(client_api_env(agent) if client_api_env else {}),
        }
        specs[name] = FunctionSpec(
            name=name,
            handler=s.handler(agent),
            environment=worker_environment(env, extra),
            timeout_seconds=s.functions[agent].timeout_seconds,
            memory_mb=s.functions[agent].memory_mb,
            arn=extra["BRAIN_FUNCTION_ARN"],
        )
    return specs
