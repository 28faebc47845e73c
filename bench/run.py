"""``make bench``: the docs/design.md §6 figures in one run, with the budgets beside them.

    python -m bench.run                 full run (< 10 min on 2 cores)
    BENCH_QUICK=1 python -m bench.run   reduced counts, about a minute
    BENCH_PHASES=load python -m bench.run   only the load scenario (phases: coldstart, warm, load)

Phases, in order: cold starts (no stack running), package sizes, then against the offline stack
started as a separate process: warm by the pushed client (the client API), by the polling client
(the boto3 path) and the first version's shape (interleaved), each warm message's execution
history, load through the pushed path (``BENCH_PHASES`` picks some of them; the report then holds
only their figures and budgets). Writes bench/results/latest.{json,md,png}.

Exits 0 whatever the budgets say; non-zero only when the benchmark itself broke (then whatever
was measured is still written, with the error).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime

from bench.settings import REPO_ROOT, BenchSettings, SettingsError

_STARTED = time.perf_counter()
#: Seconds the stack is watched with no traffic, for its idle CPU use.
IDLE_SECONDS = 3.0


def progress(line: str) -> None:
    print(f"[{time.perf_counter() - _STARTED:6.1f}s] {line}", flush=True)


def _load_average() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def run_metadata(settings: BenchSettings) -> dict:
    return {
        "startedAt": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "commit": _git("rev-parse", "--short", "HEAD") or "unknown",
        "dirty": bool(_git("status", "--porcelain")),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "loadAverageStart": _load_average(),
        "settings": settings.to_dict(),
        "phasesS": {},
    }


class Phase:
    """Times a phase into ``run['phasesS']`` and announces it."""

    def __init__(self, run: dict, name: str):
        self.run, self.name = run, name

    def __enter__(self):
        progress(f"── {self.name}")
        self.started = time.perf_counter()

    def __exit__(self, *exc):
        self.run["phasesS"][self.name] = round(time.perf_counter() - self.started, 1)


def main() -> int:
    try:
        settings = BenchSettings.from_environ()
    except SettingsError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2

    # Imported here so a settings error is reported before the heavy imports.
    from bench import coldstart, figures, report, scenarios
    from bench.load import LoadResult
    from bench.samples import MessageSample

    run = run_metadata(settings)
    logs = settings.results_dir / "logs"
    progress(
        f"Brain in Cup benchmark, {'QUICK' if settings.quick else 'FULL'} run; model {settings.model} "
        f"(TTFT {settings.ttft_ms:g} ms, {settings.tokens_per_second:g} tokens/s, ~{settings.reply_tokens} "
        f"tokens); load average {run['loadAverageStart']}"
    )
    progress(
        f"warm {settings.warm_messages} messages (+{settings.warmup_messages} warm-up) and as many through "
        f"the first version's shape; load {settings.load_conversations} x {settings.load_messages}; "
        f"cold start {settings.cold_repeats} repeats; phases: {', '.join(settings.phases)}"
    )

    run_id = scenarios.new_run_id()
    warm: list[MessageSample] = []
    polling: list[MessageSample] = []
    first_version: list[MessageSample] = []
    loads: list[LoadResult] = []
    health_after: dict | None = None
    cold_start: dict | None = None
    packages: list[dict] = []
    error: str | None = None
    try:
        if "coldstart" in settings.phases:
            with Phase(run, "cold start"):
                variants = coldstart.measure_cold_starts(
                    settings.cold_repeats, logs / "coldstart-workers.log", progress
                )
                cold_start = coldstart.cold_start_table(variants)
                packages = coldstart.package_sizes()
                progress("package sizes: " + ", ".join(f"{p['function']} {p['kib']:.1f} KiB" for p in packages))
        if "warm" in settings.phases or "load" in settings.phases:
            health_after = _against_the_stack(settings, run, run_id, logs, warm, polling, first_version, loads)
    except Exception:  # noqa: BLE001 - the benchmark broke: still write what was measured
        error = traceback.format_exc()
        progress("the benchmark broke:\n" + error)
    load = loads[0] if loads else None

    run["loadAverageEnd"] = _load_average()
    run["durationS"] = round(time.perf_counter() - _STARTED, 1)
    run["finishedAt"] = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    run["error"] = error
    if cold_start is None and not warm and load is None:
        progress("nothing was measured: no report written")
        return 1

    results = figures.build_results(
        run=run,
        warm=warm,
        polling=polling,
        first_version=first_version,
        cold_start=cold_start,
        packages=packages,
        load=load,
        health_after=health_after,
    )
    paths = report.write_all(results, settings.results_dir)
    print()
    print(report.console_budgets(results))
    print()
    print(
        f"Load average (1/5/15 min): start {run['loadAverageStart']}, end {run['loadAverageEnd']}"
        + (
            "  (busy machine: noisy figures)"
            if max(run["loadAverageStart"][0], run["loadAverageEnd"][0]) > (run["cpus"] or 1) * 0.5
            else ""
        )
    )
    print(f"Took {run['durationS']:.0f} s: " + ", ".join(f"{k} {v:.0f} s" for k, v in run["phasesS"].items()))
    for kind, path in paths.items():
        print(f"  {kind:4} {path}")
    if error:
        print(f"\nThe benchmark broke (traceback above; partial results written): {error.strip().splitlines()[-1]}")
    return 1 if error else 0


def _against_the_stack(
    settings: BenchSettings,
    run: dict,
    run_id: str,
    logs,
    warm: list,
    polling: list,
    first_version: list,
    loads: list,
) -> dict | None:
    """The phases that need the offline stack (warm, load), against one started for them;
    fills the lists given (so a failure keeps what was measured) and returns its health after."""
    from bench import execution_history, scenarios
    from bench.load import run_load
    from bench.samples import cpu_ms_between
    from bench.stack_process import StackProcess

    with Phase(run, "stack start"):
        stack = StackProcess(settings, logs / "stack.log")
        progress(f"starting the offline stack: {' '.join(stack.command[1:])}")
        stack.start()
        progress(f"stack ready at {stack.endpoint} in {stack.started_in_s:.1f} s")
    run["stackStartS"] = stack.started_in_s

    def cpu_probe() -> dict[str, float]:
        return {**stack.cpu_seconds(), "bench": time.process_time()}

    try:
        # What the stack costs doing nothing (the pipe polling the stream): the floor under every figure.
        before, idle_started = cpu_probe(), time.perf_counter()
        time.sleep(IDLE_SECONDS)
        idle = cpu_ms_between(before, cpu_probe())
        run["stackIdle"] = {
            "wallS": round(time.perf_counter() - idle_started, 2),
            "stackCpuMs": idle["stack"],
            "stackUtilisation": round(idle["stack"] / 1000 / IDLE_SECONDS, 3),
        }
        progress(
            f"idle stack: {run['stackIdle']['stackUtilisation']:.2f} CPU s per s "
            f"({idle['stack']:.0f} ms of CPU in {IDLE_SECONDS} s with no traffic)"
        )
        health = stack.health() or {}
        run["endpoint"], run["model"] = stack.endpoint, health.get("model")
        if "warm" in settings.phases:
            with Phase(run, "warm + first version"):
                measured = scenarios.run_warm_and_first_version(
                    stack.endpoint, health["model"], settings, run_id, progress, cpu_probe, health
                )
                for into, samples in zip((warm, polling, first_version), measured, strict=True):
                    into.extend(samples)
            with Phase(run, "execution history"):
                unmatched = execution_history.attach(stack.endpoint, health["stateMachineArn"], warm)
                execution_history.attach(stack.endpoint, health["stateMachineArn"], polling)
                progress(f"execution history read for {len(warm) - unmatched}/{len(warm)} warm messages")
        if "load" in settings.phases:
            with Phase(run, "load"):
                load = run_load(stack.endpoint, settings, run_id, progress, cpu_probe, health)
                loads.append(load)
                d = load.delivery
                progress(
                    f"load delivery: {d['messages']} messages, {d['replies']} replies, {d['missing']} missing, "
                    f"{d['duplicated']} duplicated"
                )
                load_unmatched = execution_history.attach(stack.endpoint, health["stateMachineArn"], load.samples)
                progress(
                    f"execution history read for {len(load.samples) - load_unmatched}/{len(load.samples)} load messages"
                )
        return stack.health()
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
