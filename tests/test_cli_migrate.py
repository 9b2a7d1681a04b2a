"""`sheetcrm migrate`."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.cli import assert_one_line_error, digest, run
from tests.helpers.trackers import cli_tracker


def test_migrate_to_hubspot_writes_both_files_and_leaves_the_tracker(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path, ("--name", "Sarah Nakato", "--contact", "0772 123456",
                                  "--source", "WhatsApp", "--received", "14/10/2026 09:00"))
    before = digest(path)
    out = tmp_path / "hubspot"
    result = run("migrate", str(path), "--to", "hubspot", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"Wrote {out / 'contacts.csv'} (1 record)." in result.output
    assert f"Wrote {out / 'deals.csv'} (0 records)." in result.output
    lines = (out / "contacts.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[1] == ('"Sarah","Nakato","+256772123456","","lead","New","2026-10-14",'
                        '"WhatsApp"')
    assert digest(path) == before


def test_migrate_an_unknown_crm_is_refused_by_the_option(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    result = run("migrate", str(path), "--to", "salesforce", "--out", str(tmp_path / "x"))
    assert result.exit_code == 2
    assert "'salesforce' is not one of 'hubspot', 'zoho'" in result.output


def test_migrate_existing_files_are_one_line(tmp_path: Path) -> None:
    path = cli_tracker(tmp_path)
    (tmp_path / "leads.csv").write_text("x", encoding="utf-8")
    assert_one_line_error(run("migrate", str(path), "--to", "zoho", "--out", str(tmp_path)),
                          "leads.csv already exists")


def test_migrate_help_teaches_on_its_own() -> None:
    text = " ".join(run("migrate", "--help").output.split())
    for words in ("contacts.csv", "deals.csv", "leads.csv", "Enquiry channel", "--force",
                  "Import, File from computer", "Import Leads", "not changed"):
        assert words in text
