"""The web chat, measured in a real browser: what a person sees after clicking Send, and what the page weighs.

    .venv/bin/python -m bench.web_page                 # or: make bench-web
    .venv/bin/python -m bench.web_page --messages 9    # more samples
    .venv/bin/python -m bench.web_page --screenshot docs/web-chat.png --messages 0   # the README's picture

Starts `brain up` as a separate process (bench/stack_process.py, the model settings of `make bench`:
BENCH_MODEL, BENCH_TTFT_MS, BENCH_TPS, BENCH_REPLY_TOKENS), opens the page it serves in Debian's
Chromium, signs in as ada, sends two unmeasured messages (cold functions, a cold page), then
``--messages`` measured ones, one after another. Each time is taken inside the page
(brain_local/clients/web_probe.py): click → the user's bubble, click → first streamed words, click → the
inner life. Medians (and the worst) are printed and written to bench/results/web.json with every
sample, the page's size (each built file, raw and gzip: CloudFront compresses them) and the
load average, since the machine is shared.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
import uuid
from pathlib import Path

from bench.settings import REPO_ROOT, RESULTS_DIR, BenchSettings
from bench.stack_process import StackProcess
from bench.stats import median
from brain_local.clients.web_probe import ChatPage, chromium, chromium_missing
from brain_local.cognito.identity import DEFAULT_PASSWORD

WEB_DIST = REPO_ROOT / "web" / "dist"
WARMUP = ("Hello! My name is Ada and I live in Lisbon.", "What does it feel like to float in that jar?")
MEASURED = (
    "Do you remember where I live?",
    "I love the sea and long walks by the river.",
    "What do you dream about at night?",
    "Tell me about the light in the lab.",
    "Is the fluid warm today?",
)
SCREENSHOT_MESSAGE = "Tell me, slowly, what the fluid around you feels like today."


def page_size(dist: Path = WEB_DIST) -> dict:
    """Each file the page loads (config.json is served beside them), raw and gzip-compressed bytes."""
    files = {}
    for path in sorted(dist.iterdir()):
        if path.is_file() and path.suffix in (".html", ".js", ".css"):
            data = path.read_bytes()
            files[path.name] = {"bytes": len(data), "gzip": len(gzip.compress(data, 9))}
    return {
        "files": files,
        "bytes": sum(f["bytes"] for f in files.values()),
        "gzip": sum(f["gzip"] for f in files.values()),
    }


def measure(page: ChatPage, count: int) -> list[dict]:
    for text in WARMUP:
        page.send(text)
    samples = []
    for i in range(count):
        exchange = page.send(MEASURED[i % len(MEASURED)])
        if exchange.status is None:
            raise RuntimeError(f"message {i + 1} was not answered: {exchange}")
        samples.append(
            {
                "userBubbleMs": exchange.user_ms,
                "thinkingMs": exchange.thinking_ms,
                "firstWordsMs": exchange.first_words_ms,
                "innerLifeMs": exchange.inner_life_ms,
                "growths": len(exchange.growth),
                "status": exchange.status,
            }
        )
        print(
            f"  {i + 1}: bubble {exchange.user_ms} ms, first words {exchange.first_words_ms} ms, "
            f"inner life {exchange.inner_life_ms} ms ({len(exchange.growth)} growths)",
            flush=True,
        )
    return samples


def page_load(page: ChatPage) -> dict:
    """The page's own navigation timing (a fresh profile: nothing cached)."""
    return page.page.evaluate(
        """() => { const n = performance.getEntriesByType('navigation')[0];
                   return { domContentLoadedMs: Math.round(n.domContentLoadedEventEnd),
                            loadMs: Math.round(n.loadEventEnd) }; }"""
    )


def screenshot(page: ChatPage, path: Path) -> Path:
    """The page mid-stream: words on screen, the inner life not there yet."""
    page.page.evaluate(
        "(text) => { const box = document.querySelector('[data-testid=message-input]'); box.value = text;"
        " document.querySelector('[data-testid=send]').click(); }",
        SCREENSHOT_MESSAGE,
    )
    if not page.wait_mid_stream(min_chars=110):
        raise RuntimeError("the reply never showed words without its inner life: nothing to picture mid-stream")
    return page.screenshot(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5, help="measured messages (default 5)")
    parser.add_argument("--screenshot", type=Path, help="also save a picture of the page mid-stream here")
    parser.add_argument("--width", type=int, default=1000)
    parser.add_argument("--height", type=int, default=760)
    args = parser.parse_args(argv)
    missing = chromium_missing()
    if missing:
        print(f"cannot run: {missing}", file=sys.stderr)
        return 2
    if not (WEB_DIST / "index.html").is_file():
        print("cannot run: web/dist is not built (make install)", file=sys.stderr)
        return 2
    settings = BenchSettings.from_environ()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stack = StackProcess(settings, RESULTS_DIR / "logs" / "web-stack.log")
    stack.state_dir = RESULTS_DIR / "web-state"
    stack.command[stack.command.index("--state-dir") + 1] = str(stack.state_dir)
    load_before = [round(v, 2) for v in os.getloadavg()]
    size = page_size()
    print(
        f"web chat: {size['bytes'] / 1024:.1f} KiB, {size['gzip'] / 1024:.1f} KiB gzipped "
        f"({', '.join(size['files'])}); load average {load_before}",
        flush=True,
    )
    started = time.perf_counter()
    stack.start()
    try:
        health = stack.health()
        url = (health or {}).get("clientApi", {}).get("web")
        if not url:
            raise RuntimeError(f"the stack serves no web chat: {health}")
        with chromium() as browser:
            page = ChatPage.open(browser, url, width=args.width, height=args.height)
            loaded = page_load(page)
            page.sign_in("ada", DEFAULT_PASSWORD)
            page.page.evaluate("(id) => { location.hash = '#/c/' + id; }", f"bench-web-{uuid.uuid4().hex[:8]}")
            page.page.wait_for_timeout(300)
            samples = measure(page, args.messages) if args.messages else []
            if args.screenshot:
                if not samples:
                    for text in WARMUP:
                        page.send(text)
                print(f"screenshot: {screenshot(page, args.screenshot)}")
            page.close()
    finally:
        stack.stop()

    def figure(key: str) -> dict:
        values = [s[key] for s in samples if s[key] is not None]
        return {"median": median(values), "max": max(values) if values else None}

    result = {
        "settings": settings.to_dict(),
        "messages": args.messages,
        "page": size,
        "pageLoad": loaded,
        "clickToUserBubbleMs": figure("userBubbleMs"),
        "clickToFirstWordsMs": figure("firstWordsMs"),
        "clickToInnerLifeMs": figure("innerLifeMs"),
        "samples": samples,
        "loadAverage": {"before": load_before, "after": [round(v, 2) for v in os.getloadavg()]},
        "seconds": round(time.perf_counter() - started, 1),
    }
    (RESULTS_DIR / "web.json").write_text(json.dumps(result, indent=2) + "\n")
    if samples:
        print(f"\nwarm, medians of {len(samples)} (worst) — model: {settings.model}, ttft {settings.ttft_ms} ms")
        for label, key in (
            ("click → user bubble", "clickToUserBubbleMs"),
            ("click → first streamed words", "clickToFirstWordsMs"),
            ("click → inner life", "clickToInnerLifeMs"),
        ):
            print(f"  {label:30} {result[key]['median']:>8.1f} ms  ({result[key]['max']:.1f})")
    print(
        f"  page load (fresh profile): DOMContentLoaded {loaded['domContentLoadedMs']} ms, load {loaded['loadMs']} ms"
    )
    print(f"written: {RESULTS_DIR / 'web.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
