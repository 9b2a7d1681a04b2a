"""Exporters: the text tables and the JSON shapes, against hand-worked figures."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import pytest

from sheetcrm import exporters
from sheetcrm.errors import InputError
from sheetcrm.exporters import json as json_exporter
from sheetcrm.exporters import text
from sheetcrm.model import Changes, Settings
from sheetcrm.results import Evaluation, RowResult
from sheetcrm.sla import SlaResult
from sheetcrm.summary import ChannelFigures, MonthFigures

KLA = zoneinfo.ZoneInfo("Africa/Kampala")
NOW = dt.datetime(2026, 11, 4, 10, 0, tzinfo=KLA)

NOV = MonthFigures(
    month="2026-11",
    channels=[
        ChannelFigures("WhatsApp", 4, 3, 2, 1, 1, 0.5, 0.25, 90, 150000.0),
        ChannelFigures("A very long channel name", 1, 0, 0, 0, 1, 0.0, None, None, 0.0),
    ],
    total=ChannelFigures("Total", 5, 3, 2, 1, 2, 0.4, 0.25, 90, 150000.0),
    sla_breaches=3,
    escalate=True,
)
OCT = MonthFigures(
    month="2026-10",
    channels=[ChannelFigures("Facebook", 3, 3, 2, 0, 1, 2 / 3, 1.0, 1505, 2500.5)],
    total=ChannelFigures("Total", 3, 3, 2, 0, 1, 2 / 3, 1.0, 1505, 2500.5),
    sla_breaches=0,
    escalate=False,
)


def row(n: int, state: str | None, *, follow: dt.date | None = None,
        problems: list[str] | None = None) -> RowResult:
    sla = None
    if state is not None:
        by = dt.datetime(2026, 11, 3, 12, 0, tzinfo=KLA) if state != "unknown" else None
        sla = SlaResult(state, by, 30 if state in ("met", "missed") else None, "x")  # type: ignore[arg-type]
    return RowResult(row=n, id=f"E{n:04d}", name="N", contact="", phone=None, source="WhatsApp",
                     status="pending", received=None, first_contact=None, follow_ups_done=None,
                     value=None, sla=sla, next_follow_up=follow, whatsapp=None,
                     problems=problems or [])


ROWS = [
    row(2, "due"), row(3, "overdue"), row(4, "overdue"), row(5, "met"),
    row(6, "unknown", problems=["Received is blank"]),
    row(7, None, follow=dt.date(2026, 11, 4)), row(8, None, follow=dt.date(2026, 11, 1)),
    row(9, None, follow=dt.date(2026, 11, 5)),
]


def evaluation(months: list[MonthFigures], rows: list[RowResult] = ROWS) -> Evaluation:
    return Evaluation(now=NOW, settings=Settings(), rows=rows, months=months, changes=Changes())


def test_text_refresh_gives_this_month_so_far_and_the_last_full_month() -> None:
    # NOW is 4/11/2026: four days of November say little alone, so October comes too,
    # each named, in the funnel's order (contacted before converted) as `report` has it.
    assert text.refresh("shop.xlsx", evaluation([NOV, OCT])) == (
        "Refreshed shop.xlsx as at 04/11/2026 10:00 (Africa/Kampala).\n"
        "  8 enquiries: 1 due, 2 overdue, 1 met, 0 missed, 1 unknown.\n"
        "  Follow-ups due today or earlier: 2.\n"
        "  Rows with problems: 1 (see the Problems column).\n"
        "  November 2026 so far (1 to 4 November): 5 enquiries, 3 contacted, 2 converted "
        "(40%), 25% answered within the SLA, 3 SLA breaches: escalate.\n"
        "  October 2026 (last full month): 3 enquiries, 3 contacted, 2 converted (67%), "
        "100% answered within the SLA, 0 SLA breaches."
    )


def test_text_refresh_with_only_future_months_names_the_newest() -> None:
    dec = MonthFigures(month="2026-12", channels=[], total=OCT.total, sla_breaches=0,
                       escalate=False)
    assert text.refresh("t", evaluation([dec], [])).splitlines()[-1] == (
        "  December 2026: 3 enquiries, 3 contacted, 2 converted (67%), 100% answered within "
        "the SLA, 0 SLA breaches.")


def test_text_refresh_with_one_enquiry_and_no_months() -> None:
    assert text.refresh("shop.xlsx", evaluation([], [row(2, "due")])) == (
        "Refreshed shop.xlsx as at 04/11/2026 10:00 (Africa/Kampala).\n"
        "  1 enquiry: 1 due, 0 overdue, 0 met, 0 missed, 0 unknown.\n"
        "  Follow-ups due today or earlier: 0."
    )


def test_text_refresh_without_escalation_ends_with_a_full_stop() -> None:
    out = text.refresh("t", evaluation([OCT], []))
    assert out.splitlines()[-1] == ("  October 2026 (last full month): 3 enquiries, "
                                    "3 contacted, 2 converted (67%), 100% "
                                    "answered within the SLA, 0 SLA breaches.")


def test_text_report_is_a_table_per_month() -> None:
    assert text.report("shop.xlsx", [NOV, OCT]) == "\n".join([
        "November 2026",
        "  Channel         Enq  Cont  Conv  Lost  Open  Conv%   SLA%   Median     Value won",
        "  WhatsApp          4     3     2     1     1    50%    25%   1h 30m       150,000",
        "  A very long ch    1     0     0     0     1     0%      -        -             0",
        "  Total             5     3     2     1     2    40%    25%   1h 30m       150,000",
        "  SLA breaches: 3 (3 or more: escalate)",
        "",
        "October 2026",
        "  Channel         Enq  Cont  Conv  Lost  Open  Conv%   SLA%   Median     Value won",
        "  Facebook          3     3     2     0     1    67%   100%   25h 5m         2,500",
        "  Total             3     3     2     0     1    67%   100%   25h 5m         2,500",
        "  SLA breaches: 0",
        "",
    ])


def test_text_report_with_no_months() -> None:
    assert text.report("shop.xlsx", []) == "shop.xlsx has no dated enquiries yet."


def test_json_refresh_keys_and_values() -> None:
    data = json.loads(json_exporter.refresh("shop.xlsx", evaluation([NOV], ROWS[:2] + ROWS[4:6])))
    assert list(data) == ["now", "enquiries", "months"]
    assert data["now"] == "2026-11-04T10:00:00+03:00"
    assert data["enquiries"] == [
        {"id": "E0002", "row": 2, "sla": "due", "respond_by": "2026-11-03T12:00:00+03:00",
         "response_minutes": None, "next_follow_up": None, "problems": [], "score": None,
         "mql": None},
        {"id": "E0003", "row": 3, "sla": "overdue",
         "respond_by": "2026-11-03T12:00:00+03:00", "response_minutes": None,
         "next_follow_up": None, "problems": [], "score": None, "mql": None},
        {"id": "E0006", "row": 6, "sla": "unknown", "respond_by": None,
         "response_minutes": None, "next_follow_up": None, "problems": ["Received is blank"],
         "score": None, "mql": None},
        {"id": "E0007", "row": 7, "sla": "unknown", "respond_by": None,
         "response_minutes": None, "next_follow_up": "2026-11-04", "problems": [],
         "score": None, "mql": None},
    ]
    (month,) = data["months"]
    assert month["month"] == "2026-11"
    assert month["sla_breaches"] == 3 and month["escalate"] is True


ISSUE_2_KEYS = ("source", "enquiries", "contacted", "converted", "lost", "open",
                "conversion_rate", "sla_met_rate", "median_response_minutes", "value_won")


def test_json_report_rounds_rates_and_keeps_whole_money_whole() -> None:
    data = json.loads(json_exporter.report("shop.xlsx", [NOV, OCT]))
    assert list(data) == ["months"]
    nov, oct_ = data["months"]
    assert list(nov) == ["month", "channels", "total", "sla_breaches", "escalate"]
    assert {k: v for k, v in nov["channels"][0].items() if k in ISSUE_2_KEYS} == {
        "source": "WhatsApp", "enquiries": 4, "contacted": 3, "converted": 2, "lost": 1,
        "open": 1, "conversion_rate": 0.5, "sla_met_rate": 0.25,
        "median_response_minutes": 90, "value_won": 150000,
    }
    assert isinstance(nov["channels"][0]["value_won"], int)
    assert nov["channels"][1]["sla_met_rate"] is None
    assert nov["channels"][1]["median_response_minutes"] is None
    assert nov["total"]["source"] == "Total" and nov["total"]["conversion_rate"] == 0.4
    assert {k: v for k, v in oct_["total"].items() if k in ISSUE_2_KEYS} == {
        "source": "Total", "enquiries": 3, "contacted": 3, "converted": 2, "lost": 0,
        "open": 1, "conversion_rate": 0.667, "sla_met_rate": 1.0,
        "median_response_minutes": 1505, "value_won": 2500.5,
    }
    assert oct_["escalate"] is False


def test_the_registry_has_text_and_json() -> None:
    assert list(exporters.EXPORTERS) == ["text", "json"]
    assert exporters.get("text").report("t", []) == "t has no dated enquiries yet."
    assert json.loads(exporters.get("json").report("t", [])) == {"months": []}


def test_an_unknown_exporter_name_is_an_input_error() -> None:
    with pytest.raises(InputError, match="There is no 'csv' format: use one of text, json"):
        exporters.get("csv")


def test_text_refresh_never_prints_a_dash_for_a_figure() -> None:
    # One enquiry, still due: nothing met, missed or overdue, so there is no SLA rate.
    due = MonthFigures(
        month="2026-11",
        channels=[ChannelFigures("WhatsApp", 1, 0, 0, 0, 1, 0.0, None, None, 0.0)],
        total=ChannelFigures("Total", 1, 0, 0, 0, 1, 0.0, None, None, 0.0),
        sla_breaches=0, escalate=False)
    last = text.refresh("t", evaluation([due], [row(2, "due")])).splitlines()[-1]
    # The evaluation's clock is in November: the month so far, with its days.
    assert last.endswith(": 1 enquiry, 0 contacted, 0 converted (0%), no reply due or made "
                         "yet to measure against the SLA, 0 SLA breaches.")
    assert last.startswith("  November 2026 so far")
    assert " - " not in last and "(-)" not in last


def test_reports_add_the_tracker_wide_figures_after_the_months() -> None:
    data = json.loads(json_exporter.report("shop.xlsx", [OCT],
                                           {"average_sales_cycle_days": 6.5}))
    assert list(data) == ["months", "average_sales_cycle_days"]
    assert data["average_sales_cycle_days"] == 6.5
    words = text.report("shop.xlsx", [OCT], {"average_sales_cycle_days": 6.5})
    assert words.endswith("\nAverage sales cycle: 6.5 days from first contact to converted "
                          "(measured at refresh time, or the Closed on date)")
    assert "Average sales cycle" not in text.report("shop.xlsx", [OCT],
                                                    {"average_sales_cycle_days": None})


def test_json_report_gives_win_back_ids_and_text_names_them() -> None:
    data = json.loads(json_exporter.report("shop.xlsx", [NOV], {"win_back": ["E0003", "E0007"]}))
    assert data["win_back"] == ["E0003", "E0007"]
    assert text.report("shop.xlsx", [NOV], {"win_back": ["E0003"]}).endswith(
        "Win back (see the Today tab): E0003")
    assert "Win back" not in text.report("shop.xlsx", [NOV], {"win_back": []})
