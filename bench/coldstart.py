"""Cold start per function and deployment package size per function (docs/design.md §6).

A cold start here is what Lambda reports as Init Duration, as the offline stack measures it:
:class:`brain_local.awslambda.environments.Worker` spawns ``python -m brain_local.awslambda.worker <handler>``
with the function's own environment and times spawn -> the worker's "ready" line read back
(interpreter start, the handler module's imports and the clients it creates at import).

Each function is started fresh ``repeats`` times, one worker at a time, with nothing else of the
benchmark running; the variants take turns within each round (in a shuffled order) so a drift in
the machine's load touches them all alike. One unmeasured round first warms the page cache.

Reported net of a bare interpreter measured the same way (:mod:`bench.bare_handler`), beside the
floor of any function with an AWS client (:mod:`bench.floor_handler`), medians of the same run.
"""

from __future__ import annotations

import dataclasses
import random
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.budgets import COMPUTE_ONLY_BUDGET_MS, FLOOR_FACTOR_BUDGET, PACKAGE_BUDGET_BYTES
from bench.settings import REPO_ROOT
from bench.stack_process import free_port
from bench.stats import median, ratio
from brain_core.config import FUNCTION_PACKAGES, FUNCTIONS, SETTINGS
from brain_local.awslambda.environments import FunctionSpec, Worker, WorkerDied, WorkerTimedOut

BARE = "bare interpreter"
FLOOR = "floor"
LANGCHAIN = "language (langchain)"

#: Agents that create no AWS client at import: budgeted at COMPUTE_ONLY_BUDGET_MS net (docs/design.md §6).
#: The insight agents ask the insight model (a bedrock-runtime client; depth also DynamoDB), so
#: they are budgeted as agents with an AWS client; with ``insight_model_id = none`` reasoning and
#: emotional are compute-only again (depth still writes long-term memory).
COMPUTE_ONLY: tuple[str, ...] = () if SETTINGS.insight_model_id.lower() != "none" else ("reasoning", "emotional")


@dataclass
class ColdStartVariant:
    name: str
    handler: str
    #: "bare", "floor", "compute-only", "aws-client" or "opt-in" (langchain: no budget verdict).
    kind: str
    init_ms: list[float] = field(default_factory=list)  # spawn -> ready, as the parent saw it
    in_process_ms: list[float | None] = field(default_factory=list)  # worker's own clock: imports -> ready
    rss_mib: list[float | None] = field(default_factory=list)  # resident memory once ready
    error: str | None = None  # the worker could not start (e.g. langchain-aws not installed)

    @property
    def median_ms(self) -> float | None:
        return median(self.init_ms)


def function_specs(model_client: str) -> dict[str, FunctionSpec]:
    """The FunctionSpecs the offline stack gives its workers, built by the stack's own code.

    The endpoints are a port nobody listens on: handlers create clients at import but make no
    call until invoked.
    """
    from brain_local.models.scripted import ScriptedPersonaModel
    from brain_local.stack.functions import function_specs as stack_function_specs
    from brain_local.stack.options import OfflineStackOptions

    options = OfflineStackOptions(port=free_port(), model_client=model_client)
    specs = stack_function_specs(options, ScriptedPersonaModel(), options.endpoint)
    return {spec.handler.split(".")[1]: spec for spec in specs.values()}


def variants() -> tuple[list[ColdStartVariant], dict[str, FunctionSpec]]:
    specs = function_specs("boto3")
    langchain = function_specs("langchain")["language"]
    reference = specs["reasoning"]  # the bare and floor workers get a function's environment too
    chosen = {
        BARE: dataclasses.replace(reference, name="bench-bare", handler="bench.bare_handler.main"),
        FLOOR: dataclasses.replace(reference, name="bench-floor", handler="bench.floor_handler.main"),
        **specs,
        LANGCHAIN: langchain,
    }
    kinds = {BARE: "bare", FLOOR: "floor", LANGCHAIN: "opt-in"}
    found = [
        ColdStartVariant(name, spec.handler, kinds.get(name, "compute-only" if name in COMPUTE_ONLY else "aws-client"))
        for name, spec in chosen.items()
    ]
    return found, chosen


def _rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def start_once(spec: FunctionSpec, log_file) -> tuple[float, float | None, float | None]:
    """(spawn -> ready ms as the parent saw it, the worker's own import -> ready ms, RSS MiB)."""
    worker = Worker(spec, log_file)
    try:
        return worker.init_ms, worker.reported_init_ms, _rss_mib(worker.process.pid)
    finally:
        worker.stop()


def measure_cold_starts(
    repeats: int, log_path: Path, progress: Callable[[str], None] = print
) -> list[ColdStartVariant]:
    found, specs = variants()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    order = random.Random(20261124)
    with open(log_path, "w", buffering=1) as log_file:  # the workers' stderr: import errors land here
        for round_number in range(repeats + 1):
            measured = round_number > 0  # round 0 primes the page cache
            for variant in order.sample(found, len(found)):
                if variant.error:
                    continue
                try:
                    init_ms, in_process_ms, rss = start_once(specs[variant.name], log_file)
                except (WorkerDied, WorkerTimedOut) as exc:
                    variant.error = f"{type(exc).__name__}: {exc}"[:300]
                    progress(f"cold start {variant.name}: failed to start ({variant.error}); see {log_path}")
                    continue
                if measured:
                    variant.init_ms.append(init_ms)
                    variant.in_process_ms.append(in_process_ms)
                    variant.rss_mib.append(rss)
            if measured:
                progress(
                    f"cold start {round_number}/{repeats}  "
                    + "  ".join(f"{v.name} {v.init_ms[-1]:.0f}" for v in found if v.init_ms)
                    + "  (ms, spawn to ready)"
                )
            else:
                progress("cold start priming round done (unmeasured)")
    return found


def cold_start_table(found: list[ColdStartVariant]) -> dict:
    """Medians, net of the bare interpreter, with each function's budget and verdict."""
    by_name = {v.name: v for v in found}
    bare, floor = by_name[BARE].median_ms, by_name[FLOOR].median_ms
    if bare is None or floor is None:
        raise RuntimeError(f"cold start: the {BARE} and {FLOOR} workers must start to judge the others")
    floor_net = floor - bare
    rows: list[dict[str, Any]] = []
    for variant in found:
        median_ms = variant.median_ms
        if median_ms is None:
            rows.append(
                {"function": variant.name, "kind": variant.kind, "handler": variant.handler, "error": variant.error}
            )
            continue
        net = median_ms - bare
        row = {
            "function": variant.name,
            "kind": variant.kind,
            "handler": variant.handler,
            "medianMs": round(median_ms, 1),
            "netMs": round(net, 1) if variant.kind != "bare" else 0.0,
            "vsFloor": ratio(net, floor_net) if variant.kind not in ("bare", "floor") else None,
            "samplesMs": [round(v, 1) for v in variant.init_ms],
            "inProcessMedianMs": median(variant.in_process_ms),
            "rssMedianMiB": median(variant.rss_mib),
        }
        if variant.kind == "compute-only":
            row.update(
                budget=f"<= {COMPUTE_ONLY_BUDGET_MS:.0f} ms net",
                limitMs=COMPUTE_ONLY_BUDGET_MS,
                passed=net <= COMPUTE_ONLY_BUDGET_MS,
            )
        elif variant.kind == "aws-client":
            limit = FLOOR_FACTOR_BUDGET * floor_net
            row.update(
                budget=f"<= {FLOOR_FACTOR_BUDGET}x floor ({limit:.0f} ms net)",
                limitMs=round(limit, 1),
                passed=net <= limit,
            )
        rows.append(row)
    return {
        "bareMedianMs": round(bare, 1),
        "floorNetMs": round(floor_net, 1),
        "functions": rows,
        "repeats": len(by_name[BARE].init_ms),
    }


# -- deployment packages ---------------------------------------------------------------------


def package_sizes() -> list[dict]:
    """Per function: agents/__init__.py + agents/<agent>/ + brain_core/ + FUNCTION_PACKAGES[agent]
    (beyond boto3 and the Powertools layer, which the runtime provides), uncompressed bytes."""
    # The package exactly as CDK stages it for deployment (cdk/brain_cdk/assets.py).
    if str(REPO_ROOT / "cdk") not in sys.path:
        sys.path.insert(0, str(REPO_ROOT / "cdk"))
    from brain_cdk.assets import directory_size, stage_function_package

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-packages-") as staging:
        for agent in FUNCTIONS:
            package = stage_function_package(agent, Path(staging) / agent)
            rows.append(_package_row(agent, directory_size(package), sum(1 for f in package.rglob("*") if f.is_file())))
    return rows


def _package_row(agent: str, size: int, files: int) -> dict:
    return {
        "function": agent,
        "bytes": size,
        "kib": round(size / 1024, 1),
        "files": files,
        "packages": list(FUNCTION_PACKAGES.get(agent, ())),
        "limitBytes": PACKAGE_BUDGET_BYTES,
        "passed": size <= PACKAGE_BUDGET_BYTES,
    }
