"""The History tab: its header at init, and the lines a refresh appends."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sheetcrm.history import Event, SalesCycle
from sheetcrm.model import Cell, Changes, Settings
from sheetcrm.results import Evaluation
from sheetcrm.summary import ChannelFigures, MonthFigures
from sheetcrm.tabs import TabContext, history, summary
from sheetcrm.template import load_template

T = load_template()
KLA = zoneinfo.ZoneInfo("Africa/Kampala")


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


# --------------------------------------------------------------------------- on the Summary


def summary_rows(cycle: SalesCycle | None) -> list[list[Cell]]:
    settings = Settings()
    evaluation = Evaluation(now=dt.datetime(2026, 11, 12, 10, tzinfo=KLA), settings=settings,
                            rows=[], months=[], changes=Changes(), sales_cycle=cycle)
    return summary.build(TabContext(template=T, settings=settings, evaluation=evaluation,
                                    letters={}, last_row=1)).rows


def test_the_summary_shows_the_average_sales_cycle_labelled_as_measured_at_refresh() -> None:
    rows = summary_rows(SalesCycle(days=6.0, count=2, typed=1))
    at = rows.index([Cell("Sales cycle", style="subtitle")])
    assert rows[at - 1] == []
    assert rows[at + 1] == [Cell("Average sales cycle (days, measured at refresh time)",
                                 style="label"), Cell(6.0)]
    words = " ".join(str(line[0].value) for line in rows[at + 2:] if line)
    assert words == ("From First contact to the refresh that first saw the status converted "
                     "(or the Closed on date where you typed one), over 2 converted enquiries, "
                     "1 of them from the Closed on column. A refresh sees a change only when it "
                     "runs, so refresh often for a close figure.")


def test_the_summary_says_when_the_sales_cycle_is_not_known_yet() -> None:
    rows = summary_rows(SalesCycle(days=None, count=0, typed=0))
    at = rows.index([Cell("Sales cycle", style="subtitle")])
    assert " ".join(str(line[0].value) for line in rows[at + 1:] if line) == (
        "Average sales cycle: not known yet. It needs a converted enquiry with a First "
        "contact, seen converted by a refresh or with a Closed on date.")


def test_a_summary_built_without_a_sales_cycle_has_no_block() -> None:
    assert [Cell("Sales cycle", style="subtitle")] not in summary_rows(None)


def test_with_months_the_sales_cycle_comes_after_them_and_before_the_undated_note() -> None:
    settings = Settings()
    month = MonthFigures("2026-11", [], ChannelFigures("Total", 1, 1, 1, 0, 0, 1.0, 1.0, 30,
                                                       0.0), 0, False)
    evaluation = Evaluation(now=dt.datetime(2026, 11, 12, 10, tzinfo=KLA), settings=settings,
                            rows=[], months=[month], changes=Changes(), undated=1,
                            sales_cycle=SalesCycle(days=2.5, count=4, typed=0))
    rows = summary.build(TabContext(template=T, settings=settings, evaluation=evaluation,
                                    letters={}, last_row=1)).rows
    at = rows.index([Cell("Sales cycle", style="subtitle")])
    undated = next(i for i, row in enumerate(rows) if row and str(row[0].value).startswith(
        "1 enquiry has no readable Received date"))
    assert rows[at - 1] == [] and rows[undated - 1] == [] and at < undated
    assert rows[at - 2][0].value == "SLA breaches this month: 0"
    assert rows[at + 1][1] == Cell(2.5)
