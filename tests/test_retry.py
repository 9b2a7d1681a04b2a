"""The bounded retry policy for Google Sheets requests, on a fake clock."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import requests
from google.auth import exceptions as auth_exceptions
from gspread.exceptions import APIError
from hypothesis import given, settings
from hypothesis import strategies as st
from urllib3.exceptions import MaxRetryError, NewConnectionError

from sheetcrm.backends.retry import (
    MIN_REQUEST_SECONDS,
    NETWORK,
    RetryPolicy,
    WriteUnsure,
    classify,
)
from sheetcrm.errors import BackendError, InputError, QuotaExceeded
from tests.helpers.clock import FakeTime


def api_error(status: int, headers: dict[str, str] | None = None) -> APIError:
    """An APIError as gspread raises it for an HTTP reply with this status."""
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(
        {"error": {"code": status, "message": "Something happened.", "status": "X"}}
    ).encode()
    response.headers.update(headers or {})
    return APIError(response)


def policy(t: FakeTime, rng: Callable[[], float] = lambda: 1.0, **kw: float) -> RetryPolicy:
    return RetryPolicy(sleep=t.sleep, clock=t.clock, rng=rng, **kw)


def failing(
    exc: BaseException, times: int | None = None, result: str = "done"
) -> tuple[Callable[[], str], dict[str, int]]:
    """A call that raises ``exc`` ``times`` times (for ever when None), then returns."""
    calls = {"n": 0}

    def fn() -> str:
        calls["n"] += 1
        if times is None or calls["n"] <= times:
            raise exc
        return result

    return fn, calls


def test_schedule_doubles_up_to_the_cap_and_stops_before_the_limit() -> None:
    t = FakeTime()
    fn, calls = failing(api_error(429))
    with pytest.raises(QuotaExceeded) as info:
        policy(t).call(fn, what="reading the tracker")
    # rng() = 1.0, so each wait is min(32, 1 * 2**n): 1, 2, 4, 8, 16, 32, 32.
    # Their sum is 95 s; the next 32 s wait would end at 127 s > 120 s, so it stops.
    assert t.sleeps == [1, 2, 4, 8, 16, 32, 32]
    assert calls["n"] == 8
    assert "too many requests" in str(info.value)
    assert "reading the tracker" in str(info.value)
    assert "8 tries" in str(info.value)


def test_full_jitter_scales_each_wait_by_the_random_draw() -> None:
    t = FakeTime()
    draws = iter([0.5, 0.25, 0.0, 1.0])
    fn, calls = failing(api_error(503), times=4)
    assert policy(t, rng=lambda: next(draws)).call(fn, what="x") == "done"
    # 0.5 * 1, 0.25 * 2, 0.0 * 4, 1.0 * 8
    assert t.sleeps == [0.5, 0.5, 0.0, 8.0]
    assert calls["n"] == 5


def test_success_after_transient_failures_returns_the_result() -> None:
    t = FakeTime()
    fn, calls = failing(requests.ConnectionError("dropped"), times=2, result="values")
    assert policy(t).call(fn, what="x") == "values"
    assert t.sleeps == [1, 2]
    assert calls["n"] == 3


def test_retry_after_header_is_honoured_when_longer_than_the_jitter() -> None:
    t = FakeTime()
    fn, _ = failing(api_error(429, {"Retry-After": "7"}), times=1)
    policy(t, rng=lambda: 0.1).call(fn, what="x")
    assert t.sleeps == [7.0]  # 0.1 * 1 = 0.1 s drawn, but Google asked for 7 s


def test_retry_after_beyond_the_limit_gives_up_at_once() -> None:
    t = FakeTime()
    fn, calls = failing(api_error(429, {"Retry-After": "600"}))
    with pytest.raises(QuotaExceeded):
        policy(t).call(fn, what="x")
    assert t.sleeps == []
    assert calls["n"] == 1


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_these_statuses_are_retried(status: int) -> None:
    failure = classify(api_error(status))
    assert failure is not None and failure.kind == status


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409])
def test_these_statuses_are_not_retried(status: int) -> None:
    t = FakeTime()
    fn, calls = failing(api_error(status))
    with pytest.raises(APIError):
        policy(t).call(fn, what="x")
    assert calls["n"] == 1 and t.sleeps == []


@pytest.mark.parametrize(
    "exc",
    [
        requests.ConnectionError("connection reset"),
        requests.Timeout("read timed out"),
        requests.exceptions.ReadTimeout("read timed out"),
        auth_exceptions.TransportError("token endpoint unreachable"),
    ],
)
def test_network_failures_are_retried_then_named(exc: BaseException) -> None:
    failure = classify(exc)
    assert failure is not None and failure.kind == NETWORK
    t = FakeTime()
    fn, _ = failing(exc)
    with pytest.raises(BackendError) as info:
        policy(t, total_seconds=10).call(fn, what="writing the refresh")
    assert not isinstance(info.value, QuotaExceeded)
    assert "Cannot reach Google Sheets" in str(info.value)
    assert "check the internet connection" in str(info.value)
    # 1 + 2 + 4 = 7 s slept; the next 8 s wait would end at 15 s > 10 s.
    assert t.sleeps == [1, 2, 4]


def test_server_errors_give_up_as_backend_error_not_quota() -> None:
    t = FakeTime()
    fn, _ = failing(api_error(500))
    with pytest.raises(BackendError) as info:
        policy(t, total_seconds=3).call(fn, what="x")
    assert not isinstance(info.value, QuotaExceeded)
    assert "HTTP 500" in str(info.value)
    assert t.sleeps == [1, 2]  # 1 + 2 = 3 s; a 4 s wait would pass the 3 s limit


def test_other_exceptions_pass_straight_through() -> None:
    t = FakeTime()
    fn, calls = failing(KeyError("bug"))
    with pytest.raises(KeyError):
        policy(t).call(fn, what="x")
    assert calls["n"] == 1


def test_zero_time_limit_means_one_try() -> None:
    t = FakeTime()
    fn, calls = failing(api_error(503))
    with pytest.raises(BackendError):
        policy(t, total_seconds=0).call(fn, what="x")
    assert calls["n"] == 1


def test_max_tries_stops_a_loop_whose_waits_are_all_zero() -> None:
    t = FakeTime()
    fn, calls = failing(api_error(429))
    with pytest.raises(QuotaExceeded):
        RetryPolicy(sleep=t.sleep, clock=t.clock, rng=lambda: 0.0, max_tries=5).call(fn, what="x")
    assert calls["n"] == 5
    assert t.sleeps == [0.0] * 4


@settings(max_examples=150, deadline=None)
@given(
    draws=st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=40),
    total=st.floats(min_value=0.0, max_value=300.0),
    cap=st.floats(min_value=0.5, max_value=64.0),
)
def test_time_slept_never_passes_the_limit(draws: list[float], total: float, cap: float) -> None:
    t = FakeTime()
    seq = iter(draws * 100)
    fn, calls = failing(api_error(429))
    with pytest.raises(QuotaExceeded):
        policy(t, rng=lambda: next(seq), total_seconds=total, cap=cap).call(fn, what="x")
    assert sum(t.sleeps) <= total
    assert all(0 <= s <= cap for s in t.sleeps)
    assert calls["n"] == len(t.sleeps) + 1


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(total_seconds=-1)
    with pytest.raises(ValueError):
        RetryPolicy(base=0)


# --------------------------------------------------------------------------- writes


@pytest.mark.parametrize(
    "exc",
    [
        requests.ConnectionError("connection reset after sending"),
        requests.exceptions.ReadTimeout("read timed out"),
        api_error(500),
        api_error(503),
    ],
)
def test_a_write_that_may_have_landed_is_not_sent_again(exc: BaseException) -> None:
    t = FakeTime()
    fn, calls = failing(exc)
    with pytest.raises(WriteUnsure) as info:
        policy(t).call(fn, what="writing the refresh", write=True)
    assert calls["n"] == 1 and t.sleeps == []
    assert info.value.failure.unsure
    # A WriteUnsure that escaped would still be a plain, one-sentence error.
    assert isinstance(info.value, BackendError) and "\n" not in str(info.value)


def _refused_connection() -> requests.ConnectionError:
    """What requests raises when nothing listens: the request never went out."""
    cause = NewConnectionError(None, "Failed to establish a new connection: refused")  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, "/", cause))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "exc",
    [
        api_error(429),
        requests.ConnectTimeout("connect timed out"),
        _refused_connection(),
        auth_exceptions.TransportError("token endpoint unreachable"),  # type: ignore[no-untyped-call]
    ],
)
def test_a_write_google_never_carried_out_is_retried(exc: BaseException) -> None:
    t = FakeTime()
    fn, calls = failing(exc, times=2)
    assert policy(t).call(fn, what="writing the refresh", write=True) == "done"
    assert calls["n"] == 3 and t.sleeps == [1, 2]


def test_reads_still_retry_what_writes_may_not() -> None:
    t = FakeTime()
    fn, calls = failing(requests.exceptions.ReadTimeout("read timed out"), times=1)
    assert policy(t).call(fn, what="reading") == "done"
    assert calls["n"] == 2


# --------------------------------------------------------------------------- the time limit


def test_each_request_may_only_take_what_is_left_of_the_budget() -> None:
    t = FakeTime()
    p = policy(t, total_seconds=30)
    seen: list[tuple[float, float]] = []

    def fn() -> str:
        seen.append(p.timeout())
        if len(seen) <= 3:
            raise api_error(503)
        return "done"

    assert p.call(fn, what="x") == "done"
    # Waits of 1, 2 and 4 s (rng = 1.0): the tries start at 0, 1, 3 and 7 s of 30.
    # Connect is min(10, left); read is min(120, left).
    assert seen == [(10, 30), (10, 29), (10, 27), (10, 23)]


def test_the_read_timeout_caps_a_long_budget() -> None:
    p = policy(FakeTime(), total_seconds=600)
    assert p.timeout() == (10, 120)


def test_a_spent_budget_still_allows_one_short_try() -> None:
    t = FakeTime()
    p = policy(t, total_seconds=5)
    with p.window():
        t.now = 60.0  # a slow earlier request used it all
        fn, calls = failing(api_error(503))
        timeouts: list[tuple[float, float]] = []

        def timed() -> str:
            timeouts.append(p.timeout())
            return fn()

        with pytest.raises(BackendError):
            p.call(timed, what="x")
    assert calls["n"] == 1 and t.sleeps == []
    assert timeouts == [(MIN_REQUEST_SECONDS, MIN_REQUEST_SECONDS)]


def test_calls_inside_a_window_share_one_budget() -> None:
    t = FakeTime()
    p = policy(t, total_seconds=10)
    with p.window():
        first, _ = failing(api_error(503), times=3)
        p.call(first, what="reading")  # waits 1 + 2 + 4 = 7 s
        second, calls = failing(api_error(503))
        with pytest.raises(BackendError):
            p.call(second, what="writing")
    # 3 s were left: the second call's first wait of 1 s fits (8 s), its next of 2 s
    # fits (10 s), the one of 4 s would end at 14 s: three tries.
    assert t.sleeps == [1, 2, 4, 1, 2]
    assert calls["n"] == 3


def test_without_a_window_each_call_has_its_own_budget() -> None:
    t = FakeTime()
    p = policy(t, total_seconds=10)
    first, _ = failing(api_error(503), times=3)
    p.call(first, what="reading")
    second, calls = failing(api_error(503), times=3)
    assert p.call(second, what="writing") == "done"
    assert t.sleeps == [1, 2, 4, 1, 2, 4]


def test_the_time_limit_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHEETCRM_RETRY_SECONDS", " 45 ")
    assert RetryPolicy().total_seconds == 45
    assert RetryPolicy(total_seconds=5).total_seconds == 5  # the constructor wins
    monkeypatch.delenv("SHEETCRM_RETRY_SECONDS")
    assert RetryPolicy().total_seconds == 120


@pytest.mark.parametrize("value", ["two minutes", "-1", "nan", "inf"])
def test_a_bad_time_limit_in_the_environment_is_named(
        monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SHEETCRM_RETRY_SECONDS", value)
    with pytest.raises(InputError, match="SHEETCRM_RETRY_SECONDS is .*not a number of seconds"):
        RetryPolicy()
