"""`sheetcrm init`."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from tests.helpers.cli import assert_one_line_error, digest, run


def test_init_creates_a_tracker_with_every_tab(tmp_path: Path) -> None:
    path = tmp_path / "tracker.xlsx"
    result = run("init", str(path))
    assert result.exit_code == 0, result.output
    assert "Created the tracker" in result.output
    wb = openpyxl.load_workbook(path)
    assert {"Enquiries", "Today", "Summary", "Settings", "Lists", "About"} <= set(wb.sheetnames)
    headers = [c.value for c in wb["Enquiries"][1]]
    for header in ("ID", "Received", "Name", "Contact", "Source", "Status", "First contact",
                   "Follow-ups done", "Value", "Notes", "Respond by", "SLA", "Next follow-up",
                   "WhatsApp", "Problems"):
        assert header in headers


def test_init_with_config_seeds_settings(tmp_path: Path) -> None:
    config = tmp_path / "business.toml"
    config.write_text('country = "KE"\ntimezone = "Africa/Nairobi"\nsla_hours = 2\n')
    path = tmp_path / "tracker.xlsx"
    assert run("init", str(path), "--config", str(config)).exit_code == 0
    values = {row[0]: row[1] for row in openpyxl.load_workbook(path)["Settings"].iter_rows(
        values_only=True) if row[0]}
    assert values["Country for public holidays"] == "KE"
    assert values["Time zone"] == "Africa/Nairobi"
    assert values["SLA hours"] == 2


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "tracker.xlsx"
    assert run("init", str(path)).exit_code == 0
    before = digest(path)
    result = run("init", str(path))
    assert_one_line_error(result, "tracker.xlsx")
    assert digest(path) == before


def test_init_bad_config_is_one_line_and_creates_nothing(tmp_path: Path) -> None:
    config = tmp_path / "business.toml"
    config.write_text("sla_hours = \"four\"\n")
    path = tmp_path / "tracker.xlsx"
    result = run("init", str(path), "--config", str(config))
    assert_one_line_error(result, "business.toml", "sla_hours")
    assert not path.exists()


def test_init_rejects_other_file_types(tmp_path: Path) -> None:
    result = run("init", str(tmp_path / "tracker.xls"))
    assert_one_line_error(result, ".xlsx")


# The mobile examples phonenumbers gives for each country, worked out by hand
# from its metadata (national format, then international).
PHONE_EXAMPLES = {
    "UG": "0712 345678 or +256 712 345678",
    "KE": "0712 123456 or +254 712 123456",
    "TZ": "0621 234 567 or +255 621 234 567",
    "RW": "0720 123 456 or +250 720 123 456",
}


@pytest.mark.parametrize(("country", "examples"), PHONE_EXAMPLES.items())
def test_phone_examples_follow_the_trackers_country(
        tmp_path: Path, country: str, examples: str) -> None:
    config = tmp_path / "business.toml"
    config.write_text(f'country = "{country}"\n')
    path = tmp_path / "tracker.xlsx"
    assert run("init", str(path), "--config", str(config)).exit_code == 0
    wb = openpyxl.load_workbook(path)
    contact = next(c for c in wb["Enquiries"][1] if c.value == "Contact")
    note = f"Phone number ({examples}), email or social media handle."
    assert contact.comment is not None and contact.comment.text.startswith(note)
    about = " ".join(str(v) for row in wb["About"].iter_rows(values_only=True)
                     for v in row if v is not None)
    assert f"Phone number ({examples})," in about
    others = [code for c, e in PHONE_EXAMPLES.items() if c != country
              for code in (e.split("+")[1][:3],)]
    for code in others:  # no other country's numbers anywhere in the notes or About
        assert f"+{code}" not in about and f"+{code}" not in contact.comment.text


def test_add_help_does_not_assume_uganda() -> None:
    out = run("add", "--help").output
    for code in ("+256", "+254", "+255", "+250"):
        assert code in out
