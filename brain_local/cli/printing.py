"""What the commands print: the reply as it streams, the inner life, the timings, the web line.
(Tables are :mod:`brain_local.cli.text_table`'s.)"""

from __future__ import annotations

import sys

from brain_core.contracts import TIMED_STEPS
from brain_local.cli.text_table import milliseconds

TIMING_HEADERS = ["turn", "first text", "total", "model ttft"] + list(TIMED_STEPS)


def _tty(stream) -> bool:
    return hasattr(stream, "isatty") and stream.isatty()


def dim(text: str) -> str:
    """Faint on a terminal, plain elsewhere."""
    return f"\x1b[2m{text}\x1b[0m" if _tty(sys.stdout) else text


class StreamPrinter:
    """Shows "thinking…" the moment a message is sent, replaced by the first chunk."""

    def __init__(self, out=sys.stdout, prefix: str = "brain › "):
        self.out, self.prefix = out, prefix
        self._started = False
        self._indicator = _tty(out)

    def waiting(self) -> None:
        self.out.write(self.prefix + (dim("thinking…") if self._indicator else ""))
        self.out.flush()

    def chunk(self, text: str) -> None:
        if not self._started and self._indicator:
            self.out.write("\r\x1b[K" + self.prefix)
        self._started = True
        self.out.write(text)
        self.out.flush()

    def end(self) -> None:
        self.out.write("\n")
        self.out.flush()


def print_inner_life(reply: dict, out=sys.stdout) -> None:
    emotion = reply.get("emotion", {})
    lines = [
        f"  emotion     {emotion.get('label')} (valence {emotion.get('valence')}, arousal {emotion.get('arousal')})",
        f"  sensations  {'; '.join(reply.get('sensations', []))}",
        *(f"  thought     {t}" for t in reply.get("thoughts", [])),
        f"  memories    {reply.get('memories', '')}",
        f"  reflection  {reply.get('selfReflection', '')}",
        f"  status      {reply.get('status')}"
        + (f" (degraded: {', '.join(reply['degraded'])})" if reply.get("degraded") else ""),
    ]
    sources = reply.get("insightSources") or {}
    if sources:
        lines.append("  from        " + ", ".join(f"{agent} {source}" for agent, source in sources.items()))
    if reply.get("factsRemembered"):
        lines.append(f"  remembered  {reply['factsRemembered']} new fact(s) about you, for good")
    print(dim("\n".join(lines)), file=out)


def timing_rows(exchanges) -> list[list]:
    rows = []
    for i, ex in enumerate(exchanges, 1):
        steps = (ex.reply or {}).get("timings", {})
        rows.append(
            [i, milliseconds(ex.ttft_ms), milliseconds(ex.total_ms), milliseconds(steps.get("modelTtftMs"))]
            + [milliseconds(steps.get(s)) for s in TIMED_STEPS]
        )
    return rows


def converse(client, texts, conversation_id: str, out=sys.stdout):
    """Each text sent in turn, its reply printed as it streams, then its inner life."""
    exchanges = []
    for text in texts:
        print(f"you   › {text}", file=out)
        printer = StreamPrinter(out)
        printer.waiting()
        exchange = client.send(text, conversation_id, on_chunk=printer.chunk)
        printer.end()
        reply = exchange.reply or {}
        if reply.get("content") and reply["content"] != exchange.streamed:
            print(dim(f"  (final, after self-review) {reply['content']}"), file=out)
        if reply:
            print_inner_life(reply, out)
        print(file=out)
        exchanges.append(exchange)
    return exchanges


def web_line(url: str | None, ca_file) -> str:
    """``web: <URL>`` on a line of its own (scripts look for it), and how to open it."""
    if url is None:
        return "web: not built (web/dist is missing: `make install` builds it)"
    return f"web: {url}\n  (open it and accept the local certificate once, or trust {ca_file}: README, The web chat)"
