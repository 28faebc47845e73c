"""The offline trust boundary's plain logic (issue 17): the per-user limit's windows, what
``--host`` may expose, which Cognito operations are public, the signing key, channel paths."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import pytest

from agents.api.rate_limit import RateLimiter, TooManyRequests, counters
from brain_core.config import SETTINGS
from brain_local.cli import exposure
from brain_local.cli.options import add_exposure_options
from brain_local.cognito.token_key import TokenKey
from brain_local.events.service import channel_segments, header_auth
from brain_local.frontdoor import cognito_gate

NOON = datetime(2026, 12, 1, 12, 0, 10, tzinfo=UTC).timestamp()


class CountingStore:
    """The Usage table's contract: all counters +1, or none (and which are full)."""

    def __init__(self):
        self.counts: dict[str, int] = {}

    def count(self, wanted):
        full = [i for i, c in enumerate(wanted) if self.counts.get(c.key, 0) >= c.limit]
        if not full:
            for c in wanted:
                self.counts[c.key] = self.counts.get(c.key, 0) + 1
        return full


def test_counters_are_per_minute_and_per_utc_day():
    minute, day = counters("sub-1", NOON, 20, 500)
    assert (minute.window, minute.limit, minute.resets_at) == ("minute", 20, NOON - 10 + 60)
    assert day.key == "sub-1#day#2026-12-01" and day.resets_at == datetime(2026, 12, 2, tzinfo=UTC).timestamp()
    assert minute.expires_at > minute.resets_at  # the TTL outlives the window
    assert counters("sub-1", NOON, 0, 0) == []  # 0: no limit


def test_the_21st_message_in_a_minute_is_refused_with_the_seconds_to_wait():
    store = CountingStore()
    limiter = RateLimiter(store, per_minute=20, per_day=500, clock=lambda: NOON)
    for _ in range(20):
        limiter.admit("sub-1")
    with pytest.raises(TooManyRequests) as refused:
        limiter.admit("sub-1")
    assert refused.value.status == 429 and refused.value.retry_after == 50
    assert refused.value.headers == {"Retry-After": "50"}
    assert refused.value.to_dict()["error"] == "TooManyRequests"
    assert refused.value.to_dict()["retryAfterSeconds"] == 50
    assert sum(store.counts.values()) == 40  # the refused one counted nothing
    limiter.admit("sub-2")  # another person is not affected


def test_the_daily_limit_waits_until_midnight_utc():
    clock = [NOON]
    limiter = RateLimiter(CountingStore(), per_minute=20, per_day=3, clock=lambda: clock[0])
    for minute in range(3):
        clock[0] = NOON + 60 * minute
        limiter.admit("sub-1")
    with pytest.raises(TooManyRequests) as refused:
        limiter.admit("sub-1")
    assert refused.value.retry_after == int(datetime(2026, 12, 2, tzinfo=UTC).timestamp() - clock[0])
    assert "a day" in refused.value.message


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "[::1]", "localhost", "127.0.0.2"])
def test_loopback_hosts_are_allowed_without_warning(host):
    assert exposure.check_host(host, 4566, allow_remote=False) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "::", "brain.example"])
def test_other_hosts_are_refused_unless_forced_and_then_warned(host):
    with pytest.raises(exposure.RemoteHostRefused, match="--allow-remote"):
        exposure.check_host(host, 4566, allow_remote=False)
    warning = exposure.check_host(host, 4566, allow_remote=True)
    assert warning and "offline/offline" in warning and "Cognito" in warning


def test_one_setting_for_the_limits_and_the_origins():
    parser = argparse.ArgumentParser()
    add_exposure_options(parser)
    args = parser.parse_args(["--messages-per-minute", "5", "--cors-origin", "https://localhost:5173"])
    settings = exposure.settings_from(args, SETTINGS)
    assert (settings.messages_per_minute, settings.messages_per_day) == (5, SETTINGS.messages_per_day)
    assert settings.client_api.cors_origins == ("https://localhost:5173",)
    with pytest.raises(SystemExit):
        exposure.settings_from(parser.parse_args(["--cors-origin", "*"]), SETTINGS)


@pytest.mark.parametrize("name", ["InitiateAuth", "RespondToAuthChallenge", "GetUser", "RevokeToken", "SignUp"])
def test_sign_in_operations_are_public(name):
    assert cognito_gate.is_public(name)


@pytest.mark.parametrize(
    "name", ["ListUsers", "AdminSetUserPassword", "AdminCreateUser", "CreateUserPoolClient", "DescribeUserPool"]
)
def test_administration_is_not_public(name):
    assert not cognito_gate.is_public(name)


def test_no_verifier_means_nothing_non_public_passes():
    status, _, body = cognito_gate.refusal(None, "POST", "https://x/", {}, b"{}")
    assert status == 400 and b"MissingAuthenticationTokenException" in body


def test_the_signing_key_is_made_once_and_kept_private(tmp_path):
    first = TokenKey.in_directory(tmp_path)
    again = TokenKey.in_directory(tmp_path)
    assert first.kid == again.kid and first.kid != "dummy"
    assert (tmp_path / "token-key.pem").stat().st_mode & 0o777 == 0o600
    (jwk,) = first.jwks()["keys"]
    assert jwk["alg"] == "RS256" and "d" not in jwk  # the public half only
    assert TokenKey.in_directory(tmp_path / "other").kid != first.kid


@pytest.mark.parametrize(
    ("channel", "wildcard", "segments"),
    [
        ("/brain/a-1/b", False, ["brain", "a-1", "b"]),
        ("/brain/a/*", True, ["brain", "a", "*"]),
        ("/brain/a/*", False, None),
        ("/brain/*/b", True, None),
        ("/brain/..", True, None),
        ("/brain/" + "a" * 51, False, None),
        ("/brain/" + "a" * 50, False, ["brain", "a" * 50]),
        ("/brain//b", False, None),
        ("/a/b/c/d/e/f", False, None),
        ("brain/a", False, None),
        (["/brain"], False, None),
        ("/brain/-a", False, None),
    ],
)
def test_channel_paths_follow_appsync_rules(channel, wildcard, segments):
    assert channel_segments(channel, wildcard=wildcard) == segments


def test_a_header_subprotocol_that_is_not_an_object_is_no_authorization():
    import base64

    encoded = base64.urlsafe_b64encode(b"[1, 2]").decode().rstrip("=")
    assert header_auth([f"header-{encoded}"]) == {}
