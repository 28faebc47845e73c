"""The docs/design.md §6 budgets: every limit in one place, and each one's verdict on a run's figures.

A verdict is PASS or FAIL, INFO where a row has no budget, NOT MEASURED where the run has no
figure for it. The benchmark reports verdicts; it never fails the build on them.
"""

from __future__ import annotations

from brain_local.cli.text_table import milliseconds

#: docs/design.md §6: the pushed client (the client API, the main row).
OVERHEAD_P50_BUDGET_MS = 80.0
OVERHEAD_P95_BUDGET_MS = 200.0
#: The polling client (the boto3 path), kept as the second row with its old budget.
POLLING_OVERHEAD_P50_BUDGET_MS = 100.0
POLLING_OVERHEAD_P95_BUDGET_MS = 250.0
FIRST_VERSION_TEXT_RATIO_BUDGET = 5.0
TOTAL_RATIO_BUDGET = 1.0
#: The Parallel state's p50 over the same three insight calls one after another (docs/design.md §6).
PARALLEL_RATIO_BUDGET = 0.5
#: 20 conversations x 5 messages at once, through the pushed path.
LOAD_OVERHEAD_P95_BUDGET_MS = 300.0
#: Cold start, net of a bare interpreter, of an agent with no AWS client (bench.coldstart.COMPUTE_ONLY).
COMPUTE_ONLY_BUDGET_MS = 100.0
#: Cold start of an agent with an AWS client, as a multiple of the same run's floor.
FLOOR_FACTOR_BUDGET = 1.2
#: Deployment package per function, beyond boto3 and the Powertools layer.
PACKAGE_BUDGET_BYTES = 1024 * 1024


def _budget(name: str, limit: str, measured: str, passed: bool | None, note: str = "") -> dict:
    if measured == "n/a":
        verdict = "NOT MEASURED"
    else:
        verdict = "INFO" if passed is None else ("PASS" if passed else "FAIL")
    return {"budget": name, "limit": limit, "measured": measured, "verdict": verdict, "note": note}


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{milliseconds(value)} ms"


def _le(value, limit) -> bool | None:
    return None if value is None else value <= limit


def budgets(results: dict) -> list[dict]:
    """Every docs/design.md §6 budget of the phases the run measured (BENCH_PHASES), with its measured
    value and PASS / FAIL (INFO: no verdict)."""
    rows = []
    if results["warm"]:
        rows += _warm_budgets(results)
    if results["coldStart"]:
        rows += _cold_start_budgets(results["coldStart"])
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
    if results["load"] is not None:
        rows += _load_budgets(results)
    return rows


def _warm_budgets(results: dict) -> list[dict]:
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
            "pushed: POST sent -> first chunk event at the subscribed client",
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
                    "the boto3 path beside the pushed row: PutItem returned -> first chunk seen by a 10 ms poll",
                )
            )
    if not results["firstVersion"]:
        return rows
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
    value = ratios.get("parallelOverSequentialInsights_p50")
    rows.append(
        _budget(
            "Parallel state / the same three insight calls in sequence, p50",
            f"<= {PARALLEL_RATIO_BUDGET:.1f}",
            "n/a" if value is None else f"{value:.3f}",
            _le(value, PARALLEL_RATIO_BUDGET),
            f"{_ms(results['warm']['states'].get('PostProcess', {}).get('p50'))} vs "
            f"{_ms(results['firstVersion']['insightsSequentialMs']['p50'])}",
        )
    )
    return rows


def _cold_start_budgets(cold: dict) -> list[dict]:
    rows = []
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
                    row.get("error") or "docs/design.md §4: ~1 s; SnapStart or provisioned concurrency",
                )
            )
        elif "error" in row:
            rows.append(_budget(f"Cold start, {row['function']}", "-", "could not start", False, row["error"]))
    return rows


def _load_budgets(results: dict) -> list[dict]:
    rows = []
    load = results["load"]
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
