"""Measure how long init, refresh and report take as a tracker grows.

Run: python bench/bench_refresh.py [--sizes 100,1000,5000] [--repeat 3] [--google]

Prints a Markdown table (paste it into docs/performance.md). Times are the
median of --repeat runs, in seconds, on whatever machine runs the script; the
Google rows use the fake Sheets API from tests/, so they measure our own work
and the number of requests, not Google's latency.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sheetcrm import tracker  # noqa: E402
from sheetcrm.backends.base import Backend  # noqa: E402
from sheetcrm.backends.excel import ExcelBackend  # noqa: E402
from sheetcrm.backends.memory import MemoryBackend  # noqa: E402
from sheetcrm.demo import DEMO_SETTINGS, demo_rows  # noqa: E402

NOW = dt.datetime(2026, 11, 23, 11, 0)


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``fn`` over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def filled(make: Callable[[], Backend], size: int) -> Backend:
    """A backend holding ``size`` invented enquiries, not yet refreshed."""
    backend = make()
    tracker.init_tracker(backend, DEMO_SETTINGS)
    backend.append(demo_rows(tracker.localise(NOW, DEMO_SETTINGS), count=size))
    return backend


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--google", action="store_true", help="also measure the Google "
                        "backend against the fake Sheets API (counts requests)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    print(f"Python {platform.python_version()} on {platform.machine()}, "
          f"{platform.processor() or 'unknown CPU'}; median of {args.repeat} runs.\n")
    print("| backend | enquiries | first refresh (s) | later refresh (s) | report (s) "
          "| file size | requests per refresh |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            memory = filled(MemoryBackend, size)
            first = timed(lambda b=memory: tracker.refresh(b, now=NOW), 1)
            later = timed(lambda b=memory: tracker.refresh(b, now=NOW), args.repeat)
            rep = timed(lambda b=memory: tracker.report(b, now=NOW), args.repeat)
            print(f"| memory | {size:,} | {first:.2f} | {later:.2f} | {rep:.2f} | - | - |")

            path = Path(tmp) / f"bench-{size}.xlsx"
            excel = filled(lambda p=path: ExcelBackend(p, force=True), size)
            first = timed(lambda b=excel: tracker.refresh(b, now=NOW), 1)
            later = timed(lambda b=excel: tracker.refresh(b, now=NOW), args.repeat)
            rep = timed(lambda b=excel: tracker.report(b, now=NOW), args.repeat)
            kib = path.stat().st_size / 1024
            print(f"| excel | {size:,} | {first:.2f} | {later:.2f} | {rep:.2f} "
                  f"| {kib:,.0f} KiB | - |")

            if args.google:
                from sheetcrm.backends.google import GoogleBackend
                from tests.fake_sheets import FakeSheets

                fake = FakeSheets()
                key = fake.create_spreadsheet("Bench")
                google = filled(
                    lambda f=fake, k=key: GoogleBackend(f.url(k), client=f.client()), size)
                first = timed(lambda b=google: tracker.refresh(b, now=NOW), 1)
                fake.reset_requests()
                later = timed(lambda b=google: tracker.refresh(b, now=NOW), args.repeat)
                per_refresh = fake.count() / args.repeat
                rep = timed(lambda b=google: tracker.report(b, now=NOW), args.repeat)
                print(f"| google (fake API) | {size:,} | {first:.2f} | {later:.2f} | {rep:.2f} "
                      f"| - | {per_refresh:g} |")


if __name__ == "__main__":
    main()
