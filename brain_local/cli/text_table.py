"""Plain-text tables for the terminal: one printer for `brain` (timings, runs, chaos) and the
benchmark's console output (budgets, bench.compare).

Hand-written: a dozen lines, where a table library (tabulate, rich) would be one more
dependency of the offline stack for the same columns.
"""

from __future__ import annotations

from collections.abc import Sequence


def text_table(headers: Sequence[object], rows: Sequence[Sequence[object]], left: int = 1) -> str:
    """Columns padded to their widest cell, a rule under the headers; the first ``left``
    columns aligned left, the rest (numbers) right. ``None`` prints as an empty cell."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(
            cell.ljust(width) if i < left else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    return "\n".join([line(cells[0]), "  ".join("-" * w for w in widths)] + [line(row) for row in cells[1:]])


def milliseconds(value: float | None) -> str:
    """A duration for a table cell: one decimal below 10 ms, whole milliseconds (with thousands
    separators) above; empty when there is none."""
    if value is None:
        return ""
    return f"{value:.1f}" if abs(value) < 10 else f"{value:,.0f}"
