"""A run's results on disk (latest.json / .md / .png) and its budgets on the console."""

from __future__ import annotations

import json
from pathlib import Path

from bench.markdown import markdown
from bench.plot import write_png
from brain_local.cli.text_table import text_table


def write_all(results: dict, directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = {"json": directory / "latest.json", "md": directory / "latest.md", "png": directory / "latest.png"}
    paths["json"].write_text(json.dumps(results, indent=2, default=str) + "\n")
    paths["md"].write_text(markdown(results))
    write_png(results, paths["png"])
    return paths


def console_budgets(results: dict) -> str:
    rows = [[b["budget"], b["limit"], b["measured"], b["verdict"]] for b in results["budgets"]]
    return text_table(["budget (docs/design.md §6)", "limit", "measured", "verdict"], rows, left=4)
