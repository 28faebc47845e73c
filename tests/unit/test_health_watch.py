"""`brain up` says at once when the stack stops being ready, loudly when it fails, and when it recovers."""

import io
import threading

from brain_local.cli.up import watch_health


class Stack:
    def __init__(self, states, stopped):
        self.states, self.stopped = list(states), stopped

    def problems(self):
        state = self.states.pop(0)
        if not self.states:
            self.stopped.set()
        return state


def test_each_change_of_status_is_said_once_and_a_failure_loudly():
    stopped, out = threading.Event(), io.StringIO()
    states = [
        ("ready", []),
        ("degraded", ["the pipe is retrying GetRecords: timeout"]),
        ("degraded", ["the pipe is retrying GetRecords: timeout"]),
        ("ready", []),
        ("failed", ["the pipe has stopped: no new message starts a workflow (bug)"]),
    ]
    watch_health(Stack(states, stopped), stopped, every=0.001, out=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "[brain] degraded: the pipe is retrying GetRecords: timeout"
    assert lines[1].startswith("[brain] ready again (it was degraded")
    assert lines[2] == "!" * 78 and lines[3].startswith("[brain] FAILED: the pipe has stopped") and lines[4] == "!" * 78
    assert len(lines) == 5
