"""Drive the web chat in a real browser and measure it inside the page.

Debian's Chromium (``/usr/bin/chromium``; ``BRAIN_CHROMIUM`` to use another) through Playwright
with the system browser: nothing is downloaded. The browser tests (tests/e2e/test_web_chat.py),
the page benchmark (``python -m bench.web_page``) and the README's screenshot use it.

Times are taken **in the page**, by a MutationObserver on the message log and a capturing click
listener, all on the page's own ``performance.now()`` clock: click → the user's bubble, click →
the ``thinking`` indicator, click → first streamed words, each growth of the brain's bubble, click
→ the inner life. No timing crosses a process boundary, so a loaded machine slows the figures
but cannot reorder them.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = os.environ.get("BRAIN_CHROMIUM", "/usr/bin/chromium")
#: Flags that work on this machine (headless, no sandbox as root, no network of its own).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium_missing() -> str | None:
    """Why the browser cannot run here, or None."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (make install)"
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        return f"no Chromium at {CHROMIUM} (make install installs Debian's chromium)"
    return None


@contextmanager
def chromium() -> Iterator:
    """A headless Chromium (Playwright ``Browser``); each context gets a fresh profile."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_FLAGS))
        try:
            yield browser
        finally:
            browser.close()


#: Installed before a send: records the click and every change of the log, on the page's clock.
PROBE = (Path(__file__).with_name("web_probe.js")).read_text()


@dataclass
class Exchange:
    """One send as the page showed it; times in ms after the click."""

    user_ms: float | None
    thinking_ms: float | None
    first_words_ms: float | None
    inner_life_ms: float | None
    #: Each visible text of the brain's bubble before the reply was final, with its time.
    growth: list[tuple[float, str]] = field(default_factory=list)
    #: Whether the thinking indicator was still there when each text was shown (it must not be).
    thinking_with_text: bool = False
    final_text: str | None = None
    status: str | None = None

    @classmethod
    def from_probe(cls, data: dict) -> Exchange:
        marks = data["marks"]
        click = marks.get("click")

        def since(name: str) -> float | None:
            value = marks.get(name)
            return None if value is None or click is None else round(value - click, 1)

        return cls(
            user_ms=since("user"),
            thinking_ms=since("thinking"),
            first_words_ms=since("firstWords"),
            inner_life_ms=since("innerLife"),
            growth=[(round(t["t"] - (click or 0), 1), t["text"]) for t in data["texts"]],
            thinking_with_text=any(t["thinking"] for t in data["texts"]),
            final_text=data["final"],
            status=data["status"],
        )


class ChatPage:
    """The web chat in one browser page, driven by its ``data-testid``s."""

    def __init__(self, page, url: str):
        self.page = page
        self.url = url

    @classmethod
    def open(cls, browser, url: str, *, width: int = 1100, height: int = 760) -> ChatPage:
        context = browser.new_context(ignore_https_errors=True, viewport={"width": width, "height": height})
        page = context.new_page()
        page.goto(url)
        return cls(page, url)

    def testid(self, name: str):
        return self.page.get_by_test_id(name)

    def sign_in(self, user: str, password: str, timeout_ms: float = 20_000) -> None:
        self.testid("sign-in-user").fill(user)
        self.testid("sign-in-password").fill(password)
        self.testid("sign-in-submit").click()
        self.testid("message-input").wait_for(state="visible", timeout=timeout_ms)

    def sign_in_error(self, user: str, password: str, timeout_ms: float = 20_000) -> str:
        """Sign in expecting a refusal: the message the page shows."""
        self.testid("sign-in-user").fill(user)
        self.testid("sign-in-password").fill(password)
        self.testid("sign-in-submit").click()
        error = self.page.locator("#error-text")
        error.wait_for(state="visible", timeout=timeout_ms)
        return error.inner_text()

    @property
    def conversation_id(self) -> str | None:
        fragment = self.page.evaluate("location.hash")
        return fragment.removeprefix("#/c/") if fragment.startswith("#/c/") else None

    def new_conversation(self) -> str:
        before = self.conversation_id
        self.page.get_by_role("button", name="New conversation").click()
        self.page.wait_for_function("(before) => location.hash !== '#/c/' + before", arg=before)
        return self.conversation_id or ""

    def send(self, text: str | None, *, press_enter: bool = False, timeout_ms: float = 60_000) -> Exchange:
        """Put ``text`` in the input (None: what is typed there already), send it with the button
        or Enter, wait for the inner life (or a failed send); what the page showed."""
        if text is not None:
            self.testid("message-input").fill(text)
        self.page.evaluate(PROBE)
        if press_enter:
            self.testid("message-input").press("Enter")
        else:
            self.testid("send").click()
        self.page.wait_for_function("window.__brainProbe.done()", timeout=timeout_ms)
        return Exchange.from_probe(self.page.evaluate("window.__brainProbe.result()"))

    def screenshot(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path))
        return path

    def wait_mid_stream(self, min_chars: int = 40, timeout_s: float = 30.0) -> bool:
        """After a send: wait until the newest brain bubble shows ``min_chars`` of text but no
        inner life yet."""
        deadline = time.monotonic() + timeout_s
        script = """(least) => {
            const b = [...document.querySelectorAll('[data-testid=message-brain]')].pop();
            const words = b ? b.querySelector('.text').textContent.length : 0;
            return words >= least && !b.querySelector('[data-testid=inner-life]');
        }"""
        while time.monotonic() < deadline:
            if self.page.evaluate(script, min_chars):
                return True
            time.sleep(0.02)
        return False

    def close(self) -> None:
        self.page.context.close()
