"""The Summary tab from hand-built monthly figures, and from a refresh on the memory backend."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sheetcrm import tracker
from sheetcrm.backends.memory import MemoryBackend
from sheetcrm.model import Cell, Changes, Chart, Formula, Settings, TabContent
from sheetcrm.results import Evaluation
from sheetcrm.summary import ChannelFigures, MonthFigures
from sheetcrm.tabs import TabContext, summary
from sheetcrm.template import load_template

T = load_template()
KLA = zoneinfo.ZoneInfo("Africa/Kampala")
NOW = dt.datetime(2026, 11, 4, 10, 0, tzinfo=KLA)
#: A tracker made with the first column order (Status E, Name B, First contact F, Respond by
#: K, Next follow-up M): the Summary uses the letters the header row gives, whatever they are.
LETTERS = {"received": "A", "name": "B", "contact": "C", "source": "D", "status": "E",
           "first_contact": "F", "follow_ups_done": "G", "value": "H", "notes": "I",
           "id": "J", "respond_by": "K", "sla": "L", "next_follow_up": "M", "whatsapp": "N",
           "problems": "O"}

NOV = MonthFigures(
    month="2026-11",
    channels=[
        ChannelFigures("WhatsApp", 4, 3, 2, 1, 1, 0.5, 0.25, 90, 150000.0),
        ChannelFigures("Walk-in", 1, 0, 0, 0, 1, 0.0, None, None, 0.0),
    ],
    total=ChannelFigures("Total", 5, 3, 2, 1, 2, 0.4, 0.25, 90, 150000.0),
    sla_breaches=3,
    escalate=True,
)
OCT = MonthFigures(
    month="2026-10",
    channels=[ChannelFigures("Facebook", 2, 2, 1, 0, 1, 0.5, 1.0, 720, 2500.5)],
    total=ChannelFigures("Total", 2, 2, 1, 0, 1, 0.5, 1.0, 720, 2500.5),
    sla_breaches=0,
    escalate=False,
)


def build(months: list[MonthFigures], *, undated: int = 0, letters: dict[str, str] | None = None,
          last_row: int = 8, settings: Settings | None = None) -> TabContent:
    settings = settings or Settings(business_name="Mama Rose Salon")
    evaluation = Evaluation(now=NOW, settings=settings, rows=[], months=months,
                            changes=Changes(), undated=undated)
    return summary.build(TabContext(template=T, settings=settings, evaluation=evaluation,
                                    letters=LETTERS if letters is None else letters,
                                    last_row=last_row))


def values(line: list[Cell]) -> list[object]:
    return [c.value for c in line]


def test_the_placeholder_before_the_first_refresh() -> None:
    content = summary.build(TabContext(template=T, settings=Settings()))
    assert content.rows == [
        [Cell("Enquiry summary", style="title")],
        [Cell("Run `sheetcrm refresh` to fill this tab.", style="muted")],
    ]
    assert content.charts == []


def test_the_title_names_the_business_and_the_target() -> None:
    rows = build([NOV]).rows
    assert rows[0] == [Cell("Enquiry summary: Mama Rose Salon", style="title")]
    assert rows[1] == [Cell("Refreshed 04/11/2026 10:00 (Africa/Kampala). Target: first reply "
                            "within 4 business hours.", style="muted")]
    assert rows[2] == []
    assert rows[3] == [Cell("Right now (updates live in the sheet)", style="subtitle")]


def test_no_business_name_no_colon() -> None:
    rows = build([NOV], settings=Settings(sla_hours=2.5)).rows
    assert rows[0] == [Cell("Enquiry summary", style="title")]
    assert rows[1][0].value == ("Refreshed 04/11/2026 10:00 (Africa/Kampala). Target: first "
                                "reply within 2.5 business hours.")


PENDING = ('((LOWER(TRIM(Enquiries!$E$2:$E$5000))="pending")'
           '+(TRIM(Enquiries!$E$2:$E$5000)="")*(TRIM(Enquiries!$B$2:$B$5000)<>""))')


def test_the_three_live_count_formulas_for_the_template_layout() -> None:
    rows = build([NOV]).rows
    assert rows[4] == [Cell("Pending enquiries", style="label"),
                       Cell(Formula("=SUMPRODUCT(" + PENDING + ")"), style="integer")]
    assert rows[5] == [
        Cell("Pending and past Respond by", style="label"),
        Cell(Formula("=SUMPRODUCT(" + PENDING + '*(TRIM(Enquiries!$F$2:$F$5000)="")'
                     "*ISNUMBER(Enquiries!$K$2:$K$5000)*(Enquiries!$K$2:$K$5000<NOW()))"),
             style="integer"),
    ]
    assert rows[6] == [
        Cell("Follow-ups due today or earlier", style="label"),
        Cell(Formula('=SUMPRODUCT((LOWER(TRIM(Enquiries!$E$2:$E$5000))="contacted")'
                     "*ISNUMBER(Enquiries!$M$2:$M$5000)*(Enquiries!$M$2:$M$5000<TODAY()+1))"),
             style="integer"),
    ]


def test_the_live_counts_follow_moved_columns_and_a_grown_tracker() -> None:
    moved = {**LETTERS, "status": "A", "name": "Q", "first_contact": "C", "respond_by": "Z",
             "next_follow_up": "AB"}
    rows = build([NOV], letters=moved, last_row=4500).rows
    assert rows[4][1].value == Formula(
        '=SUMPRODUCT(((LOWER(TRIM(Enquiries!$A$2:$A$5500))="pending")'
        '+(TRIM(Enquiries!$A$2:$A$5500)="")*(TRIM(Enquiries!$Q$2:$Q$5500)<>"")))')
    assert rows[6][1].value == Formula(
        '=SUMPRODUCT((LOWER(TRIM(Enquiries!$A$2:$A$5500))="contacted")'
        "*ISNUMBER(Enquiries!$AB$2:$AB$5500)*(Enquiries!$AB$2:$AB$5500<TODAY()+1))")
    assert "Enquiries!$Z$2:$Z$5500<NOW()" in rows[5][1].value.text  # type: ignore[union-attr]
    assert "TRIM(Enquiries!$C$2:$C$5500)" in rows[5][1].value.text  # type: ignore[union-attr]


def test_a_missing_column_letter_defers_the_live_counts() -> None:
    letters = {k: v for k, v in LETTERS.items() if k != "next_follow_up"}
    rows = build([NOV], letters=letters).rows
    assert rows[4] == [Cell("The live counts come back after the next refresh.", style="muted")]
    assert rows[5] == []
    assert rows[6] == [Cell("Month by month", style="subtitle")]


def test_month_by_month_oldest_first_and_a_block_per_month_newest_first() -> None:
    content = build([NOV, OCT], undated=1)
    rows = content.rows
    assert rows[8] == [Cell("Month by month", style="subtitle")]
    assert values(rows[9]) == ["Month", "Conversion rate", "Answered within SLA", "Enquiries",
                               "Converted", "SLA breaches", "Value won (UGX)"]
    assert {c.style for c in rows[9]} == {"header"}
    assert rows[10] == [Cell("Oct 2026"), Cell(0.5, style="percent"), Cell(1.0, style="percent"),
                        Cell(2), Cell(1), Cell(0), Cell(2500.5, style="money")]
    # November is the month of NOW (4/11): its figures are partial, and say so.
    assert rows[11] == [Cell("Nov 2026 so far"), Cell(0.4, style="percent"),
                        Cell(0.25, style="percent"), Cell(5), Cell(2),
                        Cell(3, style="bad"), Cell(150000, style="money")]
    assert rows[12] == []
    # November's block.
    assert rows[13] == [Cell("November 2026 so far (1 to 4 November)", style="subtitle")]
    # The funnel's order, as `sheetcrm report` and its JSON give it: Contacted, then Converted.
    assert values(rows[14]) == ["Channel", "Enquiries", "Contacted", "Converted", "Lost", "Open",
                                "Conversion rate", "Within SLA", "Median first reply",
                                "Value won (UGX)"]
    assert rows[15] == [Cell("WhatsApp"), Cell(4), Cell(3), Cell(2), Cell(1), Cell(1),
                        Cell(0.5, style="percent"), Cell(0.25, style="percent"),
                        Cell(0.0625, style="duration"), Cell(150000, style="money")]
    assert rows[16] == [Cell("Walk-in"), Cell(1), Cell(0), Cell(0), Cell(0), Cell(1),
                        Cell(0.0, style="percent"), Cell(None, style="percent"),
                        Cell(None, style="duration"), Cell(0, style="money")]
    total = "total"
    assert rows[17] == [Cell("Total", style=total), Cell(5, style=total), Cell(3, style=total),
                        Cell(2, style=total), Cell(1, style=total), Cell(2, style=total),
                        Cell(0.4, style="total_percent"), Cell(0.25, style="total_percent"),
                        Cell(0.0625, style="total_duration"),
                        Cell(150000, style="total_money")]
    assert rows[18] == [Cell("SLA breaches this month: 3", style="bad")]
    assert rows[19] == [Cell("Escalate: 3 enquiries were not answered within 4 business hours "
                             "this month (3 or more). Review who answers enquiries and when.",
                             style="alert")]
    assert rows[20] == []
    # October's block: no escalation.
    assert rows[21] == [Cell("October 2026 (last full month)", style="subtitle")]
    assert values(rows[23]) == ["Facebook", 2, 2, 1, 0, 1, 0.5, 1.0, 0.5, 2500.5]
    assert values(rows[24])[0] == "Total"
    assert rows[25] == [Cell("SLA breaches this month: 0", style="label")]
    assert rows[26] == []
    assert rows[27] == [Cell("1 enquiry has no readable Received date, so it is not counted: "
                             "see the Problems column.", style="muted")]
    # Then the alignment framework's section (tests/test_tabs_alignment.py), and last,
    # after a blank row, the heading of the charts below it all.
    assert rows[29] == [Cell("Spend, return and lead quality", style="subtitle")]
    assert rows[-2] == [] and rows[-1] == [Cell("Charts", style="subtitle")]


def test_the_charts_sit_below_the_tables_this_month_so_far_beside_the_last_full_one() -> None:
    content = build([NOV, OCT])
    # The tables (as above), a blank row, "Charts" on the last row: the charts below it,
    # in column A, 18 rows each, so a phone scrolling down reaches them.
    last = len(content.rows)
    assert content.rows[-1] == [Cell("Charts", style="subtitle")]
    assert content.charts == [
        # November's block: header on row 15, WhatsApp and Walk-in on rows 16-17;
        # Channel, Enquiries, Contacted and Converted are columns A-D.
        Chart(kind="bar", title="By channel, November 2026 so far (1 to 4 November)",
              first_row=15, last_row=17, first_col=1, last_col=4, anchor_row=last + 1,
              anchor_col=1, y_axis_title="Enquiries", counts=True),
        # October's block: header on row 23, Facebook on row 24.
        Chart(kind="bar", title="By channel, October 2026 (last full month)",
              first_row=23, last_row=24, first_col=1, last_col=4, anchor_row=last + 19,
              anchor_col=1, y_axis_title="Enquiries", counts=True),
        Chart(kind="line", title="Conversion rate and replies within SLA, by month",
              first_row=10, last_row=12, first_col=1, last_col=3, anchor_row=last + 37,
              anchor_col=1, y_axis_title="Share", percent=True),
    ]


def test_with_no_enquiries_yet_this_month_the_last_full_month_is_charted_and_named() -> None:
    sep = MonthFigures(month="2026-09", channels=OCT.channels, total=OCT.total,
                       sla_breaches=0, escalate=False)
    content = build([OCT, sep])  # NOW is 4/11/2026: nothing in November yet
    titles = [line[0].value for line in content.rows if line and line[0].style == "subtitle"]
    assert titles == ["Right now (updates live in the sheet)", "Month by month",
                      "October 2026 (last full month)", "September 2026",
                      "Spend, return and lead quality", "Charts"]
    assert [line[0].value for line in content.rows[10:12]] == ["Sep 2026", "Oct 2026"]
    assert [c.title for c in content.charts] == [
        "By channel, October 2026 (last full month)",
        "Conversion rate and replies within SLA, by month"]


def test_two_breaches_do_not_escalate_and_several_undated_are_plural() -> None:
    two = MonthFigures(month="2026-11", channels=NOV.channels, total=NOV.total,
                       sla_breaches=2, escalate=False)
    rows = build([two], undated=2).rows
    assert rows[10][5] == Cell(2)
    texts = [line[0].value for line in rows if line]
    assert "SLA breaches this month: 2" in texts
    assert not any(isinstance(t, str) and t.startswith("Escalate") for t in texts)
    assert ("2 enquiries have no readable Received date, so they are not counted: "
            "see the Problems column.") in texts


def test_the_trend_keeps_the_latest_twelve_months() -> None:
    def month(m: str) -> MonthFigures:
        figures = ChannelFigures("Total", 1, 0, 0, 0, 1, 0.0, None, None, 0.0)
        return MonthFigures(month=m, channels=[], total=figures, sla_breaches=0,
                            escalate=False)

    names = ["2026-11", "2026-10", "2026-09", "2026-08", "2026-07", "2026-06", "2026-05",
             "2026-04", "2026-03", "2026-02", "2026-01", "2025-12", "2025-11"]
    content = build([month(m) for m in names])
    trend = [line[0].value for line in content.rows[10:22]]
    assert trend == ["Dec 2025", "Jan 2026", "Feb 2026", "Mar 2026", "Apr 2026", "May 2026",
                     "Jun 2026", "Jul 2026", "Aug 2026", "Sep 2026", "Oct 2026",
                     "Nov 2026 so far"]
    assert content.rows[22] == []
    assert content.charts[-1].last_row == 22


def test_no_dated_enquiries_yet() -> None:
    content = build([])
    assert content.rows[8] == [Cell("No dated enquiries yet. Add some on the Enquiries tab and "
                                    "refresh.", style="muted")]
    assert len(content.rows) == 9
    assert content.charts == []


def test_a_refresh_on_the_memory_backend_writes_the_summary() -> None:
    backend = MemoryBackend()
    tracker.init_tracker(backend, Settings(business_name="Duka La Mama"))
    backend.append([
        {"Received": dt.datetime(2026, 10, 5, 9, 0), "Name": "Ann", "Source": "WhatsApp",
         "Status": "converted", "First contact": dt.datetime(2026, 10, 5, 9, 30),
         "Value": 50000},
        {"Received": dt.datetime(2026, 11, 2, 9, 0), "Name": "Ben", "Source": "Walk-in",
         "Status": "pending"},
        {"Name": "Cat", "Source": "Walk-in"},
    ])
    content = tracker.refresh(backend, now=dt.datetime(2026, 11, 4, 10, 0)).changes.tabs[
        "Summary"]
    rows = content.rows
    assert rows[0] == [Cell("Enquiry summary: Duka La Mama", style="title")]
    # A new tracker's own columns: Name A, Status G.
    assert rows[4][1].value == Formula(
        '=SUMPRODUCT(((LOWER(TRIM(Enquiries!$G$2:$G$5000))="pending")'
        '+(TRIM(Enquiries!$G$2:$G$5000)="")*(TRIM(Enquiries!$A$2:$A$5000)<>"")))')
    assert [line[0].value for line in rows[10:12]] == ["Oct 2026", "Nov 2026 so far"]
    assert rows[13] == [Cell("November 2026 so far (1 to 4 November)", style="subtitle")]
    assert [Cell("1 enquiry has no readable Received date, so it is not counted: "
                 "see the Problems column.", style="muted")] in rows
    assert backend.tabs["Summary"].get(1, 1) == "Enquiry summary: Duka La Mama"
