"""latest.md: the budgets, every scenario's figures, each step, cold starts and package sizes,
as Markdown tables."""

from __future__ import annotations

from bench.settings import PHASES
from bench.stats import median
from brain_core import workflow
from brain_core.contracts import step_name


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
        ["budget (docs/design.md §6)", "limit", "measured", "verdict", "note"],
        [[b["budget"], b["limit"], b["measured"], f"**{b['verdict']}**", b["note"]] for b in results["budgets"]],
    )


def _polling_rows(polling: dict | None) -> list[list]:
    """The polling client's row (the boto3 path), beside the pushed client's."""
    if not polling:
        return []
    return [
        _summary_row("warm, polling: first text", polling["firstTextMs"]),
        _summary_row("warm, polling: TTFT overhead", polling["ttftOverheadMs"]),
        _summary_row("warm, polling: total", polling["totalMs"]),
    ]


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
        f"~{settings['reply_tokens']} tokens per reply. Client poll interval {settings['poll_interval_ms']:g} ms."
        + _phases_note(settings)
        + _provisioned_note(settings),
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
    ]
    if warm and first:
        out += _warm_section(results)
    if results["coldStart"]:
        out.append(_cold_start_section(results))
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
            "Each load conversation is a signed-in client of its own, with its own WebSocket, through the "
            "client API: first text is its first chunk event's arrival, total its reply event's.",
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
                [
                    "function",
                    "invocations",
                    "errors",
                    "environments provisioned",
                    "cold starts (traffic waited)",
                    "their init ms (median)",
                ],
                [
                    [
                        name,
                        f["invocations"],
                        f["errors"],
                        f.get("provisioned", 0),
                        f["coldStarts"],
                        _n(median(f["initMs"])),
                    ]
                    for name, f in functions.items()
                ],
            ),
            "",
        ]
    return "\n".join(out) + "\n"


def _provisioned_note(settings: dict) -> str:
    """Says how many environments per function existed before traffic (older results: none)."""
    count = settings.get("provisioned", 0)
    if not count:
        return " No environments provisioned: each starts when traffic first needs it (BENCH_PROVISIONED=0)."
    return (
        f" {count} execution environments per function started before any traffic (`brain up --warm {count}`, "
        "provisioned concurrency's analogue): no measured message waits for a cold start."
    )


def _phases_note(settings: dict) -> str:
    """Says which phases ran when BENCH_PHASES left some out (older results have no "phases")."""
    phases = settings.get("phases")
    if not phases or set(phases) == set(PHASES):
        return ""
    return f" **Phases run: {', '.join(phases)} only** (BENCH_PHASES): the others' figures and budgets are absent."


def _warm_section(results: dict) -> list[str]:
    """Warm (pushed, polling) beside the first version's shape: figures, CPU, ratios, steps, timeline."""
    settings = results["run"]["settings"]
    warm, first = results["warm"], results["firstVersion"]
    return [
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
                *_polling_rows(results.get("warmPolling")),
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
                [
                    "Parallel state ÷ the same three insight calls in sequence",
                    results["firstVersionRatios"].get("parallelOverSequentialInsights_p50"),
                    "",
                    "<= 0.5",
                ],
            ],
        ),
        "",
        "### Per step (warm)",
        "",
        "Agent: each handler's own measurement, from the reply's `timings`. State: entered → exited in the "
        "execution history (`brain_local.stepfunctions.runs`). State − agent: getting there and back (the engine's "
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
    ]


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
    # The pipe, then each state of the happy path with the step of the agent it runs (if any).
    pairs: list[tuple[str | None, str]] = [(None, "pipe")] + [
        (step_name(state.agent) if state.agent else None, state.name)
        for state in workflow.happy_path()
        if state.runs_code
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
            "Spawn → handler ready (imports and clients), as `brain_local.awslambda.environments.Worker` measures it; "
            "*net* = "
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
