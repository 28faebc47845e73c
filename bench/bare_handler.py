"""The cold-start baseline: a handler module that imports nothing.

A worker process serving it measures what every function pays before its own imports start:
the interpreter, the site-packages scan of the venv, and :mod:`brain_local.awslambda.worker`.
Each agent's cold start is reported net of this (docs/design.md §6).
"""


def main(event, context):
    return {}
