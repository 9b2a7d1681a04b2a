"""One behavioural suite, run over every backend (memory, Excel, Google via the fake API).

Every expected figure is worked out by hand in the comments, with the default
settings: Mon-Fri 08:00-18:00, Sat 09:00-14:00, Sun closed, Uganda's public
holidays, SLA 4 business hours, follow-ups on days 2, 4 and 7.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from sheetcrm import tracker
from sheetcrm.backends.base import Backend
from sheetcrm.cells import text_of
from sheetcrm.model import CellValue
from sheetcrm.template import column_letter

NOW = dt.datetime(2026, 11, 2, 10, 0)  # Monday 2 November 2026, 10:00 in Kampala
EAT = dt.timezone(dt.timedelta(hours=3))


def d(day: int, month: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute)


ROWS: list[dict[str, CellValue]] = [
    # Alice: Fri 30/10 15:00, no reply. 15:00-18:00 = 180 min, Sat opens 09:00, +60 -> Sat 31/10
    # 10:00. Now Mon 10:00 is later: overdue by Sat 10-14 (240) + Mon 08-10 (120) = 360 min.
    {"Received": d(30, 10, 15), "Name": "Alice A.", "Contact": "0772 123456",
     "Source": "WhatsApp", "Status": "pending"},
    # Bob: Mon 02/11 09:00 -> respond by 13:00 the same day; now 10:00 -> due.
    {"Received": d(2, 11, 9), "Name": "Bob B.", "Contact": "+256 701 234567",
     "Source": "Instagram", "Status": "pending"},
    # Carol: Wed 28/10 09:00, replied 13:00 = exactly 240 min -> met. Contacted, 0 follow-ups:
    # next = 28/10 + 2 days = Fri 30/10 (open).
    {"Received": d(28, 10, 9), "Name": "Carol C.", "Contact": "0752 345678",
     "Source": "whatsapp ", "Status": "contacted", "First contact": d(28, 10, 13),
     "Follow-ups done": 0},
    # Dan: Wed 28/10 09:00, replied 13:01 = 241 min -> missed. Converted, worth 500,000.
    {"Received": d(28, 10, 9), "Name": "Dan D.", "Contact": "0782 456789",
     "Source": "Facebook", "Status": "converted", "First contact": d(28, 10, 13, 1),
     "Value": 500000},
    # Eve: Thu 08/10 16:00; Fri 09/10 is Independence Day (closed); replied Sat 10/10 10:00:
    # Thu 16-18 = 120 + Sat 09-10 = 60 -> 180 min -> met. Lost.
    {"Received": d(8, 10, 16), "Name": "Eve E.", "Contact": "0776 567890",
     "Source": "WhatsApp", "Status": "lost", "First contact": d(10, 10, 10)},
    # Frank: received typed as a date only -> Wed 14/10 08:00 (opening), with a note; replied
    # 09:30 -> 90 min, met. Contacted with 2 follow-ups done: next = 14/10 + 7 = Wed 21/10.
    {"Received": "14/10/2026", "Name": "Frank F.", "Contact": "0744 678901",
     "Source": "Walk-in", "Status": "contacted", "First contact": "14/10/2026 09:30",
     "Follow-ups done": 2},
    # Grace: an impossible date -> unknown, a problem naming Received, not in any month.
    {"Received": "32/13/2026", "Name": "Grace G.", "Contact": "0774 789012",
     "Source": "WhatsApp", "Status": "pending"},
]


@pytest.fixture
def refreshed(new_backend: Backend) -> tuple[Backend, tracker.Evaluation]:
    tracker.init_tracker(new_backend)
    new_backend.append(ROWS)
    return new_backend, tracker.refresh(new_backend, now=NOW)


def by_name(evaluation: tracker.Evaluation) -> dict[str, dict[str, Any]]:
    data = evaluation.as_dict()
    names = {r.row: r.name for r in evaluation.rows}
    return {names[e["row"]].split()[0]: e for e in data["enquiries"]}


def test_sla_states_and_times(refreshed: tuple[Backend, tracker.Evaluation]) -> None:
    _, evaluation = refreshed
    rows = by_name(evaluation)
    assert rows["Alice"]["sla"] == "overdue"
    assert rows["Alice"]["respond_by"] == "2026-10-31T10:00:00+03:00"
    assert rows["Bob"]["sla"] == "due"
    assert rows["Bob"]["respond_by"] == "2026-11-02T13:00:00+03:00"
    assert (rows["Carol"]["sla"], rows["Carol"]["response_minutes"]) == ("met", 240)
    assert (rows["Dan"]["sla"], rows["Dan"]["response_minutes"]) == ("missed", 241)
    assert (rows["Eve"]["sla"], rows["Eve"]["response_minutes"]) == ("met", 180)
    assert (rows["Frank"]["sla"], rows["Frank"]["response_minutes"]) == ("met", 90)
    assert rows["Grace"]["sla"] == "unknown"
    assert rows["Carol"]["next_follow_up"] == "2026-10-30"
    assert rows["Frank"]["next_follow_up"] == "2026-10-21"
    assert rows["Dan"]["next_follow_up"] is None
    assert any("Received" in p for p in rows["Grace"]["problems"])
    assert any("Received" in p for p in rows["Frank"]["problems"])  # the date-only note
    assert rows["Alice"]["problems"] == []


def test_ids_are_filled_in_row_order(refreshed: tuple[Backend, tracker.Evaluation]) -> None:
    backend, evaluation = refreshed
    assert [e["id"] for e in evaluation.as_dict()["enquiries"]] == [
        "E0001", "E0002", "E0003", "E0004", "E0005", "E0006", "E0007"]
    grid = backend.read().tabs["Enquiries"]
    col = [str(v).strip() for v in grid[0]].index("ID")
    assert [r[col] for r in grid[1:8]] == ["E0001", "E0002", "E0003", "E0004", "E0005",
                                           "E0006", "E0007"]


def test_monthly_figures(refreshed: tuple[Backend, tracker.Evaluation]) -> None:
    _, evaluation = refreshed
    months = evaluation.as_dict()["months"]
    assert [m["month"] for m in months] == ["2026-11", "2026-10"]
    october = months[1]
    channels = {c["source"]: c for c in october["channels"]}
    # WhatsApp in October: Alice (overdue), Carol (met, contacted), Eve (met, lost).
    assert channels["WhatsApp"] == {
        "source": "WhatsApp", "enquiries": 3, "contacted": 2, "converted": 0, "lost": 1,
        "open": 2, "conversion_rate": 0.0, "sla_met_rate": 0.667,
        "median_response_minutes": 210, "value_won": 0,
        # No Spend lines, nothing converted, no Signals typed, Eve lost with no reason:
        "spend": None, "cost_per_enquiry": None, "cac": None, "ltv": None, "roi": None,
        "pipeline_value": 0, "average_sale": None, "mqls": 0, "mql_conversion_rate": None,
        "lost_reasons": {}, "contact_rate": 0.667, "mql_rate": 0.0, "cost_per_mql": None}
    # Facebook: Dan alone, converted but missed.
    assert channels["Facebook"]["sla_met_rate"] == 0.0
    assert channels["Facebook"]["value_won"] == 500000
    # Total: 5 dated enquiries; met 3 (Carol, Eve, Frank) of 3 + 1 missed + 1 overdue = 0.6;
    # median of 90, 180, 240, 241 = (180 + 240) / 2 = 210; breaches 1 + 1 = 2: no escalation.
    total = october["total"]
    assert (total["enquiries"], total["contacted"], total["converted"], total["lost"],
            total["open"]) == (5, 4, 1, 1, 3)
    assert (total["conversion_rate"], total["sla_met_rate"]) == (0.2, 0.6)
    assert total["median_response_minutes"] == 210
    assert (october["sla_breaches"], october["escalate"]) == (2, False)
    # November: Bob only, still due: not counted in the SLA rate.
    assert months[0]["total"]["sla_met_rate"] is None


def _owner_values(backend: Backend) -> list[list[CellValue]]:
    grid = backend.read().tabs["Enquiries"]
    header = [str(v).strip() if v is not None else "" for v in grid[0]]
    owner = ["Received", "Name", "Contact", "Source", "Status", "First contact",
             "Follow-ups done", "Value", "Notes"]
    cols = [header.index(h) for h in owner]
    return [[row[c] if c < len(row) else None for c in cols] for row in grid[1:8]]


def test_refresh_never_changes_owner_cells(new_backend: Backend) -> None:
    tracker.init_tracker(new_backend)
    new_backend.append(ROWS)
    before = _owner_values(new_backend)
    tracker.refresh(new_backend, now=NOW)
    assert _owner_values(new_backend) == before


def test_second_refresh_changes_nothing(refreshed: tuple[Backend, tracker.Evaluation]) -> None:
    backend, first = refreshed
    snapshot = backend.read()
    second = tracker.refresh(backend, now=NOW)
    assert second.as_dict() == first.as_dict()
    assert backend.read().tabs == snapshot.tabs


def test_computed_columns_are_written(refreshed: tuple[Backend, tracker.Evaluation]) -> None:
    backend, _ = refreshed
    grid = backend.read().tabs["Enquiries"]
    header = [str(v).strip() if v is not None else "" for v in grid[0]]
    sla = header.index("SLA")
    wa = header.index("WhatsApp")
    problems = header.index("Problems")
    states = [re.match(r"\w+", str(r[sla])).group(0).lower() for r in grid[1:8]]  # type: ignore[union-attr]
    assert states == ["overdue", "due", "met", "missed", "met", "met", "unknown"]
    assert grid[1][wa] == "wa.me/256772123456"
    assert "Received" in str(grid[7][problems])


def test_report_matches_refresh(refreshed: tuple[Backend, tracker.Evaluation]) -> None:
    backend, evaluation = refreshed
    months = tracker.report(backend, month="2026-10", now=NOW)
    assert [m.as_dict() for m in months] == [evaluation.as_dict()["months"][1]]


# --------------------------------------------------------------------------- issue 12


def test_new_tabs_and_columns_have_their_dropdowns_and_formats(new_backend: Backend) -> None:
    from tests.helpers.trackers import dropdown, number_format

    tracker.init_tracker(new_backend)
    names = [str(v) for v in new_backend.read().tabs["Enquiries"][0]]
    signals = column_letter(names.index("Signals") + 1)
    reason = column_letter(names.index("Lost reason") + 1)
    assert dropdown(new_backend, "Enquiries", f"{signals}2") == "Lists!$E$2:$E$100"
    assert dropdown(new_backend, "Enquiries", f"{reason}9") == "Lists!$H$2:$H$100"
    assert dropdown(new_backend, "Spend", "B2") == "Lists!$A$2:$A$100"
    assert number_format(new_backend, "Spend", "A5") == "mm/yyyy"
    assert number_format(new_backend, "Spend", "C5") == "#,##0"


def test_scores_spend_and_win_back_on_every_backend(new_backend: Backend) -> None:
    tracker.init_tracker(new_backend)
    rows = [dict(r) for r in ROWS[:5]]
    # Alice (pending, overdue since Sat 31/10 10:00: under 7 days by Mon 2/11): no win back.
    rows[0]["Signals"] = "Asked for quote, Viewed prices, Decision-maker"  # 25+20+15 = 60
    rows[2]["Signals"] = "In our area"                                      # 5
    rows[4]["Lost reason"] = "not ready yet"  # Eve, lost; last known 10/10: 23 days ago
    new_backend.append(rows)
    evaluation = tracker.refresh(new_backend, now=NOW)
    got = {r.name.split()[0]: (r.score, r.mql) for r in evaluation.rows}
    assert got == {"Alice": (60, True), "Bob": (None, None), "Carol": (5, False),
                   "Dan": (None, None), "Eve": (None, None)}
    assert evaluation.win_back == []
    # refresh --json gives each enquiry its score and MQL flag.
    json_rows = by_name(evaluation)
    assert (json_rows["Alice"]["score"], json_rows["Alice"]["mql"]) == (60, True)
    assert (json_rows["Carol"]["score"], json_rows["Carol"]["mql"]) == (5, False)
    assert (json_rows["Bob"]["score"], json_rows["Bob"]["mql"]) == (None, None)
    october = evaluation.months[1].as_dict()
    whatsapp = {c["source"]: c for c in october["channels"]}["WhatsApp"]
    # Alice the only MQL (pending): none converted.
    assert (whatsapp["mqls"], whatsapp["mql_conversion_rate"]) == (1, 0.0)
    assert whatsapp["lost_reasons"] == {"Not ready yet": 1}
    # Score and MQL are written; a month later Eve is one to win back.
    grid = new_backend.read().tabs["Enquiries"]
    score, mql = grid[0].index("Score"), grid[0].index("MQL")
    assert [grid[1][score], grid[1][mql]] == [60, "yes"]  # Alice, row 2
    later = tracker.refresh(new_backend, now=dt.datetime(2026, 11, 20, 10))
    # Alice (overdue since 31/10 10:00) and Bob (since 2/11 13:00) are more than 7 days
    # overdue by 20/11; Eve was lost as not ready yet 41 days before (last known 10/10).
    assert later.win_back == ["E0001", "E0002", "E0005"]
    today = [text_of(row[0]) for row in new_backend.read(everything=True).tabs["Today"]
             if row]
    assert "Win back" in today
