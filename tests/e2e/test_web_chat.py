"""The web chat in a real browser (Debian's Chromium through Playwright), against `brain up`.

The page is the built `web/dist` that `brain up` serves from its TLS front door, with the same
Cognito, HTTP API and Events socket as any client. Times are measured inside the page
(brain_local/clients/web_probe.py): the click, the user's bubble, the thinking indicator, each growth of
the brain's bubble, the inner life. Each test opens its own browser context (a fresh profile),
signs in, and works in conversations of its own; it counts only its own messages.

These tests need Chromium and the built page (`make install` provides both); where they are
missing the tests fail and say so. BRAIN_SKIP_BROWSER=1 skips them deliberately.
"""

from __future__ import annotations

import json
import os
import re
import ssl
import urllib.request
from pathlib import Path

import pytest

from brain_local.clients.api_client import SignedInClient
from brain_local.clients.web_probe import ChatPage, chromium, chromium_missing
from brain_local.cognito.identity import DEFAULT_PASSWORD
from tests.e2e.conftest import brain_up

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    os.environ.get("BRAIN_SKIP_BROWSER") == "1", reason="BRAIN_SKIP_BROWSER=1: the browser tests are skipped"
)

#: A scripted model that streams for about 1.5 s: long enough to watch the bubble grow.
STACK_OPTIONS = ("--ttft-ms", "150", "--tokens-per-second", "30", "--reply-tokens", "45")


class Stack:
    def __init__(self, endpoint: str, state: Path):
        self.endpoint = endpoint
        self.state = state
        with urllib.request.urlopen(f"{endpoint}/brain/health", timeout=5) as response:
            self.web = json.load(response)["clientApi"]["web"]
        self.tls = ssl.create_default_context(cafile=str(state / "ca.pem"))

    def get(self, path: str) -> tuple[int, bytes]:
        with urllib.request.urlopen(self.web + path.lstrip("/"), context=self.tls, timeout=10) as response:
            return response.status, response.read()

    def signed_in(self, user: str) -> SignedInClient:
        config = json.loads((self.state / "config.json").read_text())
        return SignedInClient(config, self.state / "ca.pem").sign_in(user, DEFAULT_PASSWORD)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    assert (REPO_ROOT / "web" / "dist" / "index.html").is_file(), "web/dist is not built: run `make install`"
    with brain_up(tmp_path_factory, *STACK_OPTIONS) as running:
        stack = Stack(running.endpoint, running.state)
        assert stack.web, "brain up serves no web chat"
        yield stack


@pytest.fixture(scope="module")
def browser():
    missing = chromium_missing()
    assert missing is None, f"the browser tests cannot run: {missing}"
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(stack, browser):
    chat = ChatPage.open(browser, stack.web)
    yield chat
    chat.close()


def signed_in(page: ChatPage, user: str = "ada") -> ChatPage:
    page.sign_in(user, DEFAULT_PASSWORD)
    page.new_conversation()
    return page


def draft_of(stack: Stack, user: str, conversation: str, message_id: str) -> str:
    """The reply's whole streamed draft as the API holds it (every chunk, in seq order)."""
    status, body = stack.signed_in(user).request("GET", f"/conversations/{conversation}/messages/{message_id}/chunks")
    assert status == 200, body
    return "".join(chunk["text"] for chunk in body["chunks"])


def last_message_id(page: ChatPage) -> str:
    return page.page.locator("[data-testid=message-user]").last.get_attribute("data-message-id")


# -- the page and its configuration -------------------------------------------------------------
def test_brain_up_serves_the_page_and_its_configuration_from_the_tls_origin(stack):
    status, html = stack.get("/")
    assert status == 200 and b'data-testid="message-input"' in html
    script = re.search(rb'src="(app-\w+\.js)"', html).group(1).decode()
    assert stack.get(script)[0] == 200
    config = json.loads(stack.get("/config.json")[1])
    amplify = json.loads((stack.state / "config.json").read_text())
    assert {k: v for k, v in config.items() if k != "web"} == amplify
    # moto has no SRP: the offline page signs in with USER_PASSWORD_AUTH, by configuration.
    assert config["web"] == {"signInFlow": "USER_PASSWORD_AUTH", "eventsNamespace": "brain", "maxContentChars": 4000}


# -- signing in ---------------------------------------------------------------------------------
def test_a_wrong_password_gets_a_clear_message_that_can_be_dismissed(page):
    assert page.sign_in_error("ada", "not-the-password-1") == "Wrong user name or password."
    assert page.testid("sign-in-password").get_attribute("aria-invalid") == "true"
    page.page.get_by_role("button", name="Dismiss this message").click()
    assert page.testid("error").is_hidden()
    page.sign_in("ada", DEFAULT_PASSWORD)  # and the right one works
    assert page.testid("message-input").is_visible()


def test_signing_out_returns_to_the_sign_in_form_and_stays_out_after_a_reload(page):
    signed_in(page)
    page.send("Before I go.")
    page.page.get_by_role("button", name="Sign out").click()
    page.testid("sign-in-user").wait_for(state="visible")
    assert page.testid("message-user").count() == 0 and page.testid("conversation-list").locator("li").count() == 0
    page.page.reload()
    page.testid("sign-in-user").wait_for(state="visible")
    assert page.testid("message-input").is_hidden()


# -- sending and streaming ----------------------------------------------------------------------
def test_the_bubble_and_thinking_come_at_once_then_the_reply_streams_then_the_inner_life(stack, page, tmp_path):
    signed_in(page)
    text = "Hello brain, I am Ada and I live in Lisbon."
    exchange = page.send(text)
    # At once: within 100 ms of the click (measured in the page), and before any streamed word.
    assert exchange.user_ms is not None and exchange.user_ms <= 100, exchange
    assert exchange.thinking_ms is not None and exchange.thinking_ms <= 100, exchange
    assert exchange.first_words_ms is not None and exchange.thinking_ms < exchange.first_words_ms
    assert not exchange.thinking_with_text, "the thinking indicator stayed beside the streamed words"
    # The brain's bubble grows (first words, then at least twice more) before the reply is final.
    texts = [text for _, text in exchange.growth]
    assert len(texts) >= 3, texts
    assert all(later.startswith(earlier) and later != earlier for earlier, later in zip(texts, texts[1:], strict=False))
    draft = draft_of(stack, "ada", page.conversation_id, last_message_id(page))
    assert all(draft.startswith(text) for text in texts), "a streamed text is not a prefix of the reply's draft"
    assert exchange.inner_life_ms is not None and exchange.inner_life_ms > exchange.growth[-1][0]
    assert exchange.status == "complete"

    brain = page.testid("message-brain").last
    inner = brain.get_by_test_id("inner-life")
    for label in ("emotion", "sensations", "thoughts", "memories", "reflection"):
        assert inner.locator("dt", has_text=label).count() == 1, label
    assert re.fullmatch(r"valence [+-]?\d\.\d, arousal \d\.\d", inner.locator(".affect").get_attribute("aria-label"))
    assert re.fullmatch(
        r"first words after [\d.]+ m?s · done after [\d.]+ m?s", brain.get_by_test_id("timing").inner_text()
    )
    assert brain.get_attribute("aria-busy") == "false"
    # Newest first in the list, titled by the first message.
    first = page.testid("conversation-list").locator("li").first
    assert first.get_attribute("data-conversation-id") == page.conversation_id
    assert first.inner_text() == text
    shot = page.screenshot(tmp_path / "web-chat-finished.png")
    assert shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")


def test_reloading_keeps_the_conversation_and_its_history(page):
    signed_in(page)
    conversation = page.conversation_id
    first = page.send("Remember this: the sea is green today.")
    second = page.send("And what colour is the sky?")
    page.page.reload()
    page.testid("inner-life").nth(1).wait_for(timeout=20_000)
    assert page.conversation_id == conversation
    assert page.testid("message-user").all_inner_texts() == [
        "Remember this: the sea is green today.",
        "And what colour is the sky?",
    ]
    replies = page.page.locator("[data-testid=message-brain] .text").all_inner_texts()
    assert replies == [first.final_text, second.final_text]
    assert page.testid("reply-status").all_inner_texts() == ["complete", "complete"]


def test_bob_in_another_browser_context_does_not_see_adas_conversation(stack, browser, page):
    signed_in(page, "ada")
    page.send("This is between me and the brain.")
    adas = page.conversation_id
    bob = ChatPage.open(browser, stack.web)
    try:
        bob.sign_in("bob", DEFAULT_PASSWORD)
        listed = bob.testid("conversation-list").locator("li")
        assert adas not in [listed.nth(i).get_attribute("data-conversation-id") for i in range(listed.count())]
        with bob.page.expect_response(lambda r: f"/api/conversations/{adas}/messages" in r.url) as answer:
            bob.page.evaluate("(id) => { location.hash = '#/c/' + id; }", adas)
        assert answer.value.status == 200 and answer.value.json()["items"] == []
        assert bob.testid("message-user").count() == 0
        assert bob.testid("message-brain").count() == 0
    finally:
        bob.close()


def test_enter_sends_and_shift_enter_makes_a_new_line(page):
    signed_in(page)
    box = page.testid("message-input")
    box.click()
    box.type("line one")
    box.press("Shift+Enter")
    box.type("line two")
    assert box.input_value() == "line one\nline two"
    assert page.testid("message-user").count() == 0
    exchange = page.send(None, press_enter=True)
    assert exchange.status == "complete"
    assert page.testid("message-user").last.inner_text() == "line one\nline two"
    assert box.input_value() == ""


def test_a_failed_send_keeps_the_text_shows_a_dismissible_error_and_the_retry_is_the_same_message(page):
    signed_in(page)
    posts: list[dict] = []
    page.page.on(
        "request", lambda r: posts.append(r.post_data_json) if r.method == "POST" and "/api/" in r.url else None
    )
    # A test double for the API's answer: the POST fails as an overloaded API Gateway would.
    unavailable = json.dumps({"message": "Service Unavailable"})
    page.page.route(
        "**/api/conversations/*/messages",
        lambda route: (
            route.fulfill(status=503, body=unavailable, content_type="application/json")
            if route.request.method == "POST"
            else route.fallback()
        ),
    )
    failed = page.send("Please keep these words safe.")
    assert failed.status is None
    assert page.testid("message-input").input_value() == "Please keep these words safe."
    assert "503" in page.testid("error").inner_text() and "Service Unavailable" in page.testid("error").inner_text()
    assert "failed" in page.testid("message-user").last.get_attribute("class")
    assert page.testid("thinking").count() == 0
    page.page.get_by_role("button", name="Dismiss this message").click()
    assert page.testid("error").is_hidden()

    page.page.unroute("**/api/conversations/*/messages")
    sent = page.send(None)
    assert sent.status == "complete"
    assert {p["clientMessageId"] for p in posts} == {posts[0]["clientMessageId"]}, "a retry must reuse its id"


def test_a_fallback_reply_is_shown_as_such(page):
    page.sign_in("ada", DEFAULT_PASSWORD)
    conversation = "c-fallback-shown-as-such"
    # A test double for the history route: one exchange whose reply is a fallback.
    history = {
        "conversationId": conversation,
        "items": [
            {"conversationId": conversation, "messageId": "01JFALLBACK000000000000000", "role": "user",
             "content": "Are you there?", "createdAt": "2026-11-25T10:00:00Z"},
            {"conversationId": conversation, "messageId": "01JFALLBACK000000000000000#reply", "role": "brain",
             "inReplyTo": "01JFALLBACK000000000000000", "content": "My thoughts are muddled just now.",
             "status": "fallback", "sensations": [], "thoughts": [], "memories": "", "selfReflection": "",
             "emotion": {"label": "confused", "valence": -0.2, "arousal": 0.4}, "timings": {"totalMs": 900}},
        ],
        "nextToken": None,
    }  # fmt: skip
    page.page.route(f"**/api/conversations/{conversation}/messages*", lambda route: route.fulfill(json=history))
    page.page.evaluate("(id) => { location.hash = '#/c/' + id; }", conversation)
    status = page.testid("reply-status")
    status.wait_for(timeout=10_000)
    assert status.get_attribute("data-status") == "fallback"
    assert "fallback" in status.inner_text()
    assert "fallback" in page.testid("message-brain").get_attribute("class")


def test_lost_events_and_a_dropped_socket_double_nothing(stack, page):
    """The Events socket loses two chunk events, then drops (at the 7th event, or the reply if that
    comes first): the page catches up from the API by seq; aws-amplify reconnects and subscribes
    again (after ~5 s); the next reply streams as usual."""
    seen = {"connections": 0, "data": 0}

    def flaky(socket):
        seen["connections"] += 1
        first = seen["connections"] == 1
        server = socket.connect_to_server()

        def from_server(message):
            frame = str(message).replace(" ", "")
            if first and '"type":"data"' in frame:
                seen["data"] += 1
                if seen["data"] in (3, 4):
                    return  # lost on the way: the next chunk leaves a hole in seq
                if seen["data"] >= 7 or '\\"type\\":\\"reply\\"' in frame:
                    socket.close(code=4000, reason="test: the network went away")
                    server.close()
                    return
            socket.send(message)

        server.on_message(from_server)

    page.page.route_web_socket(re.compile(r".*/event/realtime$"), flaky)
    signed_in(page)
    lossy = page.send("Tell me about the fluid in the jar, slowly.")
    assert seen["data"] >= 3, "the test did not get to drop any event"
    texts = [text for _, text in lossy.growth]
    draft = draft_of(stack, "ada", page.conversation_id, last_message_id(page))
    assert texts and all(draft.startswith(text) for text in texts), (texts, draft)
    assert lossy.status == "complete"

    for _ in range(100):  # Amplify waits ~5 s before it reconnects
        if seen["connections"] >= 2:
            break
        page.page.wait_for_timeout(200)
    assert seen["connections"] >= 2, "aws-amplify did not reconnect"
    page.page.wait_for_timeout(500)  # its subscribe goes out right after the connection
    after = page.send("And now, after the reconnect?")
    texts = [text for _, text in after.growth]
    draft = draft_of(stack, "ada", page.conversation_id, last_message_id(page))
    assert len(texts) >= 2 and all(draft.startswith(text) for text in texts), (texts, draft)
    assert after.status == "complete"


def test_the_page_works_on_a_phone_sized_screen(stack, browser, tmp_path):
    phone = ChatPage.open(browser, stack.web, width=390, height=844)
    try:
        phone.sign_in("ada", DEFAULT_PASSWORD)
        assert phone.page.locator("#sidebar").is_hidden()
        toggle = phone.page.get_by_role("button", name="Conversations")
        toggle.click()
        assert phone.page.locator("#sidebar").is_visible() and toggle.get_attribute("aria-expanded") == "true"
        phone.new_conversation()
        assert phone.page.locator("#sidebar").is_hidden()
        exchange = phone.send("Hello from a small screen.")
        assert exchange.status == "complete"
        for testid in ("message-input", "send", "message-brain"):
            box = phone.testid(testid).last.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, (testid, box)
        phone.screenshot(tmp_path / "web-chat-phone.png")
    finally:
        phone.close()
