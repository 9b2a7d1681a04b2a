"""Running many trackers from one config: ``refresh --all``, ``report --all`` and ``list``.

One failing tracker (a missing file, a sheet not shared, a damaged workbook,
refused credentials, Google's quota) never stops the others: its error
becomes its line in the closing table.  Google trackers run a few at a time,
paced per credentials by :class:`~sheetcrm.pacing.Pacer` so together they stay
under Google's per-user quota; Excel trackers run one after another meanwhile.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import tracker
from .backends.base import Backend
from .config import Config, GoogleLimits, TrackerEntry, find_config, load_config
from .errors import SheetCRMError
from .opening import OpenOptions, is_google, open_tracker
from .outcomes import TrackerOutcome
from .pacing import Meter, Pacer, metered
from .runlog import RunLog
from .template import load_template

#: What can be run on every tracker.
ACTIONS = ("refresh", "report", "list")

Opener = Callable[[str, OpenOptions], Backend]
#: Called as each tracker finishes: (how many are done, how many in all, the outcome).
Progress = Callable[[int, int, TrackerOutcome], None]


@dataclasses.dataclass
class FleetRun:
    """How to run the trackers: what to do and the seams tests use."""

    action: str = "refresh"
    now: dt.datetime | None = None
    options: OpenOptions = dataclasses.field(default_factory=OpenOptions)
    opener: Opener = open_tracker
    limits: GoogleLimits = dataclasses.field(default_factory=GoogleLimits)
    progress: Progress | None = None
    log: RunLog | None = None
    #: The pacers' clock and sleep (a fake clock in tests).
    clock: Callable[[], float] | None = None
    sleep: Callable[[float], None] | None = None


def kind_of(target: str) -> str:
    """ "Google Sheets" or "Excel", from the target alone."""
    return "Google Sheets" if is_google(target) else "Excel"


def run_trackers(entries: Sequence[TrackerEntry], run: FleetRun) -> list[TrackerOutcome]:
    """Run ``run.action`` on every tracker; outcomes in the config's order."""
    if run.action not in ACTIONS:
        raise ValueError(f"unknown action {run.action!r}")
    outcomes: list[TrackerOutcome | None] = [None] * len(entries)
    google = [i for i, e in enumerate(entries) if is_google(e.target)]
    excel = [i for i in range(len(entries)) if i not in set(google)]
    pacers: dict[str, Pacer] = {}
    done = [0]
    lock = threading.Lock()

    def pacer_for(entry: TrackerEntry) -> Pacer:
        key = str(entry.credentials or run.options.credentials or "")
        with lock:
            if key not in pacers:
                pacers[key] = Pacer(run.limits.reads_per_minute, run.limits.writes_per_minute,
                                    clock=run.clock or time.monotonic,
                                    sleep=run.sleep or time.sleep)
            return pacers[key]

    def one(i: int) -> None:
        entry = entries[i]
        meter = Meter(pacer_for(entry) if i in google else None)
        outcome = _run_one(entry, run, meter)
        outcome.requests = meter.requests if i in google else None
        outcomes[i] = outcome
        with lock:
            done[0] += 1
            if run.log is not None:
                run.log.record(run.action, outcome)
            if run.progress is not None:
                run.progress(done[0], len(entries), outcome)

    def all_excel() -> None:
        for i in excel:
            one(i)

    workers = (min(run.limits.concurrency, len(google)) if google else 0) + (1 if excel else 0)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = ([pool.submit(all_excel)] if excel else []) + [pool.submit(one, i)
                                                                  for i in google]
        for future in futures:
            future.result()
    return [o for o in outcomes if o is not None]


def _run_one(entry: TrackerEntry, run: FleetRun, meter: Meter) -> TrackerOutcome:
    """One tracker, its failure caught and kept as one line."""
    outcome = TrackerOutcome(name=entry.name, target=entry.target, kind=kind_of(entry.target))
    options = dataclasses.replace(run.options, retry_clock=meter.clock)
    if entry.credentials is not None:
        options = dataclasses.replace(options, credentials=entry.credentials)
    try:
        with metered(meter):
            backend = run.opener(entry.target, options)
            _ACTIONS[run.action](backend, run, outcome)
    except SheetCRMError as exc:
        outcome.ok, outcome.error = False, _one_line(str(exc))
    except Exception as exc:  # noqa: BLE001 - one tracker's bug must not stop the others
        outcome.ok, outcome.error = False, _one_line(
            f"sheetcrm failed unexpectedly ({type(exc).__name__}: {exc}); please report it")
    return outcome


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _refresh(backend: Backend, run: FleetRun, outcome: TrackerOutcome) -> None:
    outcome.take(tracker.refresh(backend, now=run.now))


def _report(backend: Backend, run: FleetRun, outcome: TrackerOutcome) -> None:
    outcome.take(tracker.evaluate(backend.read(), now=run.now, label=backend.label,
                                  build_tabs=False))


def _list(backend: Backend, run: FleetRun, outcome: TrackerOutcome) -> None:
    outcome.kind = backend.kind
    meta = tracker.read_meta(backend.read(), load_template())
    outcome.last_refresh = meta.get("last_refresh") or None
    outcome.ok = True


_ACTIONS: dict[str, Callable[[Backend, FleetRun, TrackerOutcome], None]] = {
    "refresh": _refresh, "report": _report, "list": _list}


def all_ok(outcomes: Sequence[TrackerOutcome]) -> bool:
    """Whether every tracker succeeded (the exit code is 0 only then)."""
    return all(o.ok for o in outcomes)


def run_from_config(config_file: Path | None, only: str | None, run: FleetRun,
                    log_file: Path | None = None, *, keep_log: bool = True,
                    ) -> tuple[Config, list[TrackerOutcome]]:
    """Find and load the config, run the chosen trackers, one log line each; the outcomes."""
    config = load_config(find_config(config_file))
    entries = config.select(only)
    run = dataclasses.replace(run, limits=config.google)
    log = RunLog(log_file, warn=run.options.warn) if keep_log else None
    try:
        outcomes = run_trackers(entries, dataclasses.replace(run, log=log))
    finally:
        if log is not None:
            log.close()
    return config, outcomes
