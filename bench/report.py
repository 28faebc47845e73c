"""Results: the figures, the DESIGN §6 budgets beside them, and latest.json / .md / .png."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from bench.coldstart import COMPUTE_ONLY_BUDGET_MS, FLOOR_FACTOR_BUDGET, PACKAGE_BUDGET_BYTES
from bench.scenarios import STATES, STEPS, MessageSample
from bench.stats import median, ratio, summary

SCHEMA = 1
#: DESIGN §6: the pushed client (the client API, the main row).
OVERHEAD_P50_BUDGET_MS = 80.0
OVERHEAD_P95_BUDGET_MS = 200.0
#: The polling client (the boto3 path), kept as the second row with its old budget.
POLLING_OVERHEAD_P50_BUDGET_MS = 100.0
POLLING_OVERHEAD_P95_BUDGET_MS = 250.0
FIRST_VERSION_TEXT_RATIO_BUDGET = 5.0
TOTAL_RATIO_BUDGET = 1.0
LOAD_OVERHEAD_P95_BUDGET_MS = 300.0


# -- figures -----------------------------------------------------------------------------------


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
        "steps": {step: summary(s.steps.get(step) for s in samples) for step in STEPS},
        "cpuMsPerMessage": {
            name: summary(s.cpu_ms.get(name) for s in samples)
            for name in ("stack", "workers", "bench")
            if any(name in s.cpu_ms for s in samples)
        },
    }


#: Each Task state and the agent that runs in it: state time - agent time = what it cost to get
#: there and back (the engine's lambda.invoke, the Invoke endpoint, the worker's pipe, a wait for
#: a free execution environment).
STATE_STEPS = {
    "Perception": "perception",
    "Language": "language",
    "Reasoning": "reasoning",
    "Emotional": "emotional",
    "Depth": "depth",
    "SelfReview": "selfReview",
}


def orchestration_figures(samples: list[MessageSample]) -> dict:
    figures = {"states": {state: summary(s.states.get(state) for s in samples) for state in STATES}}
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
    return {key: round(median(values), 1) for key, values in sorted(points.items())}


def build_results(
    *,
    run: dict,
    warm: list[MessageSample],
    first_version: list[MessageSample],
    polling: list[MessageSample] | None = None,
    cold_start: dict,
    packages: list[dict],
    load,
    health_after: dict | None,
) -> dict:
    warm_figures = latency_figures(warm)
    warm_figures.update(orchestration_figures(warm))
    first_figures = latency_figures(first_version)
    first_figures["timelineMedianMs"] = _first_version_timeline(first_version)
    ratios = {}
    for p in ("p50", "p95"):
        ratios[f"timeToTextFirstVersionOverWarm_{p}"] = ratio(
            first_figures["firstTextMs"][p], warm_figures["firstTextMs"][p]
        )
        ratios[f"totalWarmOverFirstVersion_{p}"] = ratio(warm_figures["totalMs"][p], first_figures["totalMs"][p])
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
    results["budgets"] = budgets(results)
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
        for step in STEPS:
            elapsed += s.steps.get(step, 0.0)
            ends.setdefault(step, []).append(elapsed)
    return {step: round(median(values), 1) for step, values in ends.items()}


# -- budgets -----------------------------------------------------------------------------------


def _budget(name: str, limit: str, measured: str, passed: bool | None, note: str = "") -> dict:
    if measured == "n/a":
        verdict = "NOT MEASURED"
    else:
        verdict = "INFO" if passed is None else ("PASS" if passed else "FAIL")
    return {"budget": name, "limit": limit, "measured": measured, "verdict": verdict, "note": note}


def _ms(value) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.1f} ms" if abs(value) < 10 else f"{value:,.0f} ms"


def _le(value, limit) -> bool | None:
    return None if value is None else value <= limit


def budgets(results: dict) -> list[dict]:
    """Every DESIGN §6 budget with its measured value and PASS / FAIL (INFO: no verdict)."""
    rows = []
    overhead = results["warm"]["ttftOverheadMs"]
    basis = (
        "the configured TTFT"
        if results["run"]["settings"]["model"] == "scripted"
        else "the language agent's measured modelTtftMs"
    )
    rows.append(
        _budget(
            "TTFT overhead, warm, p50",
            f"<= {OVERHEAD_P50_BUDGET_MS:.0f} ms",
            _ms(overhead["p50"]),
            _le(overhead["p50"], OVERHEAD_P50_BUDGET_MS),
            f"model's own TTFT = {basis}",
        )
    )
    rows.append(
        _budget(
            "TTFT overhead, warm, p95",
            f"<= {OVERHEAD_P95_BUDGET_MS:.0f} ms",
            _ms(overhead["p95"]),
            _le(overhead["p95"], OVERHEAD_P95_BUDGET_MS),
            "pushed: POST accepted -> first chunk event at the subscribed client",
        )
    )
    if results.get("warmPolling"):
        polled = results["warmPolling"]["ttftOverheadMs"]
        for p, limit in (("p50", POLLING_OVERHEAD_P50_BUDGET_MS), ("p95", POLLING_OVERHEAD_P95_BUDGET_MS)):
            rows.append(
                _budget(
                    f"TTFT overhead, warm, polling client, {p}",
                    f"<= {limit:.0f} ms",
                    _ms(polled[p]),
                    _le(polled[p], limit),
                    "the boto3 path, beside the pushed row: PutItem -> first chunk seen by a 10 ms poll",
                )
            )
    ratios = results["firstVersionRatios"]
    for p in ("p50", "p95"):
        value = ratios[f"timeToTextFirstVersionOverWarm_{p}"]
        rows.append(
            _budget(
                f"First version / warm, time to first text, {p}",
                f">= {FIRST_VERSION_TEXT_RATIO_BUDGET:.0f}x",
                "n/a" if value is None else f"{value:.2f}x",
                None if value is None else value >= FIRST_VERSION_TEXT_RATIO_BUDGET,
                f"{_ms(results['firstVersion']['firstTextMs'][p])} vs {_ms(results['warm']['firstTextMs'][p])}",
            )
        )
    for p in ("p50", "p95"):
        value = ratios[f"totalWarmOverFirstVersion_{p}"]
        rows.append(
            _budget(
                f"Warm / first version, total time, {p}",
                f"<= {TOTAL_RATIO_BUDGET:.1f}",
                "n/a" if value is None else f"{value:.3f}",
                _le(value, TOTAL_RATIO_BUDGET),
                f"{_ms(results['warm']['totalMs'][p])} vs {_ms(results['firstVersion']['totalMs'][p])}",
            )
        )
    cold = results["coldStart"]
    for row in cold["functions"]:
        if "passed" in row:
            rows.append(
                _budget(
                    f"Cold start, {row['function']} (net of bare)",
                    row["budget"],
                    f"{_ms(row['netMs'])} ({row['vsFloor']:.2f}x floor)",
                    row["passed"],
                    f"median of {cold['repeats']}; floor {_ms(cold['floorNetMs'])} net",
                )
            )
        elif row["kind"] == "opt-in":
            rows.append(
                _budget(
                    f"Cold start, {row['function']} (net of bare)",
                    "opt-in: no budget",
                    f"{_ms(row.get('netMs'))}" + (f" ({row['vsFloor']:.2f}x floor)" if row.get("vsFloor") else ""),
                    None,
                    row.get("error") or "DESIGN §4: ~1 s; SnapStart or provisioned concurrency",
                )
            )
        elif "error" in row:
            rows.append(_budget(f"Cold start, {row['function']}", "-", "could not start", False, row["error"]))
    for row in results["packages"]:
        rows.append(
            _budget(
                f"Package, {row['function']}",
                f"<= {PACKAGE_BUDGET_BYTES // 1024} KiB",
                f"{row['bytes']:,} B ({row['kib']:,.1f} KiB)",
                row["passed"],
                "+ " + ", ".join(row["packages"]) if row["packages"] else "",
            )
        )
    load = results["load"]
    if load is not None:
        delivery = load["delivery"]
        rows.append(
            _budget(
                "Load: every message answered exactly once",
                "missing 0, duplicated 0",
                f"{delivery['messages']} messages, {delivery['replies']} replies, "
                f"{delivery['missing']} missing, {delivery['duplicated']} duplicated",
                delivery["exactlyOnce"] and delivery["messages"] > 0,
                f"reply statuses {delivery['replyStatuses']}",
            )
        )
        complete = delivery["replyStatuses"].get("complete", 0)
        rows.append(
            _budget(
                "Load: replies complete (not fallback)",
                "no budget",
                f"{complete} of {delivery['messages']}",
                None,
                "a fallback reply answers the message but is not the brain's reply",
            )
        )
        p95 = load["ttftOverheadMs"]["p95"]
        rows.append(
            _budget(
                "Load: TTFT overhead, p95",
                f"<= {LOAD_OVERHEAD_P95_BUDGET_MS:.0f} ms",
                _ms(p95),
                _le(p95, LOAD_OVERHEAD_P95_BUDGET_MS),
                f"{results['run']['settings']['load_conversations']} conversations x "
                f"{results['run']['settings']['load_messages']} messages",
            )
        )
    return rows


# -- a flat map of every figure, for bench.compare -----------------------------------------------


def flat_figures(results: dict) -> dict[str, float]:
    flat: dict[str, float] = {}

    def add_summary(prefix: str, stats: dict | None) -> None:
        for key in ("p50", "p95", "p99", "mean"):
            if stats and stats.get(key) is not None:
                flat[f"{prefix}.{key}"] = stats[key]

    for scenario in ("warm", "warmPolling", "firstVersion", "load"):
        figures = results.get(scenario)
        if not figures:
            continue
        for name in (
            "firstTextMs",
            "ttftOverheadMs",
            "overheadVsMeasuredModelTtftMs",
            "modelTtftMs",
            "serverTtftMs",
            "totalMs",
        ):
            if figures[name]["n"]:
                add_summary(f"{scenario}.{name}", figures[name])
        for step, stats in figures["steps"].items():
            add_summary(f"{scenario}.step.{step}", stats)
        for state, stats in figures.get("states", {}).items():
            add_summary(f"{scenario}.state.{state}", stats)
        for state, stats in figures.get("invokeOverheadMs", {}).items():
            add_summary(f"{scenario}.invokeOverhead.{state}", stats)
        if figures.get("pipeToExecutionStartedMs", {}).get("n"):
            add_summary(f"{scenario}.pipeToExecutionStartedMs", figures["pipeToExecutionStartedMs"])
    for name, value in results["firstVersionRatios"].items():
        if value is not None:
            flat[f"ratio.{name}"] = value
    cold = results["coldStart"]
    flat["coldStart.bare.medianMs"] = cold["bareMedianMs"]
    flat["coldStart.floor.netMs"] = cold["floorNetMs"]
    for row in cold["functions"]:
        if row.get("netMs") is not None and row["kind"] not in ("bare", "floor"):
            flat[f"coldStart.{row['function']}.netMs"] = row["netMs"]
    for row in results["packages"]:
        flat[f"package.{row['function']}.bytes"] = row["bytes"]
    if "stackIdle" in results["run"]:
        flat["stack.idleUtilisation"] = results["run"]["stackIdle"]["stackUtilisation"]
    for scenario in ("warm", "firstVersion"):
        for name, stats in (results.get(scenario) or {}).get("cpuMsPerMessage", {}).items():
            add_summary(f"{scenario}.cpuMsPerMessage.{name}", stats)
    if results["load"]:
        for key in ("missing", "duplicated"):
            flat[f"load.delivery.{key}"] = results["load"]["delivery"][key]
        flat["load.replies.fallback"] = results["load"]["delivery"]["replyStatuses"].get("fallback", 0)
        for key, value in results["load"].get("cpu", {}).get("measured", {}).items():
            if key.endswith(("MsPerMessage", "Utilisation")):
                flat[f"load.cpu.{key}"] = value
    return flat


# -- Markdown ----------------------------------------------------------------------------------


def md_table(headers: list[str], rows: list[list]) -> str:
    def cell(value) -> str:
        return "" if value is None else str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _n(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and abs(value) < 10:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def _summary_row(label: str, stats: dict) -> list:
    return [
        label,
        _n(stats["p50"]),
        _n(stats["p95"]),
        _n(stats["p99"]),
        _n(stats["mean"]),
        _n(stats["min"]),
        _n(stats["max"]),
        stats["n"],
    ]


SUMMARY_HEADERS = ["figure (ms)", "p50", "p95", "p99", "mean", "min", "max", "n"]


def budgets_table(results: dict) -> str:
    return md_table(
        ["budget (DESIGN §6)", "limit", "measured", "verdict", "note"],
        [[b["budget"], b["limit"], b["measured"], f"**{b['verdict']}**", b["note"]] for b in results["budgets"]],
    )


def markdown(results: dict) -> str:
    run = results["run"]
    settings = run["settings"]
    warm, first, load = results["warm"], results["firstVersion"], results["load"]
    out = [
        f"# Brain in Cup benchmark — {run['startedAt']}",
        "",
        f"{'QUICK' if settings['quick'] else 'FULL'} run, {run['durationS']:.0f} s; commit `{run['commit']}`"
        f"{' (with uncommitted changes)' if run['dirty'] else ''}; Python {run['python']}, {run['cpus']} CPUs.",
        f"Model: {settings['model']}, TTFT {settings['ttft_ms']:.0f} ms, {settings['tokens_per_second']:g} tokens/s, "
        f"~{settings['reply_tokens']} tokens per reply. Client poll interval {settings['poll_interval_ms']:g} ms.",
        f"Load average (1/5/15 min): at start {run['loadAverageStart']}, at end {run['loadAverageEnd']}"
        + (
            " — **a busy machine: treat the figures as noisy**"
            if max(run["loadAverageStart"][0], run["loadAverageEnd"][0]) > run["cpus"] * 0.5
            else ""
        )
        + ".",
        ""
        if "stackIdle" not in run
        else f"The stack process with no traffic uses {run['stackIdle']['stackUtilisation']:.2f} "
        "CPU seconds per second "
        f"({run['stackIdle']['stackCpuMs']:,.0f} ms in {run['stackIdle']['wallS']:g} s).",
        "",
        "## Budgets",
        "",
        budgets_table(results),
        "",
        f"## Warm ({warm['messages']} messages after {settings['warmup_messages']} unmeasured) and the first "
        f"version's shape ({first['messages']} messages), same run, interleaved",
        "",
        "*first text*: message written → first chunk visible at the client. *TTFT overhead*: first text − the "
        "model's own time to first token. *total*: message written → reply item read. The first version "
        "shows nothing until its chain has finished: its first text = its total.",
        "",
        md_table(
            SUMMARY_HEADERS,
            [
                _summary_row("warm, pushed: first text", warm["firstTextMs"]),
                _summary_row("warm, pushed: TTFT overhead (budget figure)", warm["ttftOverheadMs"]),
                *(
                    [
                        _summary_row("warm, polling: first text", results["warmPolling"]["firstTextMs"]),
                        _summary_row("warm, polling: TTFT overhead", results["warmPolling"]["ttftOverheadMs"]),
                        _summary_row("warm, polling: total", results["warmPolling"]["totalMs"]),
                    ]
                    if results.get("warmPolling")
                    else []
                ),
                _summary_row("warm: first text − measured modelTtftMs", warm["overheadVsMeasuredModelTtftMs"]),
                _summary_row("warm: modelTtftMs (language agent)", warm["modelTtftMs"]),
                _summary_row("warm: server ttftMs (createdAt → first chunk written)", warm["serverTtftMs"]),
                _summary_row("warm: total", warm["totalMs"]),
                _summary_row("first version: first text = total", first["totalMs"]),
            ],
        ),
        "",
        "CPU per message (ms of user + system time, measured around each message): the stack process (moto, "
        "the engine, the pipe, the Lambda and Bedrock endpoints: one Python process), its workers (the "
        "functions), and this benchmark's process (the polling client; for the first version, the whole chain).",
        "",
        md_table(
            SUMMARY_HEADERS,
            [_summary_row(f"warm: {name}", stats) for name, stats in warm["cpuMsPerMessage"].items()]
            + [_summary_row(f"first version: {name}", stats) for name, stats in first["cpuMsPerMessage"].items()],
        ),
        "",
        md_table(
            ["ratio", "p50", "p95", "budget"],
            [
                [
                    "first version ÷ warm, time to first text",
                    _n(results["firstVersionRatios"]["timeToTextFirstVersionOverWarm_p50"]),
                    _n(results["firstVersionRatios"]["timeToTextFirstVersionOverWarm_p95"]),
                    ">= 5",
                ],
                [
                    "warm ÷ first version, total",
                    results["firstVersionRatios"]["totalWarmOverFirstVersion_p50"],
                    results["firstVersionRatios"]["totalWarmOverFirstVersion_p95"],
                    "<= 1.0",
                ],
            ],
        ),
        "",
        "### Per step (warm)",
        "",
        "Agent: each handler's own measurement, from the reply's `timings`. State: entered → exited in the "
        "execution history (`brain_local.runs`). State − agent: getting there and back (the engine's "
        "`lambda.invoke`, the Invoke endpoint, the worker pipe, any wait for a free environment). Pipe: message "
        "written → the execution's ExecutionStarted event. First version: the same agent logic in-process.",
        "",
        md_table(STEP_HEADERS + ["first version p50", "first version p95"], _step_rows(warm, first)),
        "",
        "### Timeline (warm, medians, ms after the message was written)",
        "",
        md_table(
            ["event", "ms"], [[k, _n(v)] for k, v in sorted(warm["timelineMedianMs"].items(), key=lambda kv: kv[1])]
        ),
        "",
        _cold_start_section(results),
    ]
    if load is not None:
        delivery = load["delivery"]
        out += [
            f"## Load: {settings['load_conversations']} concurrent conversations × {settings['load_messages']} "
            f"messages (after one unmeasured round at the same concurrency)",
            "",
            md_table(
                SUMMARY_HEADERS,
                [
                    _summary_row("first text", load["firstTextMs"]),
                    _summary_row("TTFT overhead", load["ttftOverheadMs"]),
                    _summary_row("first text − measured modelTtftMs", load["overheadVsMeasuredModelTtftMs"]),
                    _summary_row("server ttftMs (createdAt → first chunk written)", load["serverTtftMs"]),
                    _summary_row("total", load["totalMs"]),
                ],
            ),
            "",
            md_table(
                ["messages", "replies", "missing", "duplicated", "unexpected replies", "reply statuses"],
                [
                    [
                        delivery["messages"],
                        delivery["replies"],
                        delivery["missing"],
                        delivery["duplicated"],
                        delivery["unexpectedReplies"],
                        delivery["replyStatuses"],
                    ]
                ],
            ),
            "",
            _load_cpu_table(load.get("cpu", {})),
            "",
            "Each load conversation is a signed-in client of its own with its own WebSocket, through the "
            "client API: first text is the first chunk event's arrival, total the reply event's.",
            "",
            md_table(STEP_HEADERS, _step_rows(load, None)),
            "",
        ]
    if results.get("stackHealthAfterRun"):
        functions = results["stackHealthAfterRun"].get("functions", {})
        out += [
            "## The stack after the run",
            "",
            f"Pipe: {results['stackHealthAfterRun'].get('pipe')}",
            "",
            md_table(
                ["function", "invocations", "errors", "environments started", "their init ms (median)"],
                [
                    [name, f["invocations"], f["errors"], f["coldStarts"], _n(median(f["initMs"]))]
                    for name, f in functions.items()
                ],
            ),
            "",
        ]
    return "\n".join(out) + "\n"


def _load_cpu_table(cpu: dict) -> str:
    if not cpu:
        return ""
    rows = []
    for round_name, figures in cpu.items():
        rows.append(
            [
                round_name,
                _n(figures.get("wallS")),
                *(
                    f"{_n(figures.get(name))} ({figures.get(name + 'Utilisation', '')})"
                    for name in ("stack", "workers", "bench")
                ),
                _n(figures.get("stackMsPerMessage")),
            ]
        )
    return (
        "CPU during the load (ms of CPU, and in brackets CPU seconds per wall second; the stack is one "
        "Python process, so near 1.0 it is bound by its interpreter lock):\n\n"
        + md_table(["round", "wall s", "stack process", "workers", "bench process", "stack ms / message"], rows)
    )


def _step_rows(figures: dict, first: dict | None) -> list[list]:
    pairs = [
        (None, "pipe"),
        ("perception", "Perception"),
        ("language", "Language"),
        (None, "PostProcess"),
        ("reasoning", "Reasoning"),
        ("emotional", "Emotional"),
        ("depth", "Depth"),
        ("selfReview", "SelfReview"),
    ]
    rows = []
    for step, state in pairs:
        if state == "pipe":
            pipe = figures["pipeToExecutionStartedMs"]
            rows.append(
                ["(written → execution started)", "", "", "pipe", _n(pipe["p50"]), _n(pipe["p95"]), "", ""]
                + (["", ""] if first else [])
            )
            continue
        agent = figures["steps"].get(step) if step else None
        state_stats = figures["states"].get(state)
        overhead = figures["invokeOverheadMs"].get(state)
        row = [
            step or "(parallel)",
            _n(agent and agent["p50"]),
            _n(agent and agent["p95"]),
            state,
            _n(state_stats and state_stats["p50"]),
            _n(state_stats and state_stats["p95"]),
            _n(overhead and overhead["p50"]),
            _n(overhead and overhead["p95"]),
        ]
        if first:
            fv = first["steps"].get(step) if step else None
            row += [_n(fv and fv["p50"]), _n(fv and fv["p95"])]
        rows.append(row)
    return rows


STEP_HEADERS = [
    "step",
    "agent p50",
    "agent p95",
    "state",
    "state p50",
    "state p95",
    "state − agent p50",
    "state − agent p95",
]


def _cold_start_section(results: dict) -> str:
    cold = results["coldStart"]
    sizes = {p["function"]: p for p in results["packages"]}
    rows = []
    for row in cold["functions"]:
        if "error" in row:
            rows.append([row["function"], "", "", "", "", "", "could not start", "", ""])
            continue
        package = sizes.get(row["function"])
        rows.append(
            [
                row["function"],
                _n(row["medianMs"]),
                _n(row["netMs"]),
                "" if row["vsFloor"] is None else f"{row['vsFloor']:.2f}x",
                _n(row["rssMedianMiB"]),
                row.get("budget", ""),
                {True: "**PASS**", False: "**FAIL**"}.get(row.get("passed"), ""),
                f"{package['bytes']:,}" if package else "",
                f"{package['kib']:,.1f}" if package else "",
            ]
        )
    return "\n".join(
        [
            f"## Cold start (median of {cold['repeats']} fresh workers each, sequential, no stack running) "
            "and package size",
            "",
            "Spawn → handler ready (imports and clients), as `brain_local.lambda_service.Worker` measures it; *net* = "
            f"minus the bare interpreter's median ({_n(cold['bareMedianMs'])} ms). Floor = boto3 + Powertools "
            f"Logger/Metrics/Tracer + one client: {_n(cold['floorNetMs'])} ms net. Package = agents/__init__.py + "
            "agents/<agent>/ + brain_core/ + FUNCTION_PACKAGES, uncompressed, without byte code.",
            "",
            md_table(
                [
                    "function",
                    "median ms",
                    "net ms",
                    "× floor",
                    "RSS MiB",
                    "budget",
                    "verdict",
                    "package bytes",
                    "package KiB",
                ],
                rows,
            ),
            "",
        ]
    )


# -- the picture -------------------------------------------------------------------------------


def write_png(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    samples = results["samples"]
    figure = plt.figure(figsize=(15, 15), constrained_layout=True)
    grid = figure.add_gridspec(3, 2, height_ratios=[1, 1.15, 1])
    settings = results["run"]["settings"]
    figure.suptitle(
        f"Brain in Cup benchmark {results['run']['startedAt']} — "
        f"{'quick' if settings['quick'] else 'full'}, model {settings['model']} "
        f"(TTFT {settings['ttft_ms']:.0f} ms, {settings['tokens_per_second']:g} tok/s, "
        f"~{settings['reply_tokens']} tokens), load avg {results['run']['loadAverageStart'][0]:.1f}"
        f"→{results['run']['loadAverageEnd'][0]:.1f}",
        fontsize=12,
    )

    def values(scenario: str, key: str) -> list[float]:
        return [s[key] for s in samples[scenario] if s.get(key) is not None]

    # Time to first visible text, per scenario.
    axis = figure.add_subplot(grid[0, 0])
    groups = [("warm", "warm"), ("load", "load"), ("firstVersion", "first version")]
    data = [(label, values(key, "first_text_ms")) for key, label in groups if values(key, "first_text_ms")]
    if data:
        axis.boxplot([d for _, d in data], showfliers=True, whis=(5, 95))
        axis.set_xticks(range(1, len(data) + 1), [label for label, _ in data])
    axis.set_yscale("log")
    axis.set_ylabel("ms (log scale)")
    axis.set_title("Time to first visible text (message written → first chunk seen)\nwhiskers p5–p95")
    axis.axhline(settings["ttft_ms"], color="grey", linestyle=":", label="model's own TTFT")
    axis.legend(loc="upper left")

    # TTFT overhead with its budgets.
    axis = figure.add_subplot(grid[0, 1])
    data = [(label, values(key, "ttft_overhead_ms")) for key, label in groups[:2] if values(key, "ttft_overhead_ms")]
    if data:
        axis.boxplot([d for _, d in data], showfliers=True, whis=(5, 95))
        axis.set_xticks(range(1, len(data) + 1), [label for label, _ in data])
    for limit, label, style in (
        (OVERHEAD_P50_BUDGET_MS, "warm p50 budget", "--"),
        (OVERHEAD_P95_BUDGET_MS, "warm p95 budget", "-."),
        (LOAD_OVERHEAD_P95_BUDGET_MS, "load p95 budget", ":"),
    ):
        axis.axhline(limit, color="tab:red", linestyle=style, linewidth=1, label=label)
    axis.set_yscale("log")
    axis.set_ylabel("ms (log scale)")
    axis.set_title("TTFT overhead (first text − model's own TTFT)")
    axis.legend(loc="upper left")

    _timeline_axis(figure.add_subplot(grid[1, :]), results)

    # Cold start, net of the bare interpreter.
    axis = figure.add_subplot(grid[2, 0])
    rows = [r for r in results["coldStart"]["functions"] if r["kind"] != "bare" and "medianMs" in r]
    names = [r["function"] for r in rows]
    nets = [r["netMs"] for r in rows]
    bare = results["coldStart"]["bareMedianMs"]
    lows = [r["netMs"] - (min(r["samplesMs"]) - bare) for r in rows]
    highs = [(max(r["samplesMs"]) - bare) - r["netMs"] for r in rows]
    colours = [
        "tab:grey" if r["kind"] in ("floor", "opt-in") else ("tab:green" if r.get("passed") else "tab:red")
        for r in rows
    ]
    axis.barh(names, nets, xerr=[lows, highs], color=colours, capsize=3)
    axis.invert_yaxis()
    axis.axvline(COMPUTE_ONLY_BUDGET_MS, color="black", linestyle="--", linewidth=1, label="100 ms (compute-only)")
    axis.axvline(
        FLOOR_FACTOR_BUDGET * results["coldStart"]["floorNetMs"],
        color="black",
        linestyle=":",
        linewidth=1,
        label="1.2× floor (AWS client)",
    )
    axis.set_xlabel("ms, net of a bare interpreter (median; bars min–max)")
    axis.set_title(f"Cold start: spawn → handler ready ({results['coldStart']['repeats']} fresh workers each)")
    axis.legend(loc="upper right")

    # Total time per scenario.
    axis = figure.add_subplot(grid[2, 1])
    data = [(label, values(key, "total_ms")) for key, label in groups if values(key, "total_ms")]
    if data:
        axis.boxplot([d for _, d in data], showfliers=True, whis=(5, 95))
        axis.set_xticks(range(1, len(data) + 1), [label for label, _ in data])
    axis.set_yscale("log")
    axis.set_ylabel("ms (log scale)")
    axis.set_title("Total (message written → reply item read; first version: → reply written)")

    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    plt.close(figure)


def _timeline_axis(axis, results: dict) -> None:
    """The median warm message from the client's point of view, beside the first version's chain."""
    marks = results["warm"]["timelineMedianMs"]
    bars: list[tuple[str, float, float, str]] = []
    if "executionStarted" in marks:
        bars.append(("pipe → execution started", 0.0, marks["executionStarted"], "tab:grey"))
    for state, colour in (
        ("Perception", "tab:blue"),
        ("Language", "tab:orange"),
        ("PostProcess", "tab:purple"),
        ("Reasoning", "tab:pink"),
        ("Emotional", "tab:pink"),
        ("Depth", "tab:pink"),
        ("SelfReview", "tab:green"),
    ):
        start, end = marks.get(f"{state}.entered"), marks.get(f"{state}.exited")
        if start is not None and end is not None:
            bars.append((f"state {state}", start, end, colour))
    if "modelCallStarted≈" in marks and "firstChunkWritten" in marks:
        bars.append(
            ("model call → first chunk written", marks["modelCallStarted≈"], marks["firstChunkWritten"], "tab:brown")
        )
    elapsed = 0.0
    for step, end in results["firstVersion"]["timelineMedianMs"].items():
        bars.append((f"first version: {step}", elapsed, end, "tab:olive"))
        elapsed = end
    labels = [b[0] for b in bars]
    axis.barh(labels, [b[2] - b[1] for b in bars], left=[b[1] for b in bars], color=[b[3] for b in bars])
    axis.invert_yaxis()
    for key, label, colour in (
        ("firstTextVisible", "warm: first text visible", "tab:red"),
        ("replyVisible", "warm: reply visible", "black"),
    ):
        if key in marks:
            axis.axvline(
                marks[key], color=colour, linestyle="--", linewidth=1.2, label=f"{label} ({marks[key]:,.0f} ms)"
            )
    fv_total = results["firstVersion"]["totalMs"]["p50"]
    if fv_total is not None:
        axis.axvline(
            fv_total,
            color="tab:olive",
            linestyle="--",
            linewidth=1.2,
            label=f"first version: first text = total ({fv_total:,.0f} ms)",
        )
    axis.set_xlabel("ms after the message was written (medians of each mark)")
    axis.set_title("Where the time goes: the warm pipeline (execution history) and the first version's chain")
    if axis.get_legend_handles_labels()[0]:
        axis.legend(loc="lower right")


# -- files -------------------------------------------------------------------------------------


def write_all(results: dict, directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = {"json": directory / "latest.json", "md": directory / "latest.md", "png": directory / "latest.png"}
    paths["json"].write_text(json.dumps(results, indent=2, default=str) + "\n")
    paths["md"].write_text(markdown(results))
    write_png(results, paths["png"])
    return paths


def console_budgets(results: dict) -> str:
    rows = [[b["budget"], b["limit"], b["measured"], b["verdict"]] for b in results["budgets"]]
    headers = ["budget (DESIGN §6)", "limit", "measured", "verdict"]
    widths = [max(len(str(r[i])) for r in rows + [headers]) for i in range(len(headers))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True))  # noqa: E731
    return "\n".join([line(headers), "  ".join("-" * w for w in widths)] + [line(r) for r in rows])
