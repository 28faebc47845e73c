"""bench.compare reads the flat map of a run's figures: every figure under its own dotted name,
summaries only where they have samples, nothing for a scenario that did not run."""

from bench.figures import flat_figures


def _stats(p50: float, n: int = 3) -> dict:
    return {"n": n, "p50": p50, "p95": p50 + 1, "p99": p50 + 2, "mean": p50 + 0.5}


def _scenario(base: float) -> dict:
    empty = {"n": 0, "p50": None, "p95": None, "p99": None, "mean": None}
    return {
        "firstTextMs": _stats(base),
        "ttftOverheadMs": _stats(base + 10),
        "overheadVsMeasuredModelTtftMs": empty,
        "modelTtftMs": _stats(base + 20),
        "serverTtftMs": _stats(base + 30),
        "totalMs": _stats(base + 40),
        "steps": {"perception": _stats(5)},
        "states": {"Language": _stats(6)},
        "invokeOverheadMs": {"Perception": _stats(7)},
        "pipeToExecutionStartedMs": _stats(8),
        "cpuMsPerMessage": {"stack": _stats(9)},
    }


RESULTS = {
    "warm": _scenario(100),
    "warmPolling": None,
    "firstVersion": _scenario(200),
    "load": {
        **_scenario(300),
        "delivery": {"missing": 0, "duplicated": 1, "replyStatuses": {"complete": 9}},
        "cpu": {"measured": {"stackMsPerMessage": 12.5, "stackUtilisation": 0.4, "wallMs": 99}},
    },
    "firstVersionRatios": {"firstText": 0.25, "total": None},
    "coldStart": {
        "bareMedianMs": 40.0,
        "floorNetMs": 3.0,
        "functions": [
            {"function": "perception", "kind": "agent", "netMs": 80.0},
            {"function": "bare", "kind": "bare", "netMs": 0.0},
            {"function": "depth", "kind": "agent", "netMs": None},
        ],
    },
    "packages": [{"function": "perception", "bytes": 1234}],
    "run": {"stackIdle": {"stackUtilisation": 0.01}},
}


def test_every_figure_has_its_own_name_and_empty_summaries_are_left_out():
    flat = flat_figures(RESULTS)
    assert flat["warm.firstTextMs.p50"] == 100 and flat["warm.totalMs.p99"] == 142
    assert not any(key.startswith("warm.overheadVsMeasuredModelTtftMs") for key in flat)
    assert not any(key.startswith("warmPolling.") for key in flat)
    assert flat["firstVersion.step.perception.mean"] == 5.5 and flat["load.state.Language.p95"] == 7
    assert flat["warm.invokeOverhead.Perception.p50"] == 7 and flat["warm.pipeToExecutionStartedMs.p50"] == 8
    assert flat["warm.cpuMsPerMessage.stack.p50"] == 9 and "load.cpuMsPerMessage.stack.p50" not in flat
    assert flat["ratio.firstText"] == 0.25 and "ratio.total" not in flat
    assert flat["coldStart.bare.medianMs"] == 40.0 and flat["coldStart.perception.netMs"] == 80.0
    assert "coldStart.depth.netMs" not in flat and "coldStart.bare.netMs" not in flat
    assert flat["package.perception.bytes"] == 1234 and flat["stack.idleUtilisation"] == 0.01
    assert (flat["load.delivery.missing"], flat["load.delivery.duplicated"], flat["load.replies.fallback"]) == (0, 1, 0)
    assert flat["load.cpu.stackMsPerMessage"] == 12.5 and "load.cpu.wallMs" not in flat


def test_a_run_without_load_or_cold_starts_has_none_of_their_figures():
    flat = flat_figures({**RESULTS, "load": None, "coldStart": None, "run": {}})
    assert not any(key.startswith(("load.", "coldStart.", "stack.")) for key in flat)
