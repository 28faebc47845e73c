"""A run's figures: latency summaries per scenario, each state's share from the execution
history, the first version's ratios, and one flat map of every figure for ``bench.compare``.

:func:`build_results` assembles latest.json's document; :mod:`bench.budgets` judges it,
:mod:`bench.markdown` and :mod:`bench.plot` render it.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from bench import budgets
from bench.samples import STATES, MessageSample
from bench.stats import median, ratio, summary
from brain_core import workflow
from brain_core.config import INSIGHT_AGENTS
from brain_core.contracts import TIMED_STEPS, step_name

SCHEMA = 1


def _field(samples: list[MessageSample], name: str) -> list[float]:
    return [getattr(s, name) for s in samples if getattr(s, name) is not None]


def latency_figures(samples: list[MessageSample]) -> dict:
    statuses: dict[str, int] = {}
    for s in samples:
        statuses[s.status or "none"] = statuses.get(s.status or "none", 0) + 1
    return {
        "messages": len(samples),
        "errors": [s.error for s in samples if s.error],
        "replyStatuses": statuses,
        "degradedReplies": sum(1 for s in samples if s.degraded),
        "firstTextMs": summary(_field(samples, "first_text_ms")),
        "ttftOverheadMs": summary(_field(samples, "ttft_overhead_ms")),
        "overheadVsMeasuredModelTtftMs": summary(_field(samples, "overhead_vs_measured_model_ttft_ms")),
        "modelTtftMs": summary(_field(samples, "model_ttft_ms")),
        "serverTtftMs": summary(_field(samples, "server_ttft_ms")),
        "totalMs": summary(_field(samples, "total_ms")),
        "serverTotalMs": summary(_field(samples, "server_total_ms")),
        "steps": {step: summary(s.steps.get(step) for s in samples) for step in TIMED_STEPS},
        "cpuMsPerMessage": {
            name: summary(s.cpu_ms.get(name) for s in samples)
            for name in ("stack", "workers", "bench")
            if any(name in s.cpu_ms for s in samples)
        },
    }


#: Each Task state of the happy path and the step of the agent that runs in it: state time -
#: agent time = what it cost to get there and back (the engine's lambda.invoke, the Invoke
#: endpoint, the worker's pipe, a wait for a free execution environment).
STATE_STEPS = {state.name: step_name(state.agent) for state in workflow.happy_path() if state.agent}
#: The Parallel state, whose time is compared with its three branches' calls one after another.
PARALLEL_STATE = next(state.name for state in workflow.happy_path() if state.type == "Parallel")
#: The insight agents' steps, as the first version's chain runs them, one after another.
INSIGHT_STEPS = tuple(step_name(agent) for agent in INSIGHT_AGENTS)


def sequential_insights_ms(samples: list[MessageSample]) -> list[float]:
    """Per first-version message: its three insight calls' milliseconds, added up."""
    return [sum(s.steps[step] for step in INSIGHT_STEPS) for s in samples if all(k in s.steps for k in INSIGHT_STEPS)]


def orchestration_figures(samples: list[MessageSample]) -> dict:
    figures: dict[str, Any] = {"states": {state: summary(s.states.get(state) for s in samples) for state in STATES}}
    figures["invokeOverheadMs"] = {
        state: summary(s.states[state] - s.steps[step] for s in samples if state in s.states and step in s.steps)
        for state, step in STATE_STEPS.items()
    }
    figures["pipeToExecutionStartedMs"] = summary(s.timeline.get("executionStarted") for s in samples)
    figures["executionsUnmatched"] = sum(1 for s in samples if not s.executions)
    figures["timelineMedianMs"] = timeline_medians(samples)
    return figures


def timeline_medians(samples: list[MessageSample]) -> dict[str, float]:
    """Median milliseconds after ``written`` of each execution event, of the first chunk's write
    (from the reply's ttftMs), of the model call (derived: first chunk written - modelTtftMs, so
    early by one PutItem at most) and of the client's marks."""
    points: dict[str, list[float]] = {}
    for s in samples:
        marks = dict(s.timeline)
        if s.first_chunk_written_ms is not None:
            marks["firstChunkWritten"] = s.first_chunk_written_ms
            if s.model_ttft_ms is not None:
                marks["modelCallStarted≈"] = s.first_chunk_written_ms - s.model_ttft_ms
        if s.first_text_ms is not None:
            marks["firstTextVisible"] = s.first_text_ms
        if s.total_ms is not None:
            marks["replyVisible"] = s.total_ms
        for key, value in marks.items():
            points.setdefault(key, []).append(value)
    return _rounded_medians(points)


def first_version_ratios(warm_figures: dict, first_figures: dict) -> dict[str, float | None]:
    ratios = {
        # The Parallel state's time (its three model calls at once, and the hops to them) over the
        # same three calls one after another (the first version's chain), in the same run.
        "parallelOverSequentialInsights_p50": ratio(
            warm_figures["states"][PARALLEL_STATE]["p50"], first_figures["insightsSequentialMs"]["p50"]
        ),
    }
    for p in ("p50", "p95"):
        ratios[f"timeToTextFirstVersionOverWarm_{p}"] = ratio(
            first_figures["firstTextMs"][p], warm_figures["firstTextMs"][p]
        )
        ratios[f"totalWarmOverFirstVersion_{p}"] = ratio(warm_figures["totalMs"][p], first_figures["totalMs"][p])
    return ratios


def build_results(
    *,
    run: dict,
    warm: list[MessageSample],
    first_version: list[MessageSample],
    cold_start: dict | None,
    polling: list[MessageSample] | None = None,
    packages: list[dict],
    load,
    health_after: dict | None,
) -> dict:
    # Each phase's figures, or None where the run left it out (BENCH_PHASES).
    warm_figures = first_figures = None
    ratios: dict[str, float | None] = {}
    if warm:
        warm_figures = latency_figures(warm)
        warm_figures.update(orchestration_figures(warm))
    if first_version:
        first_figures = latency_figures(first_version)
        first_figures["timelineMedianMs"] = _first_version_timeline(first_version)
        first_figures["insightsSequentialMs"] = summary(sequential_insights_ms(first_version))
    if warm_figures and first_figures:
        ratios = first_version_ratios(warm_figures, first_figures)
    load_figures = None
    if load is not None:
        load_figures = latency_figures(load.samples)
        load_figures.update(orchestration_figures(load.samples))
        load_figures["delivery"] = load.delivery
        load_figures["cpu"] = _load_cpu(load.cpu, len(load.samples))
        load_figures["warmupRound"] = {
            "messages": len(load.warmup_samples),
            "answered": sum(1 for s in load.warmup_samples if not s.error),
            "firstTextMs": summary(_field(load.warmup_samples, "first_text_ms")),
        }
    polling_figures = None
    if polling:
        polling_figures = latency_figures(polling)
        polling_figures.update(orchestration_figures(polling))
    results = {
        "schema": SCHEMA,
        "run": run,
        "warm": warm_figures,
        "warmPolling": polling_figures,
        "firstVersion": first_figures,
        "firstVersionRatios": ratios,
        "coldStart": cold_start,
        "packages": packages,
        "load": load_figures,
        "stackHealthAfterRun": health_after,
        "samples": {
            "warm": [asdict(s) for s in warm],
            "warmPolling": [asdict(s) for s in polling or []],
            "firstVersion": [asdict(s) for s in first_version],
            "load": [asdict(s) for s in load.samples] if load is not None else [],
        },
    }
    results["budgets"] = budgets.budgets(results)
    results["figures"] = flat_figures(results)
    return results


def _load_cpu(cpu: dict, messages: int) -> dict:
    """Per round: CPU ms by process kind, and each kind's utilisation (CPU seconds per wall
    second; the stack is one Python process: near 1.0 it is bound by its interpreter lock)."""
    result = {}
    for round_name, figures in cpu.items():
        wall = figures.get("wallS") or 0
        row = dict(figures)
        for name in ("stack", "workers", "bench"):
            if name in figures and wall:
                row[f"{name}Utilisation"] = round(figures[name] / 1000 / wall, 2)
        if round_name == "measured" and messages:
            row.update(
                {
                    f"{name}MsPerMessage": round(figures[name] / messages, 1)
                    for name in ("stack", "workers", "bench")
                    if name in figures
                }
            )
        result[round_name] = row
    return result


def _first_version_timeline(samples: list[MessageSample]) -> dict[str, float]:
    """Median end of each step after the chain was called (steps run one after another)."""
    ends: dict[str, list[float]] = {}
    for s in samples:
        elapsed = 0.0
        for step in TIMED_STEPS:
            elapsed += s.steps.get(step, 0.0)
            ends.setdefault(step, []).append(elapsed)
    return _rounded_medians(ends)


def _rounded_medians(values_by_key: dict[str, list[float]]) -> dict[str, float]:
    """Each key's median to 0.1, keys in order (every list has a value: a key exists because one does)."""
    medians = {key: median(values) for key, values in sorted(values_by_key.items())}
    return {key: round(value, 1) for key, value in medians.items() if value is not None}


# -- a flat map of every figure, for bench.compare ---------------------------------------------


#: A scenario's summaries that are flattened when they have samples.
_SCENARIO_SUMMARIES = (
    "firstTextMs",
    "ttftOverheadMs",
    "overheadVsMeasuredModelTtftMs",
    "modelTtftMs",
    "serverTtftMs",
    "totalMs",
)
#: A scenario's groups of summaries (step, state, ...), each under its own prefix.
_SCENARIO_GROUPS = {"steps": "step", "states": "state", "invokeOverheadMs": "invokeOverhead"}


def _summary(prefix: str, stats: dict | None) -> dict[str, float]:
    """A summary's percentiles and mean, each under ``prefix``; nothing for a missing one."""
    if not stats:
        return {}
    return {f"{prefix}.{key}": stats[key] for key in ("p50", "p95", "p99", "mean") if stats.get(key) is not None}


def _scenario_figures(scenario: str, figures: dict) -> dict[str, float]:
    flat: dict[str, float] = {}
    for name in _SCENARIO_SUMMARIES:
        if figures[name]["n"]:
            flat.update(_summary(f"{scenario}.{name}", figures[name]))
    for group, prefix in _SCENARIO_GROUPS.items():
        for key, stats in figures.get(group, {}).items():
            flat.update(_summary(f"{scenario}.{prefix}.{key}", stats))
    if figures.get("pipeToExecutionStartedMs", {}).get("n"):
        flat.update(_summary(f"{scenario}.pipeToExecutionStartedMs", figures["pipeToExecutionStartedMs"]))
    return flat


def _cold_start_figures(cold: dict | None) -> dict[str, float]:
    if not cold:
        return {}
    flat = {"coldStart.bare.medianMs": cold["bareMedianMs"], "coldStart.floor.netMs": cold["floorNetMs"]}
    for row in cold["functions"]:
        if row.get("netMs") is not None and row["kind"] not in ("bare", "floor"):
            flat[f"coldStart.{row['function']}.netMs"] = row["netMs"]
    return flat


def _load_figures(load: dict | None) -> dict[str, float]:
    if not load:
        return {}
    delivery = load["delivery"]
    flat = {f"load.delivery.{key}": delivery[key] for key in ("missing", "duplicated")}
    flat["load.replies.fallback"] = delivery["replyStatuses"].get("fallback", 0)
    for key, value in load.get("cpu", {}).get("measured", {}).items():
        if key.endswith(("MsPerMessage", "Utilisation")):
            flat[f"load.cpu.{key}"] = value
    return flat


def flat_figures(results: dict) -> dict[str, float]:
    flat: dict[str, float] = {}
    for scenario in ("warm", "warmPolling", "firstVersion", "load"):
        if results.get(scenario):
            flat.update(_scenario_figures(scenario, results[scenario]))
    flat.update({f"ratio.{name}": value for name, value in results["firstVersionRatios"].items() if value is not None})
    flat.update(_cold_start_figures(results["coldStart"]))
    flat.update({f"package.{row['function']}.bytes": row["bytes"] for row in results["packages"]})
    if "stackIdle" in results["run"]:
        flat["stack.idleUtilisation"] = results["run"]["stackIdle"]["stackUtilisation"]
    for scenario in ("warm", "firstVersion"):
        for name, stats in (results.get(scenario) or {}).get("cpuMsPerMessage", {}).items():
            flat.update(_summary(f"{scenario}.cpuMsPerMessage.{name}", stats))
    flat.update(_load_figures(results["load"]))
    return flat
