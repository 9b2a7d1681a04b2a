"""The Lists, meta and Settings tabs as init writes them."""

from __future__ import annotations

import datetime as dt

from sheetcrm.model import Cell, Settings
from sheetcrm.tabs import TabContext, lists, meta, settings
from sheetcrm.template import load_template

T = load_template()
CTX = TabContext(template=T, settings=Settings())


def test_lists_has_the_sources_header_and_the_templates_sources() -> None:
    content = lists.build(CTX)
    assert content.rows[0][:3] == [
        Cell("Sources", style="header"), Cell(None),
        Cell("Add a channel at the bottom of the Sources list and it appears in the Source "
             "dropdown.", style="muted"),
    ]
    assert [r[0] for r in content.rows[1:10]] == [Cell(s) for s in (
        "WhatsApp", "Facebook", "Instagram", "TikTok", "Walk-in", "Phone call", "Referral",
        "Website", "Other")]
    assert content.freeze_rows == 1
    assert content.widths[1] == 18 and content.widths[3] == 60


def test_lists_has_the_scoring_table_and_lost_reasons_exactly_as_the_issue_gives() -> None:
    content = lists.build(CTX)

    def column(col: int) -> list[object]:
        return [r[col - 1].value for r in content.rows if len(r) >= col and
                r[col - 1].value is not None]

    assert column(5) == ["Signal", "Right industry", "Right company size", "Decision-maker",
                         "In our area", "Viewed prices", "Downloaded guide",
                         "Attended webinar", "Opened 3+ emails", "Asked for quote",
                         "WhatsApp question", "Asked for price list"]
    assert column(6) == ["Points", 10, 10, 15, 5, 20, 10, 15, 10, 25, 15, 20]
    assert column(8) == ["Lost reasons", "Price", "Not ready yet", "Chose another seller",
                         "No reply", "Not a fit", "Other"]
    # The Sources column is as before: nothing else written in column A.
    assert len(column(1)) == 10


def test_meta_holds_the_template_version_and_no_id_issued_yet() -> None:
    content = meta.build(CTX)
    assert content.rows == [
        [Cell("template_version"), Cell("1")],
        [Cell("last_id"), Cell("0")],
        [Cell("history_parts"), Cell("0")],
        [Cell("note"), Cell("Kept by sheetcrm. Please do not edit this tab.")],
    ]


def test_settings_lists_every_setting_with_its_value() -> None:
    chosen = Settings(business_name="Mama Rose Salon", sla_hours=2.5,
                      follow_up_days=(1, 3, 5), timezone="Africa/Nairobi", country="KE",
                      currency="KES",
                      extra_closed_dates=frozenset({dt.date(2026, 12, 24)}))
    rows = settings.build(TabContext(template=T, settings=chosen)).rows
    assert [c.value for c in rows[0][:3]] == ["Setting", "Value", "What it means"]
    assert rows[0][4] == Cell("Extra closed dates", style="header")
    assert rows[0][5] == Cell("Extra open dates", style="header")
    pairs = [(line[0].value, line[1].value) for line in rows[1:14]]
    assert pairs == [
        ("Business name", "Mama Rose Salon"), ("Time zone", "Africa/Nairobi"),
        ("Country for public holidays", "KE"), ("Currency", "KES"), ("SLA hours", 2.5),
        ("Follow-up days", "1, 3, 5"), ("Monday", "08:00-18:00"), ("Tuesday", "08:00-18:00"),
        ("Wednesday", "08:00-18:00"), ("Thursday", "08:00-18:00"), ("Friday", "08:00-18:00"),
        ("Saturday", "09:00-14:00"), ("Sunday", "closed"),
    ]
    assert rows[1][2] == Cell("Shown at the top of the Summary.", style="muted")
    assert rows[1][4] == Cell(dt.date(2026, 12, 24), style="date")
