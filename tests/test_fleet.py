"""Running many trackers: Google ones a few at a time beside the Excel ones, one pacer per key.

The opener is the seam: these stubs record what runs when and then fail, so no
tracker is needed to see how the runs are arranged.
"""

from __future__ import annotations

import threading
from pathlib import Path

from sheetcrm import pacing
from sheetcrm.backends.base import Backend
from sheetcrm.config import GoogleLimits, TrackerEntry
from sheetcrm.errors import InputError
from sheetcrm.fleet import FleetRun, all_ok, run_trackers
from sheetcrm.opening import OpenOptions

GOOGLE = "https://docs.google.com/spreadsheets/d/{}/edit"


def google(name: str, credentials: Path | None = None) -> TrackerEntry:
    return TrackerEntry(name, GOOGLE.format(name.ljust(30, "x")), credentials)


def test_google_trackers_run_a_few_at_a_time_while_excel_runs_beside_them() -> None:
    # Three Google trackers (the concurrency) and the Excel one must all be inside the
    # opener at once to pass the barrier; run one after another, the barrier breaks.
    barrier = threading.Barrier(4, timeout=30)
    passed = threading.Event()
    inside = [0]
    most = [0]
    lock = threading.Lock()

    def opener(target: str, options: OpenOptions) -> Backend:
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        try:
            if not passed.is_set():
                barrier.wait()  # breaks (and the tracker fails otherwise) if never 4 at once
                passed.set()
            raise InputError(f"stub for {target}")
        finally:
            with lock:
                inside[0] -= 1

    entries = [google(f"g{i}") for i in range(6)] + [TrackerEntry("shop", "/x/shop.xlsx")]
    outcomes = run_trackers(entries, FleetRun(opener=opener, limits=GoogleLimits(concurrency=3)))
    assert [o.name for o in outcomes] == [e.name for e in entries]
    assert all(o.error is not None and o.error.startswith("stub for ") for o in outcomes), [
        o.error for o in outcomes]
    assert most[0] == 4  # never more than 3 Google trackers, plus the Excel one
    assert not all_ok(outcomes)


def test_trackers_with_the_same_key_share_one_pacer() -> None:
    seen: dict[str, pacing.Pacer | None] = {}

    def opener(target: str, options: OpenOptions) -> Backend:
        meter = pacing._current.get()
        seen[target] = meter.pacer if meter else None
        raise InputError("stub")

    a, b = Path("/keys/a.json"), Path("/keys/b.json")
    entries = [google("one", a), google("two", a), google("three", b), google("four"),
               TrackerEntry("shop", "/x/shop.xlsx")]
    run_trackers(entries, FleetRun(opener=opener))
    pacers = [seen[e.target] for e in entries]
    assert pacers[0] is pacers[1]
    assert pacers[2] is not pacers[0] and pacers[3] is not pacers[0]
    assert pacers[3] is not pacers[2]
    assert pacers[4] is None  # Excel is never paced
    assert all(p is not None and p.limits == {False: 60, True: 60} for p in pacers[:4])


def test_a_bug_in_one_tracker_is_its_own_line_and_the_others_still_run() -> None:
    def opener(target: str, options: OpenOptions) -> Backend:
        if "bad" in target:
            raise KeyError("boom")
        raise InputError(f"fine {target}")

    entries = [TrackerEntry("bad", "/x/bad.xlsx"), TrackerEntry("good", "/x/good.xlsx")]
    first, second = run_trackers(entries, FleetRun(opener=opener))
    assert first.error == ("sheetcrm failed unexpectedly (KeyError: 'boom'); please report it")
    assert second.error == "fine /x/good.xlsx"


def test_a_trackers_own_key_is_passed_to_the_opener() -> None:
    given: dict[str, Path | None] = {}

    def opener(target: str, options: OpenOptions) -> Backend:
        given[target] = options.credentials
        raise InputError("stub")

    own = google("own", Path("/keys/own.json"))
    default = google("default")
    run_trackers([own, default], FleetRun(opener=opener,
                                         options=OpenOptions(credentials=Path("/k/d.json"))))
    assert given == {own.target: Path("/keys/own.json"), default.target: Path("/k/d.json")}
