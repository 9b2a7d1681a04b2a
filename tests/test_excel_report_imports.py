"""`report` on an Excel tracker reads with python-calamine alone: openpyxl is not even loaded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers.trackers import cli_tracker

CHECK = """
import sys
from sheetcrm.cli import cli
try:
    cli(["report", sys.argv[1], "--now", "2026-11-23T11:00"], standalone_mode=False)
finally:
    print("openpyxl loaded" if "openpyxl" in sys.modules else "openpyxl not loaded")
"""


def test_report_does_not_load_openpyxl(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path, ("--name", "Ann", "--received", "05/10/2026 09:00",
                                  "--source", "WhatsApp", "--contact", "0772 123456"))
    done = subprocess.run([sys.executable, "-c", CHECK, str(path)], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "Ann" not in done.stderr
    assert done.stdout.strip().splitlines()[-1] == "openpyxl not loaded"
    assert "WhatsApp" in done.stdout  # the report itself was printed
