"""The offline stack: the real ASL and the real handlers against local AWS-compatible endpoints.

One process, one endpoint (default ``http://127.0.0.1:4566``):

- moto's DynamoDB, DynamoDB Streams, SQS and Step Functions, with the state machine *executed*
  by moto's engine in this process (under ``mock_aws``: in moto's server mode the engine would
  call moto's own Docker-based Lambda instead);
- the Lambda Invoke API (``/2015-03-31/functions/...``), each function in its own worker
  processes (:mod:`brain_local.awslambda.service`); the engine reaches it through
  ``AWS_ENDPOINT_URL_LAMBDA`` like any boto3 client;
- the Bedrock runtime API (``/model/...``) backed by a model (:mod:`brain_local.bedrock.service`);
- the pipe (:mod:`brain_local.pipe`), polling the stream and starting executions;
- the client API (:mod:`brain_local.stack.client_api`): Cognito from moto, the HTTP API and the
  Events API behind a TLS front door of its own (``--tls-port``), and ``.brain/config.json``.

Tables (:mod:`brain_core.tables`), the state machine (:mod:`brain_core.workflow`) and the pipe
come from the configuration CDK deploys (:data:`brain_core.config.SETTINGS`); where moto has to
depart from AWS, :mod:`brain_local.moto_departures` says how and why.

**Ready means ready.** :meth:`OfflineStack.start` brings up every part — the DynamoDB process,
the tables (and with ``data_dir`` their items, restored), the state machine, the Lambda pools and
the Bedrock backend, the client API, the pipe with its shards open — and only then serves its
endpoint. Until then the endpoint's socket is bound but not answering: a client that connects
early waits, and its first request is answered by a stack that will process it.
``GET /brain/health`` answers ``"status": "ready"`` (HTTP 200) while every part works, and
otherwise ``"degraded"`` (the pipe is retrying a failed call, or has waited more than 3 s on one)
or ``"failed"`` (the pipe has stopped, or the DynamoDB process has exited), with HTTP 503 and the
reasons in ``problems``.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brain_core import workflow
from brain_core.config import AGENTS, FUNCTIONS, SETTINGS, Settings, function_environment
from brain_local import moto_departures
from brain_local.chaos.faults import FaultPlan, ModelFaults, RateFault
from brain_local.dynamodb.forwarder import Forwarder
from brain_local.dynamodb.tables import create_tables
from brain_local.iam import PIPE, STATE_MACHINE
from brain_local.iam.offline import EVENTS_API_ID, OfflineIam

if TYPE_CHECKING:
    from moto.core.models import MockAWS
    from werkzeug.serving import BaseWSGIServer

    from brain_local.awslambda.service import FunctionPool, FunctionSpec
    from brain_local.bedrock.service import ModelBackend
    from brain_local.pipe import StreamPipe
    from brain_local.stack.client_api import OfflineClientApi

REPO_ROOT = Path(__file__).resolve().parents[2]
#: The web chat as `make install` builds it (web/, npm run build): served at the front door's /.
WEB_DIST = REPO_ROOT / "web" / "dist"
ACCOUNT = "123456789012"
DEFAULT_PORT = 4566
#: A pipe that has not finished a pass over its shards for this long is reported degraded.
PIPE_STALLED_SECONDS = 3.0

log = logging.getLogger("brain.stack")


def arn_substitutions(settings: Settings, region: str, account: str) -> dict[str, str]:
    """``${...}`` names in the ASL and the function ARNs they stand for."""
    return {
        settings.asl_substitution(a): f"arn:aws:lambda:{region}:{account}:function:{settings.function_name(a)}"
        for a in AGENTS
    }


@dataclass
class StackOptions:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    model: str = "scripted"
    ttft_ms: float = 400.0
    tokens_per_second: float = 40.0
    reply_tokens: int = 60
    #: The scripted double behind ``insight_model_id``: a small fast model's pace on Bedrock
    #: (a forced-tool answer in ~300-400 ms).
    insight_ttft_ms: float = 250.0
    insight_tokens_per_second: float = 400.0
    model_client: str = "boto3"
    log_dir: Path = field(default_factory=lambda: REPO_ROOT / ".brain" / "logs")
    warm: int = 0  # environments started per function before traffic
    seed: int = 0
    settings: Settings = SETTINGS
    #: config.json (aws-amplify), ca.pem and users.json go here, beside the logs.
    state_dir: Path = field(default_factory=lambda: REPO_ROOT / ".brain")
    #: The front door's TLS port; None: the plain port + 1 (any free one when that is 0).
    tls_port: int | None = None
    #: Offline users as (name, password); empty: ada and bob (brain_local.cognito.identity).
    users: list[tuple[str, str]] = field(default_factory=list)
    #: Static files the front door serves at / (the web chat), when the directory exists.
    static_dir: Path | None = WEB_DIST
    #: Keep the tables (and the pipe's checkpoint) here across restarts; None: in memory.
    data_dir: Path | None = None
    #: Evaluate every call against the caller's CDK policy (brain_local.iam); False: ``--no-iam``
    #: (signatures are verified either way).
    iam: bool = True

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"


#: What a real small model on two shared cores needs for three insight calls at once
#: (scripts/insight_concurrency.py: 3.2 s quiet, up to ~8 s loaded, against 2.5 s on Bedrock).
LOCAL_MODEL_INSIGHT_DEADLINE_SECONDS = 6.0


def function_specs(
    options: StackOptions,
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
    from brain_local.awslambda.service import FunctionSpec, worker_environment

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


#: The model backends behind the local Bedrock endpoint (``--model``).
MODELS = ("scripted", "smollm2")


def make_backend(options: StackOptions):
    """The model behind the local Bedrock endpoint: the scripted test double, or SmolLM2-135M
    (:mod:`brain_local.models.smollm2`), which falls back to the scripted model, with a warning,
    where it is not installed or does not load."""
    from brain_local.models.scripted import ScriptedPersonaModel, ScriptSettings

    if options.model == "smollm2":
        from brain_local.models import smollm2

        ok, why = smollm2.available()
        if ok:
            return smollm2.SmolLM2Model()
        log.warning("model smollm2 is not available (%s): using the scripted model", why)
        options.model = "scripted"
    if options.model == "scripted":
        return ScriptedPersonaModel(ScriptSettings(options.ttft_ms, options.tokens_per_second, options.reply_tokens))
    raise ValueError(f"unknown model backend {options.model!r} (choose: {', '.join(MODELS)})")


def model_ids(options: StackOptions, backend) -> dict:
    """The model ids the local Bedrock endpoint serves: the backend under its own id and the
    deployment's ``model_id``; ``insight_model_id`` (unless "none") by the same real model, or by
    a scripted double paced like a small fast model."""
    from brain_local.bedrock.service import model_table
    from brain_local.models.scripted import ScriptedPersonaModel, ScriptSettings

    s = options.settings
    table = model_table(backend, s.model_id)
    if s.insight_model_id.lower() != "none":
        if options.model == "smollm2":
            from brain_local.models.smollm2 import SmolLM2Model

            table[s.insight_model_id] = SmolLM2Model(model_id=s.insight_model_id)  # the same loaded model
        else:
            pace = ScriptSettings(options.insight_ttft_ms, options.insight_tokens_per_second, options.reply_tokens)
            table[s.insight_model_id] = ScriptedPersonaModel(pace, model_id=s.insight_model_id)
    return table


class OfflineStack:
    def __init__(self, options: StackOptions | None = None, faults: FaultPlan | None = None):
        self.options = options or StackOptions()
        self.settings = self.options.settings
        self.faults = faults or FaultPlan(seed=self.options.seed)
        self._mock: MockAWS | None = None
        self._server: BaseWSGIServer | None = None
        self._dynamodb: subprocess.Popen[str] | None = None
        self._data_lock: int | None = None
        self.pipe: StreamPipe | None = None
        self.pools: dict[str, FunctionPool] = {}
        self.backend: ModelBackend | None = None
        self.client_api: OfflineClientApi | None = None
        self.iam: OfflineIam | None = None
        #: Set once every part is up and the endpoint serves (see the module's docstring).
        self.ready = threading.Event()
        self.restored: dict = {}

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> OfflineStack:
        from moto import mock_aws

        region = self.settings.region
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request drowns everything
        # moto's engine logs each Fail state with its whole parse tree; runs are inspected with
        # `brain runs` and the execution history instead.
        logging.getLogger("moto").setLevel(logging.CRITICAL)
        # The engine's reused Lambda client keeps 10 pooled connections; beyond that urllib3 opens
        # and discards extra ones, and says so for every one.
        logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
        os.environ.setdefault("AWS_DEFAULT_REGION", region)
        try:
            self._lock_data_dir()
            self.backend = make_backend(self.options)  # its model id is in the policies (brain_local.iam)
            self.iam = OfflineIam.for_stack(self.options, self.backend.model_id, ACCOUNT)
            self._start_dynamodb()
            self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
            self._mock.start()
            moto_departures.apply_to_step_functions(self.iam.role(STATE_MACHINE).client_kwargs())
            self._create_resources()
            self.iam.configure(self, EVENTS_API_ID, self._dynamodb)
            self._restore_data()
            self._start_services()
        except BaseException:
            self.stop()
            raise
        return self

    def __enter__(self) -> OfflineStack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _lock_data_dir(self) -> None:
        """One stack per data dir. The DynamoDB process holds the lock too (an inherited
        descriptor), so it stays taken until that process has also ended."""
        if self.options.data_dir is None:
            return
        self.options.data_dir = Path(self.options.data_dir).resolve()
        self.options.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.options.data_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + 15  # a killed stack's DynamoDB process takes a moment to follow it
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise RuntimeError(
                        f"the data dir {self.options.data_dir} is in use by another running stack; stop it first"
                    ) from None
                time.sleep(0.1)
        self._data_lock = fd

    def _start_dynamodb(self) -> None:
        assert self.iam is not None  # start() makes it first
        data_dir = ["--data-dir", str(self.options.data_dir)] if self.options.data_dir else []
        self._dynamodb = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "brain_local.dynamodb.process",
                "--chunks-table",
                self.settings.chunks_table,
                "--chunk-throttle-rate",
                str(self.faults.chunk_throttle_rate),
                "--seed",
                str(self.faults.seed),
                *data_dir,
                *self.iam.dynamodb_arguments(self.options.log_dir),
            ],
            stdout=subprocess.PIPE,
            # Its stdin is ours: when this process ends, however it ends, so does that one.
            stdin=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
            pass_fds=(self._data_lock,) if self._data_lock is not None else (),
        )
        assert self._dynamodb.stdout is not None  # a pipe: stdout=PIPE above
        line = self._dynamodb.stdout.readline()
        if not line.startswith("ready "):
            raise RuntimeError(f"the DynamoDB process did not start (exit code {self._dynamodb.poll()})")
        self.dynamodb_endpoint = f"http://127.0.0.1:{line.split()[1]}"
        self._forward = Forwarder(self.dynamodb_endpoint)

    def _restore_data(self) -> None:
        """With a data dir: the items and stream records back into the tables just created,
        before the pipe reads the stream or anyone else reads the tables."""
        if self.options.data_dir is None:
            return
        request = urllib.request.Request(f"{self.dynamodb_endpoint}/brain/restore", method="POST")
        with urllib.request.urlopen(request, timeout=600) as response:
            self.restored = json.load(response)
        log.info(
            "data dir %s: %d items restored, %d journaled writes replayed",
            self.options.data_dir,
            self.restored["items"],
            self.restored["replayed"],
        )

    def _pipe_checkpoints(self):
        """In memory; with a data dir, in a file there — never ahead of the stream restored
        (after a machine crash the checkpoint may have outlived the last second of writes)."""
        from brain_local.pipe import Checkpoints, FileCheckpoints

        if self.options.data_dir is None:
            return Checkpoints()
        checkpoints = FileCheckpoints(self.options.data_dir / "pipe-checkpoint.json")
        ends = self.restored.get("streamEnds", {}).get(self.settings.messages_table, {})
        saved = checkpoints.load()
        kept = {shard: min(seq, ends[shard], key=int) for shard, seq in saved.items() if shard in ends}
        if kept != saved:
            log.warning("pipe checkpoint %s is ahead of the restored stream: using %s", saved, kept)
            checkpoints.save(kept)
        return checkpoints

    def stop(self) -> None:
        self.ready.clear()
        if self.pipe is not None:
            self.pipe.stop()
            self.pipe.join(timeout=5)
            self.pipe = None
        if self.client_api is not None:
            self.client_api.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        for pool in self.pools.values():
            pool.stop()
        self.pools = {}
        if self.iam is not None:
            self.iam.stop_logging()
        if self._mock is not None:
            self._mock.stop()
            self._mock = None
        if self._dynamodb is not None:
            self._dynamodb.terminate()  # with a data dir it writes a last snapshot first
            try:
                self._dynamodb.wait(timeout=120 if self.options.data_dir else 10)
            except subprocess.TimeoutExpired:
                self._dynamodb.kill()
                self._dynamodb.wait()
            if self._dynamodb.stdin is not None:
                self._dynamodb.stdin.close()
            if self._dynamodb.stdout is not None:
                self._dynamodb.stdout.close()
            self._dynamodb = None
        if self._data_lock is not None:
            os.close(self._data_lock)
            self._data_lock = None

    # -- resources ---------------------------------------------------------------------------
    def client(self, service: str):
        """A client for the stack's own use: DynamoDB's process, or moto in this one."""
        import boto3
        from botocore.config import Config

        if service in ("dynamodb", "dynamodbstreams"):
            return boto3.client(  # type: ignore[call-overload]  # boto3-stubs type a client by a literal name
                service,
                region_name=self.settings.region,
                endpoint_url=self.dynamodb_endpoint,
                aws_access_key_id="offline",
                aws_secret_access_key="offline",
                config=Config(max_pool_connections=32),
            )
        return boto3.client(service, region_name=self.settings.region)  # type: ignore[call-overload]  # as above

    def _create_resources(self) -> None:
        s = self.settings
        ddb = self.client("dynamodb")
        create_tables(ddb, s)
        self._create_client_api()
        self.stream_arn = ddb.describe_table(TableName=s.messages_table)["Table"]["LatestStreamArn"]
        self.dlq_url = self.client("sqs").create_queue(QueueName=f"{s.app_name}-pipe-dlq")["QueueUrl"]
        definition = workflow.render(workflow.asl_text(), arn_substitutions(s, s.region, ACCOUNT))
        self.state_machine_arn = self.client("stepfunctions").create_state_machine(
            name=s.state_machine_name,
            definition=definition,
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/{s.app_name}-workflow",
            type="EXPRESS",
        )["stateMachineArn"]

    def _create_client_api(self) -> None:
        from brain_local.stack.client_api import ClientApiOptions, OfflineClientApi

        o = self.options
        tls_port = o.tls_port if o.tls_port is not None else (o.port + 1 if o.port else 0)
        self.client_api = OfflineClientApi(
            ClientApiOptions(
                state_dir=o.state_dir,
                tls_port=tls_port,
                users=o.users,
                static_dir=o.static_dir,
                credentials=self.iam.registry if self.iam is not None else None,
            ),
            self.settings,
            account=ACCOUNT,
            host=o.host,
        )
        self.client_api.create_resources(self.client("cognito-idp"))

    def _invoke_api(self, event: dict) -> tuple[object, str | None]:
        # The front door is up before the functions (they need its address): a request that
        # arrives in between waits for the stack to be ready, as the plain endpoint's clients do.
        if not self.ready.wait(timeout=120):
            return {"errorType": "ServiceUnavailable", "errorMessage": "the stack is not ready"}, "Unhandled"
        return self.pools[self.settings.function_name("api")].invoke(event)

    def function_specs(self) -> dict[str, FunctionSpec]:
        if self.backend is None:
            raise RuntimeError("the stack has not started: no model backend yet")
        api = self.client_api
        env = api.function_environment if api is not None and api.front_door is not None else None
        credentials = self.iam.environment if self.iam is not None else None
        return function_specs(self.options, self.backend, self.dynamodb_endpoint, env, credentials)

    def _start_services(self) -> None:
        from werkzeug.serving import make_server

        from brain_local.awslambda.service import FunctionPool, InvokeFaultRates, LambdaApp
        from brain_local.bedrock.service import BedrockRuntimeApp
        from brain_local.pipe import StreamPipe

        if self.backend is None:
            self.backend = make_backend(self.options)
        # Bound (so the port is known and early clients can connect) but not serving until ready.
        self._server = make_server(self.options.host, self.options.port, _Dispatcher(self), threaded=True)
        self.options.port = self._server.server_port  # port 0 asks for any free port
        if self.client_api is None:
            raise RuntimeError("the client API's resources were not created")
        self.client_api.start(self.options.endpoint, self._invoke_api)
        if self.client_api.events is not None and self.iam is not None:
            self.client_api.events.authorize = self.iam.authorize_publish
        # The engine's lambda.invoke goes to our endpoint, exactly as an SDK client configured
        # with this standard setting would.
        os.environ["AWS_ENDPOINT_URL_LAMBDA"] = self.options.endpoint
        plan = self.faults
        self.pools = {
            name: FunctionPool(
                spec, self.options.log_dir, faults=InvokeFaultRates(**plan.functions.get(name, {})), seed=plan.seed
            )
            for name, spec in self.function_specs().items()
        }
        unknown = set(plan.functions) - set(self.pools)
        if unknown:
            raise ValueError(f"fault plan names unknown functions: {', '.join(sorted(unknown))}")
        self.lambda_app = LambdaApp(self.pools)
        self.bedrock_app = BedrockRuntimeApp(
            model_ids(self.options, self.backend), ModelFaults(plan.model, seed=plan.seed)
        )
        self.duplicate_delivery = RateFault(plan.duplicate_rate, f"{plan.seed}:duplicates")

        assert self.iam is not None  # the pipe calls with its own role, at the endpoint
        self.pipe = StreamPipe(
            self._pipe_streams_client(),
            self.iam.client(PIPE, "stepfunctions", self.options.endpoint),
            self.iam.client(PIPE, "sqs", self.options.endpoint),
            self.stream_arn,
            self.state_machine_arn,
            self.dlq_url,
            self.settings.pipe,
            before_start=(lambda record: 2 if self.duplicate_delivery() else 1),
            checkpoints=self._pipe_checkpoints(),
        )
        self.pipe.open()  # every shard's iterator, before anyone can write
        self.pipe.start()
        if self.options.warm:
            started = time.perf_counter()
            for pool in self.pools.values():
                pool.warm(self.options.warm)
            log.info(
                "%d environments per function provisioned in %.1f s",
                self.options.warm,
                time.perf_counter() - started,
            )
        threading.Thread(target=self._server.serve_forever, name="brain-endpoint", daemon=True).start()
        self.ready.set()

    def _pipe_streams_client(self):
        """The pipe's own Streams client: short timeouts and no botocore retries, so a paused or
        failing DynamoDB shows at once in the pipe's status and its own back-off takes over."""
        import boto3
        from botocore.config import Config

        return boto3.client(  # type: ignore[call-overload]  # boto3-stubs type a client by a literal name
            "dynamodbstreams",
            region_name=self.settings.region,
            endpoint_url=self.dynamodb_endpoint,
            config=Config(connect_timeout=2, read_timeout=10, retries={"total_max_attempts": 1}),
            **(self.iam.role(PIPE).client_kwargs() if self.iam else {}),
        )

    def fault_counts(self) -> dict:
        """How many faults of each kind were injected so far."""
        if not self.pools:
            return {}
        return {
            "model": dict(self.bedrock_app.faults.counts),
            "chunkThrottles": self._dynamodb_faults().get("chunkThrottles", 0),
            "duplicateDeliveries": self.duplicate_delivery.count,
            "functions": {
                n: {"raised": p.injected["raise"], "died": p.injected["die"]}
                for n, p in self.pools.items()
                if p.faults.raise_rate or p.faults.die_rate
            },
        }

    def _dynamodb_faults(self) -> dict:
        try:
            with urllib.request.urlopen(f"{self.dynamodb_endpoint}/brain/faults", timeout=0.5) as response:
                return json.load(response)
        except (OSError, ValueError):
            return {}  # a paused or stopped DynamoDB process: health says so from the pipe's state

    # -- introspection -----------------------------------------------------------------------
    def problems(self) -> tuple[str, list[str]]:
        """(status, problems): ``ready`` and none, ``degraded`` or ``failed`` and what is wrong."""
        problems, failed = [], False
        if not self.ready.is_set():
            return "starting", ["the stack is not started (or is stopping)"]
        code = self._dynamodb.poll() if self._dynamodb is not None else None
        if code is not None:
            failed = True
            problems.append(f"the DynamoDB process has exited (code {code}): no table can be read or written")
        pipe: dict[str, Any] = self.pipe.status() if self.pipe is not None else {"state": "stopped", "lastError": None}
        error = pipe["lastError"] or {}
        if pipe["state"] == "stopped" or (self.pipe is not None and not self.pipe.is_alive()):
            failed = True
            problems.append(f"the pipe has stopped: no new message starts a workflow ({error.get('error')})")
        elif pipe["state"] == "retrying":
            problems.append(f"the pipe is retrying {error.get('operation')}: {error.get('error')}")
        elif pipe["secondsSinceRead"] > PIPE_STALLED_SECONDS:
            problems.append(f"the pipe has waited {pipe['secondsSinceRead']} s on {pipe['operation']}")
        return ("failed" if failed else "degraded" if problems else "ready"), problems

    def health(self) -> dict:
        status, problems = self.problems()
        return {
            "status": status,
            "problems": problems,
            "endpoint": self.options.endpoint,
            "dynamodbEndpoint": self.dynamodb_endpoint,
            "dataDir": str(self.options.data_dir) if self.options.data_dir else None,
            "model": self.backend.model_id if self.backend else None,
            "stateMachineArn": self.state_machine_arn,
            "pipe": self.pipe.status() if self.pipe else {},
            "faults": self.fault_counts(),
            "clientApi": self.client_api.health() if self.client_api else None,
            "iam": self.iam.health() if self.iam else None,
            "functions": {
                name: {
                    "invocations": pool.stats.invocations,
                    "errors": pool.stats.errors,
                    "coldStarts": pool.stats.cold_starts,
                    "initMs": pool.stats.init_ms,
                    "provisioned": pool.stats.provisioned,
                }
                for name, pool in self.pools.items()
            },
        }


class _Dispatcher:
    """One endpoint: Lambda and Bedrock runtime paths go to ours, everything else to moto."""

    def __init__(self, stack: OfflineStack):
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        self.stack = stack
        self.moto = DomainDispatcherApplication(create_backend_app)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
            return self.stack._forward(environ, start_response)  # checked by the DynamoDB process
        if path != "/brain/health" and self.stack.iam is not None:
            refusal = self.stack.iam.enforcer.check_wsgi(environ)
            if refusal is not None:
                return refusal.wsgi(start_response)
        if self.stack.lambda_app.handles(path):
            return self.stack.lambda_app(environ, start_response)
        if self.stack.bedrock_app.handles(path):
            return self.stack.bedrock_app(environ, start_response)
        if path == "/brain/health":
            health = self.stack.health()
            ok = health["status"] == "ready"
            start_response("200 OK" if ok else "503 Service Unavailable", [("Content-Type", "application/json")])
            return [json.dumps(health).encode()]
        return self.moto(environ, start_response)
