"""The web chat's own logic, in Node: the streaming rules (seq order, no doubles, early events,
catch-up) and the reading of channel events (web/test/*.test.ts, `npm test` in web/).

Run here so that `make test` runs them; they need web/node_modules (`make install`)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "web"


def test_the_web_chats_streaming_rules_pass_their_node_tests():
    assert shutil.which("npm"), "npm is needed for the web chat (Node 20)"
    assert (WEB / "node_modules" / "esbuild").is_dir(), "web/node_modules is missing: run `make install`"
    run = subprocess.run(["npm", "test", "--silent"], cwd=WEB, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "# fail 0" in run.stdout and "# pass " in run.stdout, run.stdout[-2000:]
