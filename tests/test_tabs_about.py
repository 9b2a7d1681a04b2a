"""The About tab: every template column with who fills it, and the rules in words."""

from __future__ import annotations

import datetime as dt

from sheetcrm.model import Cell, Settings
from sheetcrm.tabs import TabContext, about
from sheetcrm.template import load_template

T = load_template()


def build(settings: Settings | None = None) -> list[list[Cell]]:
    return about.build(TabContext(template=T, settings=settings or Settings())).rows


def column_rows(rows: list[list[Cell]]) -> list[list[Cell]]:
    start = rows.index([Cell("Column", style="header"), Cell("Who fills it", style="header"),
                        Cell("What it means", style="header")])
    out = []
    for line in rows[start + 1:]:
        if not line:
            break
        out.append(line)
    return out


def text(rows: list[list[Cell]]) -> str:
    return " ".join(str(c.value) for line in rows for c in line if c.value is not None)


def test_every_template_column_appears_with_who_fills_it() -> None:
    lines = column_rows(build())
    named = [(line[0].value, line[1].value) for line in lines if line[0].value is not None]
    assert named == [
        ("Name", "You"), ("SLA", "sheetcrm"), ("Respond by", "sheetcrm"),
        ("Received", "You"), ("Contact", "You"), ("Source", "You"),
        ("Status", "You"), ("First contact", "You"), ("Follow-ups done", "You"),
        ("Value", "You"), ("Notes", "You"), ("ID", "sheetcrm (or you)"),
        ("Signals", "You"), ("Lost reason", "You"),
        ("Next follow-up", "sheetcrm"), ("WhatsApp", "sheetcrm"), ("Score", "sheetcrm"),
        ("MQL", "sheetcrm"), ("Problems", "sheetcrm"), ("Closed on", "You, if you add it"),
    ]
    assert all(line[0].style == "label" for line in lines if line[0].value is not None)


def test_each_columns_note_is_there_in_full_across_its_lines() -> None:
    lines = column_rows(build())
    notes: dict[str, list[str]] = {}
    current = ""
    for line in lines:
        if line[0].value is not None:
            current = str(line[0].value)
        notes.setdefault(current, []).append(str(line[2].value))
    assert " ".join(notes["Notes"]) == ("Anything worth remembering. sheetcrm never reads or "
                                        "changes this.")
    assert " ".join(notes["Received"]) == (
        "When the enquiry arrived, day first: 23/11/2026 09:40. A date alone means that day's "
        "opening time.")
    assert all(len(n) <= 70 for ns in notes.values() for n in ns)
    assert len(notes["Received"]) == 2


def test_the_rules_use_the_settings() -> None:
    settings = Settings(sla_hours=2.5, follow_up_days=(1, 3, 5),
                        opening_hours={0: (dt.time(9), dt.time(17)), 1: None, 2: None, 3: None,
                                       4: None, 5: None, 6: (dt.time(10), dt.time(13))})
    words = text(build(settings))
    assert "Reply to every new enquiry within 2.5 business hours (the SLA)." in words
    assert "follow up on days 1, 3 and 5 (Next follow-up shows the date)." in words
    assert ("Opening hours when this tracker was made: Mon 09:00-17:00, Tue closed, Wed closed, "
            "Thu closed, Fri closed, Sat closed, Sun 10:00-13:00.") in words
    # The computed columns are no longer side by side: each is named.
    assert ("the columns SLA, Respond by, Next follow-up, WhatsApp, Score, MQL and Problems,"
            in words)
    assert "Status words: pending, contacted, converted, lost." in words


def test_the_default_opening_hours_and_sla() -> None:
    words = text(build())
    assert "within 4 business hours" in words
    assert ("Mon 08:00-18:00, Tue 08:00-18:00, Wed 08:00-18:00, Thu 08:00-18:00, "
            "Fri 08:00-18:00, Sat 09:00-14:00, Sun closed.") in words


def test_the_colour_rules_are_explained_in_their_own_colours() -> None:
    rows = build()
    styled = [line[0] for line in rows if line and line[0].style in ("overdue", "amber")]
    assert styled[0].value.startswith("Red: a pending enquiry")  # type: ignore[union-attr]
    assert {c.style for c in styled} == {"overdue", "amber"}


def test_the_title_tabs_and_widths() -> None:
    content = about.build(TabContext(template=T, settings=Settings()))
    assert content.rows[0] == [Cell("How this tracker works", style="title")]
    tabs = [line[0].value for line in content.rows
            if len(line) == 3 and line[1].value is None and line[0].style == "label"]
    assert tabs == ["Today", "Summary", "History", "Settings", "Lists", "Spend"]
    assert content.widths == {1: 22, 2: 18, 3: 70}
    assert all(len(str(c.value)) <= 95 for line in content.rows for c in line[:1]
               if c.value is not None)
