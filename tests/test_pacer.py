"""The Google pacer: many trackers under one credential stay under the per-user quota.

The fake Sheets API's quota mode answers 429 past 60 reads or 60 writes in any
60 seconds of its clock, as Google does per user; the pacer and the fake share a
fake clock, so a whole quota's worth of minutes passes instantly.

A refresh of a Google tracker sends 4 reads and 1 write (docs/performance.md):
the metadata and one values.batchGet to read it, the check read before the
write, one batchUpdate, and the read of the photographs that write takes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from sheetcrm import pacing, tracker
from sheetcrm.backends.base import Backend
from sheetcrm.backends.google import GoogleBackend
from sheetcrm.backends.retry import RetryPolicy
from sheetcrm.config import GoogleLimits, TrackerEntry
from sheetcrm.fleet import FleetRun, run_trackers
from sheetcrm.opening import OpenOptions
from tests.fake_sheets import FakeSheets
from tests.helpers.clock import FakeTime, ten_am

GOOGLE_URL = "https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789/edit"
READS_PER_REFRESH = 4
WRITES_PER_REFRESH = 1


# --------------------------------------------------------------------------- the pacer alone


def test_the_pacer_lets_the_limit_through_at_once_then_waits_for_the_window() -> None:
    t = FakeTime()
    pacer = pacing.Pacer(3, 2, clock=t.clock, sleep=t.sleep, window=60.0)
    sent = []
    for _ in range(7):
        pacer.wait(write=False)
        sent.append(t.now)
    # Three reads at 0; the 4th waits until the 1st leaves the window at 60, and so on.
    assert sent == [0, 0, 0, 60, 60, 60, 120]
    assert t.sleeps == [60, 60]


def test_reads_and_writes_are_counted_apart() -> None:
    t = FakeTime()
    pacer = pacing.Pacer(1, 1, clock=t.clock, sleep=t.sleep, window=60.0)
    pacer.wait(write=False)
    pacer.wait(write=True)  # the write quota is untouched by the read
    assert t.now == 0
    pacer.wait(write=True)
    assert t.now == 60


def test_the_default_window_has_a_margin_of_one_second() -> None:
    t = FakeTime()
    pacer = pacing.Pacer(1, 1, clock=t.clock, sleep=t.sleep)
    pacer.wait()
    pacer.wait()
    assert t.now == 61


def test_a_meter_counts_requests_and_only_inside_its_block() -> None:
    t = FakeTime()
    meter = pacing.Meter(pacing.Pacer(1, 1, clock=t.clock, sleep=t.sleep, window=60.0))
    pacing.before_request(False)  # no run metered on this thread: nothing happens
    with pacing.metered(meter):
        pacing.before_request(False)
        pacing.before_request(False)
    pacing.before_request(False)
    assert meter.requests == 2
    assert t.now == 60


def test_a_meter_on_one_thread_does_not_pace_another() -> None:
    meter = pacing.Meter(None)
    seen = []
    with pacing.metered(meter):
        other = threading.Thread(target=lambda: seen.append(pacing._current.get()))
        other.start()
        other.join()
        pacing.before_request(True)
    assert seen == [None]
    assert meter.requests == 1


def test_time_spent_waiting_for_the_quota_does_not_use_up_the_retry_budget() -> None:
    t = FakeTime()
    meter = pacing.Meter(pacing.Pacer(1, 1, clock=t.clock, sleep=t.sleep, window=60.0))
    meter.before(False)
    meter.before(False)
    assert meter.waited == 60.0
    # The retry policy's clock runs 60 seconds behind the real one: the wait is left out.
    before = time.monotonic()
    assert before - 60.0 - 1.0 < meter.clock() <= time.monotonic() - 60.0


def test_refresh_all_hands_the_retry_policy_that_clock() -> None:
    from sheetcrm.opening import open_tracker

    meter = pacing.Meter(None)
    backend = open_tracker(GOOGLE_URL, OpenOptions(retry_clock=meter.clock))
    assert backend._api.retry.clock == meter.clock  # type: ignore[attr-defined]


@pytest.mark.parametrize("bad", [(0, 60), (60, 0)])
def test_a_limit_below_one_is_refused(bad: tuple[int, int]) -> None:
    with pytest.raises(ValueError):
        pacing.Pacer(*bad)


# --------------------------------------------------------------------------- the fake's quota mode


def test_the_fake_answers_429_like_google_past_the_quota() -> None:
    t = FakeTime()
    fake = FakeSheets()
    key = fake.create_spreadsheet("T")
    fake.quota(2, 60, clock=t.clock)
    http = fake.client().http_client
    http.fetch_sheet_metadata(key)
    http.fetch_sheet_metadata(key)
    from gspread.exceptions import APIError

    with pytest.raises(APIError) as caught:
        http.fetch_sheet_metadata(key)
    error = caught.value.response.json()["error"]
    assert (error["code"], error["status"]) == (429, "RESOURCE_EXHAUSTED")
    assert "Read requests per minute per user" in error["message"]
    assert error["details"][0]["metadata"]["quota_limit_value"] == "2"
    assert fake.quota_refusals == 1
    t.now = 60.0  # the first two leave the window
    http.fetch_sheet_metadata(key)
    assert fake.quota_refusals == 1


# --------------------------------------------------------------------------- many trackers


def trackers_on(fake: FakeSheets, count: int) -> list[TrackerEntry]:
    entries = []
    for i in range(count):
        key = fake.create_spreadsheet(f"Client {i}")
        backend = GoogleBackend(fake.url(key), client=fake.client(),
                                retry=RetryPolicy(sleep=lambda _s: None))
        tracker.init_tracker(backend)
        entries.append(TrackerEntry(f"client{i}", fake.url(key)))
    fake.reset_requests()
    return entries


def paced_refresh(fake: FakeSheets, entries: list[TrackerEntry], t: FakeTime,
                  limits: GoogleLimits) -> list[bool]:
    """Refresh every tracker on the fake clock; a 429 is never retried, so it would fail."""
    def opener(target: str, options: OpenOptions) -> Backend:
        return GoogleBackend(target, client=fake.client(), account_email=fake.service_account_email,
                             retry=RetryPolicy(sleep=lambda _s: None, max_tries=1))

    outcomes = run_trackers(entries, FleetRun(
        action="refresh", now=ten_am(2026, 11, 2), opener=opener, limits=limits,
        clock=t.clock, sleep=t.sleep))
    assert [o.requests for o in outcomes] == [READS_PER_REFRESH + WRITES_PER_REFRESH] * len(entries)
    return [o.ok for o in outcomes]


def test_five_trackers_under_a_small_quota_wait_exactly_as_long_as_it_demands() -> None:
    fake = FakeSheets()
    entries = trackers_on(fake, 5)
    t = FakeTime()
    fake.quota(8, 8, clock=t.clock)
    oks = paced_refresh(fake, entries, t, GoogleLimits(8, 8, concurrency=1))
    assert oks == [True] * 5
    assert fake.quota_refusals == 0
    assert fake.count() == 25
    # 20 reads at 8 a minute: reads 1-8 at 0 s, 9-16 at 61 s, 17-20 at 122 s (the pacer's
    # window is 60 s and a 1 s margin); the 5 writes fit in one minute.
    assert t.now == 122.0


@pytest.fixture(scope="module")
def fifty() -> Iterator[tuple[FakeSheets, list[TrackerEntry]]]:
    fake = FakeSheets()
    yield fake, trackers_on(fake, 50)


@pytest.mark.slow
def test_fifty_trackers_under_one_credential_get_no_429_and_take_the_shortest_time(
    fifty: tuple[FakeSheets, list[TrackerEntry]],
) -> None:
    fake, entries = fifty
    fake.reset_requests()
    t = FakeTime()
    fake.quota(60, 60, clock=t.clock)
    oks = paced_refresh(fake, entries, t, GoogleLimits(60, 60, concurrency=1))
    assert oks == [True] * 50
    assert fake.quota_refusals == 0
    # 200 reads at 60 a minute: the 181st cannot be sent before 180 s, which is the
    # shortest time the quota allows (the 50 writes fit in one minute).
    shortest = 180.0
    assert shortest <= t.now <= shortest * 1.1


@pytest.mark.slow
def test_fifty_trackers_under_half_the_quota_still_get_no_429(
    fifty: tuple[FakeSheets, list[TrackerEntry]],
) -> None:
    fake, entries = fifty
    fake.reset_requests()
    t = FakeTime()
    fake.quota(30, 30, clock=t.clock)
    oks = paced_refresh(fake, entries, t, GoogleLimits(30, 30, concurrency=1))
    assert oks == [True] * 50
    assert fake.quota_refusals == 0
    # 200 reads at 30 a minute: the 181st cannot go before 6 minutes; 50 writes before 1.
    shortest = 360.0
    assert shortest <= t.now <= shortest * 1.1


# --------------------------------------------------------------------------- Drive storage


def test_drive_storage_quota_exceeded_is_never_retried_and_says_what_to_do() -> None:
    """A service account has no Drive storage: creating a sheet is refused for good."""
    from sheetcrm.errors import AuthError
    from tests.helpers.clock import instant

    fake = FakeSheets()
    fake.drive_storage_full()
    client = fake.client()
    # As with a real key file: the client knows the service account's address.
    client.http_client.auth = SimpleNamespace(service_account_email=fake.service_account_email)
    with pytest.raises(AuthError) as caught:
        GoogleBackend.create_spreadsheet("Enquiries 2026", client=client, retry=instant())
    assert fake.count("drive.files.create") == 1
    assert str(caught.value) == (
        f"The service account {fake.service_account_email} cannot create sheets of its own: "
        "create an empty sheet at https://sheets.new, share it with that address as an editor "
        "and run `sheetcrm init` with its link")


@pytest.mark.slow
def test_fifty_reports_read_at_twice_the_pace(
    fifty: tuple[FakeSheets, list[TrackerEntry]],
) -> None:
    fake, entries = fifty
    fake.reset_requests()
    t = FakeTime()
    fake.quota(60, 60, clock=t.clock)

    def opener(target: str, options: OpenOptions) -> Backend:
        return GoogleBackend(target, client=fake.client(), account_email=fake.service_account_email,
                             retry=RetryPolicy(sleep=lambda _s: None, max_tries=1))

    outcomes = run_trackers(entries, FleetRun(
        action="report", now=ten_am(2026, 11, 2), opener=opener,
        limits=GoogleLimits(60, 60, concurrency=1), clock=t.clock, sleep=t.sleep))
    assert [o.ok for o in outcomes] == [True] * 50
    assert [o.requests for o in outcomes] == [2] * 50  # the metadata and one values.batchGet
    assert fake.quota_refusals == 0
    # 100 reads at 60 a minute: reads 61-100 wait for the pacer's 61-second minute.
    assert t.now == 61.0
