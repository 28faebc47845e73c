"""latest.png: the distributions of first text, overhead and total per scenario, a per-step
timeline of the median warm message beside the first version's chain, and cold starts (each
panel only when the run measured its phase: BENCH_PHASES)."""

from __future__ import annotations

from pathlib import Path

from bench.budgets import (
    COMPUTE_ONLY_BUDGET_MS,
    FLOOR_FACTOR_BUDGET,
    LOAD_OVERHEAD_P95_BUDGET_MS,
    OVERHEAD_P50_BUDGET_MS,
    OVERHEAD_P95_BUDGET_MS,
)
from brain_core import workflow


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
    _boxes(axis, data, "Time to first visible text (message written → first chunk seen)\nwhiskers p5–p95")
    axis.axhline(settings["ttft_ms"], color="grey", linestyle=":", label="model's own TTFT")
    axis.legend(loc="upper left")

    # TTFT overhead with its budgets.
    axis = figure.add_subplot(grid[0, 1])
    data = [(label, values(key, "ttft_overhead_ms")) for key, label in groups[:2] if values(key, "ttft_overhead_ms")]
    _boxes(axis, data, "TTFT overhead (first text − model's own TTFT)")
    for limit, label, style in (
        (OVERHEAD_P50_BUDGET_MS, "warm p50 budget", "--"),
        (OVERHEAD_P95_BUDGET_MS, "warm p95 budget", "-."),
        (LOAD_OVERHEAD_P95_BUDGET_MS, "load p95 budget", ":"),
    ):
        axis.axhline(limit, color="tab:red", linestyle=style, linewidth=1, label=label)
    axis.legend(loc="upper left")

    if results["warm"] and results["firstVersion"]:
        _timeline_axis(figure.add_subplot(grid[1, :]), results)
    if results["coldStart"]:
        _cold_start_axis(figure.add_subplot(grid[2, 0]), results)

    # Total time per scenario.
    axis = figure.add_subplot(grid[2, 1])
    data = [(label, values(key, "total_ms")) for key, label in groups if values(key, "total_ms")]
    _boxes(axis, data, "Total (message written → reply item read; first version: → reply written)")

    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    plt.close(figure)


def _cold_start_axis(axis, results: dict) -> None:
    """Cold start, net of the bare interpreter, against its budgets."""
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


def _boxes(axis, data: list[tuple[str, list[float]]], title: str) -> None:
    """One box per (label, samples), whiskers p5-p95, on a log scale."""
    if data:
        axis.boxplot([samples for _, samples in data], showfliers=True, whis=(5, 95))
        axis.set_xticks(range(1, len(data) + 1), [label for label, _ in data])
    axis.set_yscale("log")
    axis.set_ylabel("ms (log scale)")
    axis.set_title(title)


def _state_colours() -> list[tuple[str, str]]:
    """The happy path's states, each with its bar's colour: the Parallel state purple, its
    branches pink, the other Tasks in turn blue, orange, green."""
    others = iter(("tab:blue", "tab:orange", "tab:green", "tab:cyan", "tab:olive"))
    return [
        (state.name, "tab:purple" if state.type == "Parallel" else "tab:pink" if state.in_branch else next(others))
        for state in workflow.happy_path()
        if state.runs_code
    ]


def _timeline_axis(axis, results: dict) -> None:
    """The median warm message from the client's point of view, beside the first version's chain."""
    marks = results["warm"]["timelineMedianMs"]
    bars: list[tuple[str, float, float, str]] = []
    if "executionStarted" in marks:
        bars.append(("pipe → execution started", 0.0, marks["executionStarted"], "tab:grey"))
    for state, colour in _state_colours():
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
