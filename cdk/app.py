#!/usr/bin/env python3
"""CDK entry point (cdk.json runs it): `npx cdk synth|deploy` from cdk/, or `bash cdk/synth.sh`."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# brain_cdk lives next to this file; brain_core at the repo root (already importable when the
# project is pip-installed, as `make install` does).
for path in (HERE, HERE.parent):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from brain_cdk.app import build_app  # noqa: E402 - importable only once sys.path has cdk/ (above)

app, _stack = build_app()
app.synth()
