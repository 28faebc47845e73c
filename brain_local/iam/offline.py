"""The offline stack's IAM: one registry of credentials, the CDK policies, the checks, the log.

:class:`OfflineIam` is what :class:`brain_local.stack.lifecycle.OfflineStack` holds (``stack.iam``):

- ``registry``: the administrator and every role's temporary credentials;
- :meth:`load_policies` (the CDK synthesis or its cache, :mod:`brain_local.iam.template`) and
  :meth:`resolve`, once the stack's resources exist (the stream's ARN is known only then);
- ``enforcer``: the checks of the stack's own endpoint and of Events publish; the DynamoDB
  process runs its own, configured by :meth:`dynamodb_config` (a line on its stdin);
- :meth:`environment` (a function's credentials, as Lambda passes them) and :meth:`client` (a
  boto3 client signing as a role: the pipe's);
- denials, logged at WARNING by ``brain.iam`` to ``<log dir>/iam.log`` (by both processes) and
  to the stack's own log.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from brain_core.config import Settings
from brain_local.iam.actions import Call
from brain_local.iam.credentials import CredentialsRegistry, Principal
from brain_local.iam.enforcer import Enforcer
from brain_local.iam.template import OfflineResources, load_policies, resolve

log = logging.getLogger("brain.iam")

#: The offline Events API's id (CloudFormation would make one up): in the namespace's ARN.
EVENTS_API_ID = "brainofflineevents"
LOG_FILE = "iam.log"


class OfflineIam:
    def __init__(self, settings: Settings, account: str, enforce: bool = True):
        self.settings, self.account, self.enforce = settings, account, enforce
        self.registry = CredentialsRegistry.issue(settings, account)
        self.enforcer = Enforcer(self.registry, settings.region, account, enforce=enforce)
        self.extracted: dict[str, Any] | None = None
        self.policies: dict[str, list] | None = None
        self._handler: logging.Handler | None = None
        self.log_path: Path | None = None
        self._process: Any = None
        self._dynamodb_endpoint: str | None = None
        #: How many configurations the DynamoDB process was sent (it reports the last it applied).
        self.revision = 0

    @classmethod
    def for_stack(cls, options, model_id: str, account: str) -> OfflineIam:
        """For a stack's options (``OfflineStackOptions``) and the model id its functions call: the
        policies loaded (or synthesized), denials logged to ``<log dir>/iam.log``."""
        from dataclasses import replace

        iam = cls(options.settings, account, enforce=options.iam)
        iam.load_policies(replace(options.settings, model_id=model_id), options.state_dir)
        iam.log_path = iam.start_logging(options.log_dir)
        return iam

    def configure(self, stack, events_api_id: str, dynamodb_process) -> None:
        """Once ``stack``'s resources exist: the statements resolved to them, here and in the
        DynamoDB process (``dynamodb_process.send(line)``: a line on its stdin)."""
        self.resolve(
            OfflineResources(
                settings=self.settings,
                account=self.account,
                stream_arn=stack.stream_arn,
                queue_url=stack.dlq_url,
                state_machine_arn=stack.state_machine_arn,
                events_api_id=events_api_id,
            )
        )
        self._process, self._dynamodb_endpoint = dynamodb_process, stack.dynamodb_endpoint
        self._send_to_process()

    def replace_policies(self, policies: dict[str, list]) -> None:
        """Evaluate these resolved statements from now on, here and in the DynamoDB process (what
        deploying a changed policy does: a test removes one permission and sees what AWS does)."""
        self.policies = policies
        self.enforcer.configure(self.registry, policies, self.enforce)
        self._send_to_process()

    def _send_to_process(self, wait_seconds: float = 10.0) -> None:
        """The configuration to the DynamoDB process, and wait until it applies it."""
        import time

        process = self._process
        if process is None:
            return
        self.revision += 1
        process.send(self.dynamodb_config())
        deadline = time.monotonic() + wait_seconds
        while self._dynamodb_endpoint and time.monotonic() < deadline:
            health = self._process_health()
            if health is not None and health.get("revision") == self.revision:
                return
            time.sleep(0.01)
        if self._dynamodb_endpoint:
            raise RuntimeError("the DynamoDB process did not apply the IAM configuration")

    def _process_health(self) -> dict | None:
        import urllib.request

        try:
            with urllib.request.urlopen(f"{self._dynamodb_endpoint}/brain/iam", timeout=0.5) as response:
                return json.load(response)
        except (OSError, ValueError):
            return None  # paused or stopped: the stack's health says so elsewhere

    def dynamodb_arguments(self, log_dir: Path) -> list[str]:
        """The DynamoDB process's command-line arguments for its checks (no secret among them)."""
        return ["--region", self.settings.region, "--account", self.account, "--iam-log", str(log_dir / LOG_FILE)]

    def health(self) -> dict:
        """The checks' counts here and, if reachable, in the DynamoDB process."""
        here = self.enforcer.health()
        dynamodb = self._process_health() if self._dynamodb_endpoint else None
        denied = here["denied"] + (dynamodb["denied"] if dynamodb else 0)
        return {
            "enforced": self.enforce,
            "denied": denied,
            "endpoint": here,
            "dynamodb": dynamodb,
            "log": str(self.log_path) if self.log_path else None,
        }

    def load_policies(self, settings: Settings, state_dir: Path | None) -> None:
        """The CDK policies for ``settings`` (the offline configuration: its model ids)."""
        if self.enforce:
            self.extracted = load_policies(settings, state_dir)

    def resolve(self, resources: OfflineResources) -> None:
        """Every role's statements with the offline ARNs in place, into the checks."""
        if self.extracted is not None:
            references = self.extracted["references"]
            self.policies = {key: resolve(s, references, resources) for key, s in self.extracted["roles"].items()}
        self.enforcer.configure(self.registry, self.policies, self.enforce)

    @property
    def namespace_arn(self) -> str:
        s = self.settings
        ns = s.events_namespace
        return f"arn:aws:appsync:{s.region}:{self.account}:apis/{EVENTS_API_ID}/channelNamespace/{ns}"

    def dynamodb_config(self) -> str:
        """One JSON line for the DynamoDB process: the credentials and the roles' statements."""
        config = {"registry": self.registry.to_json(), "policies": self.policies, "enforce": self.enforce}
        return json.dumps({**config, "revision": self.revision})

    def environment(self, key: str) -> dict[str, str]:
        """A role's credentials as a process reads them (``AWS_SESSION_TOKEN`` included)."""
        return self.registry.role(key).environment()

    def role(self, key: str) -> Principal:
        return self.registry.role(key)

    def client(self, key: str, service: str, endpoint: str, **config: Any):
        """A boto3 client for ``service`` at ``endpoint``, signing as the role ``key``."""
        import boto3
        from botocore.config import Config

        return boto3.client(  # type: ignore[call-overload]  # boto3-stubs type a client by a literal name
            service,
            region_name=self.settings.region,
            endpoint_url=endpoint,
            config=Config(**config) if config else None,
            **self.registry.role(key).client_kwargs(),
        )

    def authorize_publish(self, method: str, url: str, headers, body: bytes) -> Principal | None:
        """Events publish: SigV4 for ``appsync`` and ``appsync:EventPublish`` on the namespace."""
        call = Call("appsync", "EventPublish", (("appsync:EventPublish", self.namespace_arn),))
        return self.enforcer.authorize(method, url, headers, body, call)

    def start_logging(self, log_dir: Path) -> Path:
        """Denials (WARNING, ``brain.iam``) also to ``<log_dir>/iam.log``."""
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / LOG_FILE
        self._handler = file_handler(path)
        log.addHandler(self._handler)
        return path

    def stop_logging(self) -> None:
        if self._handler is not None:
            log.removeHandler(self._handler)
            self._handler.close()
            self._handler = None


def file_handler(path: Path) -> logging.Handler:
    handler = logging.FileHandler(path, mode="a", encoding="utf-8")
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    if log.level == logging.NOTSET or log.level > logging.WARNING:
        log.setLevel(logging.WARNING)
    return handler
