"""DynamoDB and DynamoDB Streams in a process of their own (moto in server mode).

Why a second process: the stack's main process runs moto's Step Functions engine, the Lambda
and Bedrock endpoints and the pipe, all under one GIL. Every client's chunk poll and every
chunk write is pure-Python moto work (2–5 ms of CPU each, measured by `make bench`); under
twenty concurrent conversations that alone saturated the one core the main process can use.
Here it gets the other core. The main endpoint still serves DynamoDB (it forwards to this
process), so clients see one endpoint; the functions are pointed here directly.

Here moto departs from DynamoDB in two ways, to keep its CPU time and memory bounded
(:func:`brain_local.moto_departures.apply_to_dynamodb`, which says why).

Every request is signed and authorized here (:mod:`brain_local.iam`): the functions and the pipe
call this process directly, so this is where their DynamoDB calls meet their policies. It starts
knowing the administrator only; the stack then sends the roles' credentials and resolved
statements as one JSON line on stdin (never on the command line). ``GET /brain/iam``: the denials.

It also owns the DynamoDB fault of a fault plan: ResponseChunks writes throttled at a rate
(``ProvisionedThroughputExceededException``, which botocore retries), counted at
``GET /brain/faults``; and the tables' life (:mod:`brain_local.dynamodb.persistence`): writes applied in
order, and with ``--data-dir`` kept on disk — ``POST /brain/restore`` fills the tables once the
stack has created them.

Started by :class:`brain_local.stack.lifecycle.OfflineStack`; prints ``ready <port>`` when listening. It
ends with its parent: when its stdin (a pipe from the stack) closes, even if the stack was
killed with SIGKILL. SIGTERM (the stack's clean stop) writes a last snapshot first.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from brain_local import moto_departures
from brain_local.chaos.faults import RateFault
from brain_local.dynamodb.persistence import DataDir, OrderedWrites, stream_ends
from brain_local.iam import CredentialsRegistry
from brain_local.iam.enforcer import Enforcer
from brain_local.iam.offline import file_handler


class ChunkThrottling:
    """WSGI middleware: a PutItem on the chunks table fails with throttling at a seeded rate."""

    def __init__(self, app, chunks_table: str, fault: RateFault):
        self.app, self.chunks_table, self.fault = app, chunks_table, fault

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == "/brain/faults":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps({"chunkThrottles": self.fault.count}).encode()]
        if self.fault.rate > 0 and environ.get("HTTP_X_AMZ_TARGET") == "DynamoDB_20120810.PutItem":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)  # moto reads it again
            if json.loads(body).get("TableName") == self.chunks_table and self.fault():
                start_response("400 Bad Request", [("Content-Type", "application/x-amz-json-1.0")])
                return [
                    json.dumps(
                        {
                            "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                            "message": "The level of configured provisioned throughput for the table was exceeded "
                            "(injected fault)",
                        }
                    ).encode()
                ]
        return self.app(environ, start_response)


class Lifecycle:
    """WSGI: ``POST /brain/restore`` (the data dir into the tables just created), else on to moto."""

    def __init__(self, app, data_dir: DataDir | None):
        self.app, self.data_dir = app, data_dir

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == "/brain/restore" and environ.get("REQUEST_METHOD") == "POST":
            restored = self.data_dir.restore() if self.data_dir else {"items": 0, "replayed": 0}
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps({**restored, "streamEnds": stream_ends()}).encode()]
        return self.app(environ, start_response)


def _end_with_parent(data_dir: DataDir | None, enforcer: Enforcer) -> None:
    """The stack holds our stdin open; EOF means it is gone (SIGKILL included): so are we. The
    journal is already with the OS; no snapshot, so the next stack can start at once. Until
    then each line is the IAM configuration (:meth:`brain_local.iam.OfflineIam.dynamodb_config`)."""

    def wait_for_eof() -> None:
        for line in sys.stdin.buffer:
            config = json.loads(line)
            enforcer.configure(CredentialsRegistry.from_json(config["registry"]), config["policies"], config["enforce"])
            enforcer.revision = config["revision"]
        if data_dir is not None:
            data_dir.close(compact=False)
        os._exit(0)

    threading.Thread(target=wait_for_eof, name="parent-watch", daemon=True).start()


def _stop_cleanly_on_sigterm(data_dir: DataDir | None) -> None:
    def stop(signum, frame) -> None:
        if data_dir is not None:
            data_dir.close()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)


def main(
    port: int,
    chunks_table: str = "",
    chunk_throttle_rate: float = 0.0,
    seed: int = 0,
    data_dir: str | None = None,
    region: str = "us-east-1",
    account: str = "123456789012",
    iam_log: str | None = None,
) -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    moto_departures.apply_to_dynamodb()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    writes = OrderedWrites(DomainDispatcherApplication(create_backend_app))
    stored = DataDir(Path(data_dir), writes) if data_dir else None
    app = ChunkThrottling(Lifecycle(writes, stored), chunks_table, RateFault(chunk_throttle_rate, f"{seed}:chunks"))
    enforcer = Enforcer(CredentialsRegistry.administrator_only(account), region, account)
    if iam_log:
        logging.getLogger("brain.iam").addHandler(file_handler(Path(iam_log)))

    def iam_health(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(enforcer.health()).encode()]

    checked = enforcer.middleware(app, passthrough=lambda environ: environ.get("PATH_INFO", "").startswith("/brain/"))

    def serve(environ, start_response):
        if environ.get("PATH_INFO") == "/brain/iam":
            return iam_health(environ, start_response)
        return checked(environ, start_response)

    server = make_server("127.0.0.1", port, serve, threaded=True)
    _end_with_parent(stored, enforcer)
    _stop_cleanly_on_sigterm(stored)
    print(f"ready {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--chunks-table", default="")
    parser.add_argument("--chunk-throttle-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", help="keep the tables' items here across restarts (default: in memory)")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--account", default="123456789012")
    parser.add_argument("--iam-log", help="append IAM denials here too")
    args = parser.parse_args()
    main(
        args.port,
        args.chunks_table,
        args.chunk_throttle_rate,
        args.seed,
        args.data_dir,
        args.region,
        args.account,
        args.iam_log,
    )
