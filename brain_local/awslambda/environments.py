"""Lambda's execution environments offline: each function's pool of worker processes.

Each function runs in its own worker processes (:mod:`brain_local.awslambda.worker`), like
Lambda execution environments: the first invoke starts one (a cold start), later invokes
reuse an idle one (warm), and concurrent invokes start more, up to ``max_concurrency``.
A handler's exception comes back the way Lambda returns it (200, ``X-Amz-Function-Error:
Unhandled``, ``{errorType, errorMessage}``), which Step Functions turns into a named error.
The Invoke API over these pools is :mod:`brain_local.awslambda.service`.
"""

from __future__ import annotations

import json
import logging
import os
import random
import select
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from brain_local.chaos.faults import RateFault

#: How many environments ``FunctionPool.warm`` starts at once (a start is mostly imports: CPU).
WARM_STARTS_AT_ONCE = 4

log = logging.getLogger("brain.lambda")


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    handler: str
    environment: dict[str, str]
    timeout_seconds: int
    memory_mb: int
    arn: str


@dataclass(frozen=True)
class InvokeFaultRates:
    """Per function: the handler raises, or the worker process dies mid-invoke.

    A death comes at a seeded point of the invoke: a fraction of the function's usual duration
    after the handler starts (0 = as the request arrives), or as it returns if it is done sooner.
    Whatever the handler wrote before that point stays written, as when an execution
    environment is lost on Lambda; the invoke ends in ``Runtime.ExitError``.
    """

    raise_rate: float = 0.0
    die_rate: float = 0.0
    #: Every invoke takes this much longer: a slow function (for tests of what runs at once).
    delay_ms: float = 0.0


@dataclass
class FunctionStats:
    invocations: int = 0
    errors: int = 0
    cold_starts: int = 0
    #: Cold starts' init times (spawn -> handler ready): traffic waited for these.
    init_ms: list[float] = field(default_factory=list)
    #: Environments started ahead of traffic (``warm``): never counted as cold starts.
    provisioned: int = 0
    duration_ms: list[float] = field(default_factory=list)


def trace_header(sampled: bool = False) -> str:
    """An X-Ray trace header like the one Lambda gives each invocation (unsampled offline:
    no daemon listens)."""
    root = f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
    return f"Root={root};Parent={uuid.uuid4().hex[:16]};Sampled={int(sampled)}"


class WorkerDied(RuntimeError):
    pass


class WorkerTimedOut(RuntimeError):
    pass


class Worker:
    """One execution environment: a child process serving one invoke at a time."""

    def __init__(self, spec: FunctionSpec, log_file):
        self.spec = spec
        started = time.perf_counter()
        env = dict(spec.environment)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "brain_local.awslambda.worker", spec.handler],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log_file,
            env=env,
            text=True,
            bufsize=1,
        )
        hello = self._read(time.monotonic() + 30)
        if "initError" in hello:
            self.process.wait(timeout=5)
            raise WorkerDied(json.dumps(hello["initError"]))
        #: Spawn to ready, as the parent sees it: process start, imports, clients (Lambda's Init Duration).
        self.init_ms = round((time.perf_counter() - started) * 1000, 2)
        self.reported_init_ms = hello.get("initMs")

    def _read(self, deadline: float) -> dict:
        remaining = deadline - time.monotonic()
        replies = self.process.stdout
        assert replies is not None  # a pipe: Popen(stdout=PIPE) above
        ready, _, _ = select.select([replies], [], [], max(remaining, 0))
        if not ready:
            raise WorkerTimedOut(f"{self.spec.name} did not answer in time")
        line = replies.readline()
        if not line:
            raise WorkerDied(f"{self.spec.name}: the execution environment exited (code {self.process.poll()})")
        return json.loads(line)

    def invoke(self, payload, request_id: str, fault: dict) -> dict:
        deadline_ms = time.time() * 1000 + self.spec.timeout_seconds * 1000
        request = {
            "payload": payload,
            "requestId": request_id,
            "deadlineMs": deadline_ms,
            "traceHeader": trace_header(),
            **fault,
        }
        requests = self.process.stdin
        assert requests is not None  # a pipe: Popen(stdin=PIPE) above
        requests.write(json.dumps(request, separators=(",", ":")) + "\n")
        requests.flush()
        return self._read(time.monotonic() + self.spec.timeout_seconds)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.process.kill()
        self.process.wait(timeout=5)


class FunctionPool:
    """The execution environments of one function."""

    def __init__(
        self,
        spec: FunctionSpec,
        log_dir: Path,
        max_concurrency: int = 64,
        faults: InvokeFaultRates = InvokeFaultRates(),
        seed: int = 0,
    ):
        self.spec = spec
        self.max_concurrency = max_concurrency
        self._seed = seed
        self.faults = faults
        self.stats = FunctionStats()
        self._idle: list[Worker] = []
        self._busy = 0
        self._lock = threading.Condition()
        log_dir.mkdir(parents=True, exist_ok=True)
        # The workers write to it for the pool's whole life; stop() closes it.
        self._log = open(log_dir / f"{spec.name}.log", "a", buffering=1)  # noqa: SIM115

    def _acquire(self) -> tuple[Worker | None, bool]:
        with self._lock:
            while not self._idle and self._busy >= self.max_concurrency:
                self._lock.wait()
            self._busy += 1
            if self._idle:
                return self._idle.pop(), False
        return None, True

    def _release(self, worker: Worker | None, healthy: bool) -> None:
        with self._lock:
            self._busy -= 1
            if worker is not None and healthy:
                self._idle.append(worker)
            elif worker is not None:
                worker.stop()
            self._lock.notify()

    def warm(self, count: int) -> None:
        """Start ``count`` environments ahead of traffic (provisioned concurrency's analogue),
        a few at a time: each start is mostly imports, bound by the machine's cores."""
        with ThreadPoolExecutor(max_workers=WARM_STARTS_AT_ONCE, thread_name_prefix="warm") as starts:
            workers = list(starts.map(lambda _: Worker(self.spec, self._log), range(count)))
        with self._lock:
            self._idle.extend(workers)
        self.stats.provisioned += count
        log.info("%s: %d environments provisioned", self.spec.name, count)

    def _start(self) -> Worker:
        worker = Worker(self.spec, self._log)
        self.stats.cold_starts += 1
        self.stats.init_ms.append(worker.init_ms)
        log.info("%s: cold start %.0f ms", self.spec.name, worker.init_ms)
        return worker

    @property
    def faults(self) -> InvokeFaultRates:
        return self._rates

    @faults.setter
    def faults(self, rates: InvokeFaultRates) -> None:
        """Fault rates can change while the pool runs (tests do); counts start again."""
        self._rates = rates
        self._die = RateFault(rates.die_rate, f"{self._seed}:{self.spec.name}:die")
        self._die_at = random.Random(f"{self._seed}:{self.spec.name}:die-at")
        self._raise = RateFault(rates.raise_rate, f"{self._seed}:{self.spec.name}:raise")

    @property
    def injected(self) -> dict[str, int]:
        return {"raise": self._raise.count, "die": self._die.count}

    def _usual_duration_ms(self) -> float:
        recent = sorted(self.stats.duration_ms[-50:])
        return recent[len(recent) // 2] if recent else 200.0

    def _fault(self) -> dict:
        if self._die():
            return {"dieAfterMs": round(self._die_at.random() * self._usual_duration_ms(), 1)}
        if self._raise():
            return {"raise": True}
        return {}

    def invoke(self, payload) -> tuple[object, str | None]:
        """(result or error payload, function error kind or None)."""
        worker, cold = self._acquire()
        healthy = False
        request_id = str(uuid.uuid4())
        self.stats.invocations += 1
        try:
            if worker is None:
                worker = self._start()
            if self.faults.delay_ms:
                time.sleep(self.faults.delay_ms / 1000)
            answer = worker.invoke(payload, request_id, self._fault())
            healthy = True
            self.stats.duration_ms.append(answer.get("durationMs", 0.0))
            if "error" in answer:
                self.stats.errors += 1
                return answer["error"], "Unhandled"
            return answer["result"], None
        except WorkerTimedOut as exc:
            self.stats.errors += 1
            return {
                "errorType": "Sandbox.Timedout",
                "errorMessage": f"Task timed out after {self.spec.timeout_seconds} seconds: {exc}",
            }, "Unhandled"
        except WorkerDied as exc:
            self.stats.errors += 1
            return {"errorType": "Runtime.ExitError", "errorMessage": str(exc)}, "Unhandled"
        finally:
            self._release(worker, healthy and worker is not None and worker.alive())

    def stop(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()
        self._log.close()


def worker_environment(spec_env: dict[str, str], extra: dict[str, str]) -> dict[str, str]:
    """A clean environment, as Lambda gives one: the function's settings, nothing inherited."""
    base = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV") if k in os.environ}
    return {**base, **spec_env, **extra}
