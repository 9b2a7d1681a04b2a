"""The History tab: its header at init, and the lines a refresh appends."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sheetcrm.history import Event
from sheetcrm.model import Cell, Settings
from sheetcrm.tabs import TabContext, history
from sheetcrm.template import load_template

T = load_template()


def test_init_writes_the_header_only() -> None:
    content = history.build(TabContext(template=T, settings=Settings()))
    assert content.rows == [[Cell("Seen at", style="header"), Cell("ID", style="header"),
                             Cell("Name", style="header"), Cell("What", style="header")]]
    assert content.freeze_rows == 1
    assert not content.hidden


def test_a_line_is_dated_in_the_trackers_own_time_zone() -> None:
    # 07:30 UTC is 10:30 in Kampala (UTC+3): the line shows 10:30, as a date-time cell.
    seen_at = dt.datetime(2026, 11, 12, 7, 30, 15, 500, tzinfo=dt.UTC).astimezone(
        zoneinfo.ZoneInfo("Africa/Kampala"))
    lines = history.lines([Event("E0002", "Bob", "Status contacted \u2192 converted"),
                           Event("", "", "History starts: 3 enquiries")], seen_at)
    assert lines == [
        [Cell(dt.datetime(2026, 11, 12, 10, 30, 15), style="datetime"), Cell("E0002"),
         Cell("Bob"), Cell("Status contacted \u2192 converted")],
        [Cell(dt.datetime(2026, 11, 12, 10, 30, 15), style="datetime"), Cell(None), Cell(None),
         Cell("History starts: 3 enquiries")],
    ]


def test_the_template_has_an_append_only_history_tab() -> None:
    tab = T.tab("history")
    assert (tab.name, tab.owned, tab.refresh, tab.hidden) == ("History", True, False, False)
