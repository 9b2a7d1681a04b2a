"""Measure sheetcrm's speed and traffic as a tracker grows; print (or write) Markdown tables.

Run:  python bench/run.py [--sizes 1000,10000,50000] [--google-sizes 100,2000,10000]
                          [--repeat 3] [--write] [--no-excel] [--no-google]

Excel: each command runs as a whole process (python -c ..., imports included),
``--repeat`` times on a fresh copy of the same tracker, and the median wall
time is kept; peak memory is that process's own maximum resident set
(``os.wait4``).  Beside sheetcrm's ``refresh`` and ``report`` run the floor
(openpyxl's ``load_workbook`` + ``save`` of the same file) and
python-calamine's read of its Enquiries sheet.

Google: every command runs against the fake Sheets API from tests/, which
counts each request and its body's bytes as gspread sends them.  No time is
measured there: the fake is not Google.

``--write`` replaces the tables (and the machine line) in docs/performance.md
between their ``<!-- bench:... -->`` markers.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"
#: The clock every measured command runs at: a Monday morning.
NOW = "2026-11-23T11:00:00"

# --------------------------------------------------------------------------- child processes

#: What each measured process runs; PATH is the tracker, OUT a scratch file.
CHILD = {
    "build": """
import datetime as dt
from sheetcrm import tracker
from sheetcrm.backends.excel import ExcelBackend
from sheetcrm.demo import DEMO_SETTINGS, demo_rows
now = dt.datetime.fromisoformat(NOW)
backend = ExcelBackend(PATH, force=True)
tracker.init_tracker(backend, DEMO_SETTINGS)
backend.append(demo_rows(tracker.localise(now, DEMO_SETTINGS), count=SIZE))
tracker.refresh(ExcelBackend(PATH), now=now)
""",
    "refresh": """
import datetime as dt
from sheetcrm import tracker
from sheetcrm.backends.excel import ExcelBackend
tracker.refresh(ExcelBackend(PATH), now=dt.datetime.fromisoformat(NOW))
""",
    "report": """
import datetime as dt
from sheetcrm import tracker
from sheetcrm.backends.excel import ExcelBackend
tracker.report(ExcelBackend(PATH), now=dt.datetime.fromisoformat(NOW))
""",
    "openpyxl": """
import openpyxl
openpyxl.load_workbook(PATH).save(OUT)
""",
    "calamine": """
from python_calamine import CalamineWorkbook
CalamineWorkbook.from_path(PATH).get_sheet_by_name("Enquiries").to_python()
""",
}


def run_child(job: str, path: Path, size: int = 0) -> tuple[float, float]:
    """Run one job as its own process: (wall seconds, peak resident MiB)."""
    code = (f"NOW = {NOW!r}\nPATH = {str(path)!r}\nOUT = {str(path) + '.out.xlsx'!r}\n"
            f"SIZE = {size}\n" + CHILD[job])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"bench: {job} on {path.name} failed (exit {proc.returncode})")
    # ru_maxrss is in KiB on Linux.
    return wall, usage.ru_maxrss / 1024


def median_of(repeat: int, fn: Callable[[], tuple[float, float]]) -> tuple[float, float]:
    """Median wall time and the largest peak memory of ``repeat`` runs."""
    runs = [fn() for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


def bench_excel(sizes: list[int], repeat: int, tmp: Path) -> str:
    """The Excel table."""
    lines = [
        "| enquiries | file | refresh (s) | report (s) | openpyxl load+save (s) "
        "| calamine read (s) | refresh ÷ floor | report ÷ floor "
        "| peak MiB: refresh / report / floor |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for size in sizes:
        base = tmp / f"base-{size}.xlsx"
        print(f"  building a tracker of {size:,} enquiries...", file=sys.stderr)
        run_child("build", base, size)
        work = tmp / f"work-{size}.xlsx"

        def fresh(job: str, base: Path = base, work: Path = work) -> tuple[float, float]:
            shutil.copyfile(base, work)
            return run_child(job, work)

        results = {}
        for job in ("refresh", "report", "openpyxl", "calamine"):
            print(f"  {job} x{repeat} at {size:,}...", file=sys.stderr)
            results[job] = median_of(repeat, lambda job=job: fresh(job))
        floor = results["openpyxl"][0]
        kib = base.stat().st_size / 1024
        lines.append(
            f"| {size:,} | {kib:,.0f} KiB | {results['refresh'][0]:.2f} "
            f"| {results['report'][0]:.2f} | {floor:.2f} | {results['calamine'][0]:.2f} "
            f"| {results['refresh'][0] / floor:.2f}× | {results['report'][0] / floor:.2f}× "
            f"| {results['refresh'][1]:.0f} / {results['report'][1]:.0f} "
            f"/ {results['openpyxl'][1]:.0f} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- Google


def bench_google(sizes: list[int], tmp: Path) -> str:
    """The Google table: requests and bytes per command, through the fake Sheets API."""
    lines = [
        "| rows | command | requests | sent (KiB) | largest request (KiB) |",
        "| ---: | --- | ---: | ---: | ---: |",
    ]
    for size in sizes:
        print(f"  Google at {size:,} rows...", file=sys.stderr)
        lines += _google_size(size, tmp)
    return "\n".join(lines)


def _google_size(size: int, tmp: Path) -> list[str]:
    """The table rows of one Google tracker of ``size`` rows."""
    sys.path.insert(0, str(ROOT))
    from sheetcrm import tracker
    from sheetcrm.backends.google import GoogleBackend
    from sheetcrm.backends.retry import RetryPolicy
    from sheetcrm.demo import DEMO_SETTINGS, demo_rows
    from tests.fake_sheets import FakeSheets

    now = dt.datetime.fromisoformat(NOW)
    fake = FakeSheets()
    key = fake.create_spreadsheet("Bench")
    backend = GoogleBackend(fake.url(key), client=fake.client(),
                            retry=RetryPolicy(sleep=lambda _s: None))
    local = tracker.localise(now, DEMO_SETTINGS)
    csv_path = tmp / "import.csv"
    _write_csv(csv_path, local, 100)
    lines: list[str] = []

    def measure(command: str, fn: Callable[[], Any]) -> None:
        fake.reset_requests()
        fn()
        sent = [r.size for r in fake.requests]
        lines.append(f"| {size:,} | {command} | {len(sent)} | {sum(sent) / 1024:,.1f} "
                     f"| {max(sent, default=0) / 1024:,.1f} |")

    measure("init", lambda: tracker.init_tracker(backend, DEMO_SETTINGS))
    backend.append(demo_rows(local, count=size))  # the rows, not measured
    measure("first refresh", lambda: tracker.refresh(backend, now=now))
    measure("later refresh, nothing changed", lambda: tracker.refresh(backend, now=now))
    measure("add (one enquiry)", lambda: tracker.add_enquiry(
        backend, {"name": "Bench", "contact": "0772 123456"}, now=now))
    measure("import (100 enquiries)", lambda: tracker.import_file(backend, csv_path, now=now))
    measure("refresh after them", lambda: tracker.refresh(backend, now=now))
    return lines


def _write_csv(path: Path, now: dt.datetime, count: int) -> None:
    """An import file of ``count`` plain enquiries received in the days before ``now``."""
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["Received", "Name", "Contact", "Source", "Status"])
        for i in range(count):
            received = now - dt.timedelta(hours=3 * i + 1)
            out.writerow([f"{received:%d/%m/%Y %H:%M}", f"Imported {i}",
                          f"0772 {100000 + i:06d}", "WhatsApp", "pending"])


# --------------------------------------------------------------------------- machine and doc


def machine() -> str:
    """One line saying what the numbers were measured on."""
    cpu = platform.processor() or "unknown CPU"
    ram = "unknown RAM"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        ram = f"{kib / 1024 / 1024:.0f} GiB RAM"
    except OSError:
        pass
    return (f"{os.cpu_count()} cores ({cpu}), {ram}, Python {platform.python_version()} "
            f"on {platform.system()} {platform.machine()}; measured "
            f"{dt.date.today():%d/%m/%Y}")


def write_doc(tables: dict[str, str]) -> None:
    """Replace each table in docs/performance.md between its markers."""
    text = DOC.read_text(encoding="utf-8")
    for name, table in tables.items():
        pattern = re.compile(rf"(<!-- bench:{name} -->\n).*?(\n<!-- /bench:{name} -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"bench: docs/performance.md has no <!-- bench:{name} --> markers")
        text = pattern.sub(lambda m, t=table: m.group(1) + t + m.group(2), text)
    DOC.write_text(text, encoding="utf-8")


def main() -> None:
    """Run the benchmarks and print the tables (and, with --write, update the doc)."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,50000",
                        help="Excel tracker sizes, in enquiries")
    parser.add_argument("--google-sizes", default="100,2000,10000",
                        help="Google tracker sizes, in rows")
    parser.add_argument("--repeat", type=int, default=3, help="runs per Excel command")
    parser.add_argument("--no-excel", action="store_true")
    parser.add_argument("--no-google", action="store_true")
    parser.add_argument("--write", action="store_true",
                        help="update the tables in docs/performance.md")
    args = parser.parse_args()
    tables = {"machine": machine()}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        if not args.no_excel:
            sizes = [int(s) for s in args.sizes.split(",") if s]
            tables["excel"] = bench_excel(sizes, args.repeat, tmp)
        if not args.no_google:
            sizes = [int(s) for s in args.google_sizes.split(",") if s]
            tables["google"] = bench_google(sizes, tmp)
    print(tables["machine"] + f"; median of {args.repeat}.\n")
    for name in ("excel", "google"):
        if name in tables:
            print(tables[name] + "\n")
    if args.write:
        write_doc(tables)
        print(f"Updated {DOC.relative_to(ROOT)}.")


if __name__ == "__main__":
    main()
