"""DynamoDB and DynamoDB Streams in a process of their own (moto in server mode).

Why a second process: the stack's main process runs moto's Step Functions engine, the Lambda
and Bedrock endpoints and the pipe, all under one GIL. Every client's chunk poll and every
chunk write is pure-Python moto work (2–5 ms of CPU each, measured by `make bench`); under
twenty concurrent conversations that alone saturated the one core the main process can use.
Here it gets the other core. The main endpoint still serves DynamoDB (it forwards to this
process), so clients see one endpoint; the functions are pointed here directly.

Here moto departs from DynamoDB in two ways, to keep its CPU time and memory bounded
(:func:`brain_local.moto_departures.apply_to_dynamodb`, which says why).

It also owns the DynamoDB fault of a fault plan: ResponseChunks writes throttled at a rate
(``ProvisionedThroughputExceededException``, which botocore retries), counted at
``GET /brain/faults``.

Started by :class:`brain_local.stack.OfflineStack`; prints ``ready <port>`` when listening.
"""

from __future__ import annotations

import argparse
import io
import json
import logging

from brain_local import moto_departures
from brain_local.faults import RateFault


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


def main(port: int, chunks_table: str = "", chunk_throttle_rate: float = 0.0, seed: int = 0) -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    moto_departures.apply_to_dynamodb()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = ChunkThrottling(
        DomainDispatcherApplication(create_backend_app), chunks_table, RateFault(chunk_throttle_rate, f"{seed}:chunks")
    )
    server = make_server("127.0.0.1", port, app, threaded=True)
    print(f"ready {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--chunks-table", default="")
    parser.add_argument("--chunk-throttle-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(args.port, args.chunks_table, args.chunk_throttle_rate, args.seed)
