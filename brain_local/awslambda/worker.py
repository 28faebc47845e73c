"""One Lambda execution environment: a process that imports one handler and serves invokes.

Started by :mod:`brain_local.awslambda.environments` as ``python -m brain_local.awslambda.worker``. Like
Lambda's runtime it imports the handler once (the cold start, reported as ``initMs``) and then
serves one invoke at a time. Requests and responses are JSON lines on stdin and on a private
copy of stdout; the handler's own stdout (Powertools logs and EMF metrics) goes to stderr,
which the parent sends to the function's log file.

Kept free of heavy imports: its own start-up is part of every cold start it reports.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import threading
import time
import traceback

_T0 = time.perf_counter()


class LambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    def __init__(self, request_id: str, deadline_ms: float):
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = "$LATEST"
        self.invoked_function_arn = os.environ.get("BRAIN_FUNCTION_ARN", "")
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"))
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = f"local/{os.getpid()}"
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self._deadline_ms - time.time() * 1000))


def _error(exc: BaseException, error_type: str | None = None) -> dict:
    return {
        "errorType": error_type or type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_exception(exc)[-6:],
    }


def main(handler_path: str) -> None:
    protocol_out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # the handler's prints and logs go to the log file, not into the protocol
    sys.stdout = os.fdopen(1, "w", buffering=1)

    def send(message: dict) -> None:
        protocol_out.write(json.dumps(message, separators=(",", ":")) + "\n")

    module_name, _, function_name = handler_path.rpartition(".")
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
    except Exception as exc:  # noqa: BLE001 - the init phase failed, however: report it as Lambda does, then exit
        send({"initError": _error(exc, "Runtime.ImportModuleError")})
        sys.exit(1)
    send({"ready": True, "initMs": round((time.perf_counter() - _T0) * 1000, 2)})

    for line in sys.stdin:
        request = json.loads(line)
        context = LambdaContext(request["requestId"], request["deadlineMs"])
        os.environ["_X_AMZN_TRACE_ID"] = request.get("traceHeader", "")  # per invoke, as Lambda's runtime does
        die_after_ms = request.get("dieAfterMs")
        if die_after_ms is not None:
            # Injected fault: the execution environment dies mid-invoke, at this point of it.
            threading.Timer(die_after_ms / 1000, os._exit, (137,)).start()
        started = time.perf_counter()
        try:
            if request.get("raise"):
                raise RuntimeError(f"injected fault in {context.function_name}")
            answer = {"result": handler(request["payload"], context)}
        except Exception as exc:  # noqa: BLE001 - a handler's error of any kind goes back to the caller, as Lambda's
            print(
                json.dumps(
                    {
                        "level": "ERROR",
                        "message": "handler failed",
                        "errorType": type(exc).__name__,
                        "requestId": request["requestId"],
                    }
                ),
                file=sys.stderr,
                flush=True,
            )
            answer = {"error": _error(exc)}
        if die_after_ms is not None:
            os._exit(137)  # done before its death came: it dies before the answer gets out
        send({**answer, "durationMs": round((time.perf_counter() - started) * 1000, 2)})


if __name__ == "__main__":
    main(sys.argv[1])
