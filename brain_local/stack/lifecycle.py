"""The offline stack: the real ASL and the real handlers against local AWS-compatible endpoints.

One process, one endpoint (default ``http://127.0.0.1:4566``, routed by :mod:`.routing`):

- DynamoDB and DynamoDB Streams, moto's in a process of their own
  (:mod:`brain_local.dynamodb.launcher`), forwarded to from this endpoint;
- moto's SQS and Step Functions, with the state machine *executed* by moto's engine in this
  process (:mod:`brain_local.stepfunctions.engine` says why in-process);
- the Lambda Invoke API (``/2015-03-31/functions/...``), each function in its own worker
  processes (:mod:`brain_local.awslambda.service`, specified by :mod:`.functions`); the engine
  reaches it through ``AWS_ENDPOINT_URL_LAMBDA`` like any boto3 client;
- the Bedrock runtime API (``/model/...``) backed by a model (:mod:`brain_local.bedrock.service`,
  the model chosen by :mod:`.model_choice`);
- the pipe (:mod:`brain_local.pipe`), polling the stream and starting executions;
- the client API (:mod:`brain_local.stack.client_api`): Cognito from moto, the HTTP API and the
  Events API behind a TLS front door of its own (``--tls-port``), and ``.brain/config.json``.

Tables (:mod:`brain_core.tables`), the state machine (:mod:`brain_core.workflow`) and the pipe
come from the configuration CDK deploys (:data:`brain_core.config.SETTINGS`); where moto has to
depart from AWS, :mod:`brain_local.moto_departures` says how and why. This module starts the
parts in order and stops them in reverse.

**Ready means ready.** :meth:`OfflineStack.start` brings up every part — the DynamoDB process,
the tables (and with ``data_dir`` their items, restored), the state machine, the Lambda pools and
the Bedrock backend, the client API, the pipe with its shards open — and only then serves its
endpoint. Until then the endpoint's socket is bound but not answering: a client that connects
early waits, and its first request is answered by a stack that will process it.
``GET /brain/health`` answers whether every part works (:mod:`.health`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from brain_local.chaos.faults import FaultPlan, ModelFaults, RateFault
from brain_local.dynamodb.forwarder import Forwarder
from brain_local.dynamodb.launcher import DynamoDBProcess
from brain_local.dynamodb.tables import create_tables
from brain_local.iam import PIPE, STATE_MACHINE
from brain_local.iam.offline import EVENTS_API_ID, OfflineIam
from brain_local.stack import health
from brain_local.stack.functions import function_specs
from brain_local.stack.model_choice import make_backend, model_ids
from brain_local.stack.options import ACCOUNT, REPO_ROOT, OfflineStackOptions
from brain_local.stepfunctions.engine import create_state_machine, start_engine

if TYPE_CHECKING:
    from moto.core.models import MockAWS
    from werkzeug.serving import BaseWSGIServer

    from brain_local.awslambda.environments import FunctionPool, FunctionSpec
    from brain_local.awslambda.service import LambdaService
    from brain_local.bedrock.service import BedrockRuntimeService, ModelBackend
    from brain_local.pipe import Pipe
    from brain_local.stack.client_api import OfflineClientApi

log = logging.getLogger("brain.stack")


class OfflineStack:
    def __init__(self, options: OfflineStackOptions | None = None, faults: FaultPlan | None = None):
        self.options = options or OfflineStackOptions()
        self.settings = self.options.settings
        self.faults = faults or FaultPlan(seed=self.options.seed)
        self._mock: MockAWS | None = None
        self._server: BaseWSGIServer | None = None
        self.dynamodb: DynamoDBProcess | None = None
        self.dynamodb_endpoint = ""
        self.pipe: Pipe | None = None
        self.pools: dict[str, FunctionPool] = {}
        self.backend: ModelBackend | None = None
        self.client_api: OfflineClientApi | None = None
        self.iam: OfflineIam | None = None
        self.lambda_service: LambdaService
        self.bedrock_service: BedrockRuntimeService
        #: Set once every part is up and the endpoint serves (see the module's docstring).
        self.ready = threading.Event()
        self.restored: dict = {}

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> OfflineStack:
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
            self.backend = make_backend(self.options)  # its model id is in the policies (brain_local.iam)
            self.iam = OfflineIam.for_stack(self.options, self.backend.model_id, ACCOUNT)
            self._start_dynamodb()
            self._mock = start_engine(self.iam.role(STATE_MACHINE).client_kwargs())
            self._create_resources()
            self.iam.configure(self, EVENTS_API_ID, self.dynamodb)
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

    def _start_dynamodb(self) -> None:
        if self.options.data_dir is not None:
            self.options.data_dir = Path(self.options.data_dir).resolve()
        self.dynamodb = DynamoDBProcess(
            self.settings.chunks_table,
            self.faults.chunk_throttle_rate,
            self.faults.seed,
            self.options.data_dir,
            code_root=REPO_ROOT,
            arguments=self.iam.dynamodb_arguments(self.options.log_dir) if self.iam else None,
        )
        self.dynamodb_endpoint = self.dynamodb.start()
        self.dynamodb_forwarder = Forwarder(self.dynamodb_endpoint)

    def _restore_data(self) -> None:
        """With a data dir: the items and stream records back into the tables just created,
        before the pipe reads the stream or anyone else reads the tables."""
        if self.options.data_dir is None or self.dynamodb is None:
            return
        self.restored = self.dynamodb.restore()
        log.info(
            "data dir %s: %d items restored, %d journaled writes replayed",
            self.options.data_dir,
            self.restored["items"],
            self.restored["replayed"],
        )

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
        if self._mock is not None:
            self._mock.stop()
            self._mock = None
        if self.dynamodb is not None:
            self.dynamodb.stop()
        if self.iam is not None:
            self.iam.stop_logging()

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
        self.state_machine_arn = create_state_machine(self.client("stepfunctions"), s, ACCOUNT)

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

        from brain_local.awslambda.environments import FunctionPool, InvokeFaultRates
        from brain_local.awslambda.service import LambdaService
        from brain_local.bedrock.service import BedrockRuntimeService
        from brain_local.pipe import Pipe
        from brain_local.pipe.checkpoints import checkpoints_for
        from brain_local.pipe.reader import streams_client
        from brain_local.stack.routing import Dispatcher

        if self.backend is None:
            self.backend = make_backend(self.options)
        # Bound (so the port is known and early clients can connect) but not serving until ready.
        self._server = make_server(self.options.host, self.options.port, Dispatcher(self), threaded=True)
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
        self.lambda_service = LambdaService(self.pools)
        self.bedrock_service = BedrockRuntimeService(
            model_ids(self.options, self.backend), ModelFaults(plan.model, seed=plan.seed)
        )
        self.duplicate_delivery = RateFault(plan.duplicate_rate, f"{plan.seed}:duplicates")

        stream_ends = self.restored.get("streamEnds", {}).get(self.settings.messages_table, {})
        assert self.iam is not None  # start() makes it first; the pipe calls with its own role
        self.pipe = Pipe(
            streams_client(self.dynamodb_endpoint, self.settings.region, self.iam.role(PIPE).client_kwargs()),
            self.iam.client(PIPE, "stepfunctions", self.options.endpoint),
            self.iam.client(PIPE, "sqs", self.options.endpoint),
            self.stream_arn,
            self.state_machine_arn,
            self.dlq_url,
            self.settings.pipe,
            before_start=(lambda record: 2 if self.duplicate_delivery() else 1),
            checkpoints=checkpoints_for(self.options.data_dir, stream_ends),
            runs=self.client("stepfunctions"),  # the stack's bookkeeping (moto here), not the pipe's role
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

    # -- introspection -----------------------------------------------------------------------
    def fault_counts(self) -> dict:
        return health.fault_counts(self)

    def problems(self) -> tuple[str, list[str]]:
        return health.problems(self)

    def health(self) -> dict:
        return health.health(self)
