"""`sheetcrm review`: the monthly review printed or written to a file; writes nothing else."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.cli import assert_one_line_error, digest, run
from tests.helpers.trackers import cli_tracker


def tracker(tmp_path: Path) -> Path:
    return cli_tracker(tmp_path, ("--name", "Ann", "--received", "05/10/2026 09:00",
                                  "--source", "WhatsApp"))


def test_review_to_a_file(tmp_path: Path) -> None:
    path = tracker(tmp_path)
    before = digest(path)
    out = tmp_path / "review-2026-10.md"
    result = run("review", str(path), "--month", "2026-10", "--out", str(out),
                 "--now", "2026-11-04T10:00")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Wrote the review to {out}.\n"
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Monthly sales and marketing review: October 2026\n")
    # Ann, still pending long past her deadline: 1 enquiry, 1 breach, no spend.
    assert "| Total | 1 | 0 | not available: no spend recorded this month |" in text
    assert "- SLA breaches: 1." in text
    assert digest(path) == before


def test_review_printed_for_the_newest_month(tmp_path: Path) -> None:
    result = run("review", str(tracker(tmp_path)), "--now", "2026-11-04T10:00")
    assert result.exit_code == 0, result.output
    assert "## 7. Next month's targets" in result.stdout
    assert "Fill in a target for November 2026" in result.stdout


def test_a_month_with_no_enquiries_is_one_line(tmp_path: Path) -> None:
    result = run("review", str(tracker(tmp_path)), "--month", "2026-03")
    assert_one_line_error(result, "no enquiries received in 2026-03")


def test_an_unwritable_out_file_is_one_line(tmp_path: Path) -> None:
    result = run("review", str(tracker(tmp_path)), "--out",
                 str(tmp_path / "missing" / "review.md"), "--now", "2026-11-04T10:00")
    assert_one_line_error(result, "cannot be written")
