"""Compare two benchmark runs figure by figure.

    python -m bench.compare OLD.json NEW.json [--all] [--threshold 0.10]

For every figure both runs have (``figures`` in the JSON: latencies in ms, ratios, cold starts,
package bytes), prints old, new and new ÷ old; ``*`` marks a change beyond the threshold
(default 10%, and by more than ``--min-delta``, default 1 ms or byte). For latencies, cold starts
and sizes, a ratio below 1 is better; for
``ratio.timeToTextFirstVersionOverWarm_*`` above 1 is better. Both runs' machine load and
settings are printed first: figures from different settings or a busy machine do not compare.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from brain_local.cli.text_table import text_table


def load(path: str) -> dict:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise SystemExit(f"bench.compare: cannot read {path}: {exc}") from exc
    if "figures" not in data:
        raise SystemExit(f"bench.compare: {path} is not a bench result (no 'figures')")
    return data


def _fmt(value) -> str:
    if value is None:
        return "-"
    return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.0f}"


def comparison_rows(old: dict, new: dict, threshold: float, min_delta: float, show_all: bool) -> list[list[str]]:
    """One row per figure: marked when it moved by more than ``threshold`` (relative) and by more
    than ``min_delta`` (absolute: sub-millisecond jitter of a 0.2 ms step is not a change)."""
    rows = []
    for name in sorted(set(old["figures"]) | set(new["figures"])):
        a, b = old["figures"].get(name), new["figures"].get(name)
        one_run_only = a is None or b is None
        change = None if one_run_only or a == 0 else b / a
        moved = not one_run_only and abs(b - a) > min_delta and (change is None or abs(change - 1) > threshold)
        if show_all or moved or one_run_only:
            rows.append([name, _fmt(a), _fmt(b), "-" if change is None else f"{change:.3f}", "*" if moved else ""])
    return rows


def settings_differences(old: dict, new: dict) -> list[str]:
    ignored = {"results_dir"}
    a, b = old["run"]["settings"], new["run"]["settings"]
    return [
        f"{k}: {a.get(k)} -> {b.get(k)}" for k in sorted(set(a) | set(b)) if k not in ignored and a.get(k) != b.get(k)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.compare", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--all", action="store_true", help="every figure, not only those that moved")
    parser.add_argument("--threshold", type=float, default=0.10, help="relative change to mark (default 0.10)")
    parser.add_argument(
        "--min-delta",
        type=float,
        default=1.0,
        help="absolute change below which nothing is marked (default 1: ms, bytes)",
    )
    args = parser.parse_args(argv)
    old, new = load(args.old), load(args.new)

    for label, data, path in (("old", old, args.old), ("new", new, args.new)):
        run = data["run"]
        print(
            f"{label}: {path}  {run.get('startedAt')}  commit {run.get('commit')}"
            f"{'+dirty' if run.get('dirty') else ''}  {'quick' if run['settings'].get('quick') else 'full'}  "
            f"load avg {run.get('loadAverageStart')} -> {run.get('loadAverageEnd')}"
        )
    differences = settings_differences(old, new)
    if differences:
        print("settings differ (figures may not compare): " + "; ".join(differences))
    print()

    rows = comparison_rows(old, new, args.threshold, args.min_delta, args.all)
    print(text_table(["figure", "old", "new", "new/old", ""], rows))
    if not args.all:
        print(
            f"\n({len(rows)} of {len(set(old['figures']) | set(new['figures']))} figures shown: those that "
            f"moved more than {args.threshold:.0%} and {args.min_delta:g}, or exist in one run only; "
            f"--all for every figure)"
        )

    verdicts_old = {b["budget"]: b["verdict"] for b in old.get("budgets", [])}
    changed = [
        (b["budget"], verdicts_old.get(b["budget"]), b["verdict"])
        for b in new.get("budgets", [])
        if verdicts_old.get(b["budget"]) != b["verdict"]
    ]
    if changed:
        print("\nbudget verdicts that changed:")
        for name, before, after in changed:
            print(f"  {name}: {before or '-'} -> {after}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
