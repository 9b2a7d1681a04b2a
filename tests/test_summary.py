"""Monthly figures over a small hand-made list, counted by hand."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from sheetcrm.model import SlaState, Status
from sheetcrm.summary import ChannelFigures, EnquiryFacts, MonthFigures, monthly_figures

KAMPALA = zoneinfo.ZoneInfo("Africa/Kampala")


def fact(
    day: tuple[int, int, int, int, int], source: str, status: Status | None, first: bool,
    sla: SlaState, minutes: int | None = None, value: float | None = None,
) -> EnquiryFacts:
    return EnquiryFacts(
        received=dt.datetime(*day, tzinfo=KAMPALA), source=source, status=status,
        has_first_contact=first, sla=sla, response_minutes=minutes, value=value,
    )


FACTS = [
    # ---- October 2026
    fact((2026, 10, 1, 9, 0), "WhatsApp", "converted", True, "met", 60, 500000),  # 1
    fact((2026, 10, 2, 9, 0), "whatsapp", "contacted", True, "missed", 300),  # 2
    fact((2026, 10, 31, 23, 30), "WhatsApp", "pending", False, "overdue"),  # 3 last minute of Oct
    fact((2026, 10, 5, 9, 0), "WhatsApp", "lost", True, "met", 90, 100000),  # 4 lost: value not won
    fact((2026, 10, 6, 9, 0), "Facebook", "converted", True, "met", 30, 250000),  # 5
    fact((2026, 10, 7, 9, 0), "Facebook", "pending", False, "due"),  # 6
    fact((2026, 10, 8, 9, 0), "Facebook", None, False, "unknown"),  # 7 unreadable status
    fact((2026, 10, 9, 9, 0), "Unknown", "contacted", False, "unknown"),  # 8 no First contact
    fact((2026, 10, 10, 9, 0), "Walk-in", "converted", True, "missed", 500),  # 9 blank Value
    fact((2026, 10, 12, 9, 0), "Facebook", "pending", True, "met", 43),  # 10 replied, still pending
    # ---- November 2026
    fact((2026, 11, 1, 0, 10), "WhatsApp", "pending", False, "due"),  # 11
    fact((2026, 11, 2, 9, 0), "Instagram", "lost", True, "missed", 250),  # 12
]

# October by hand
#   WhatsApp (1, 2, 3, 4; "whatsapp" joins the first spelling "WhatsApp"):
#     enquiries 4; contacted 1, 2, 4 = 3; converted 1; lost 1; open 4 - 1 - 1 = 2;
#     conversion 1/4 = 0.25; SLA met 1, 4 / (met 2 + missed 1 + overdue 1) = 2/4 = 0.5;
#     median of 60, 300, 90 -> 90; value won 500000 (4 was lost)
#   Facebook (5, 6, 7, 10): enquiries 4; contacted 5, 10 = 2; converted 1; lost 0; open 3;
#     conversion 0.25; SLA met 5, 10 / 2 counted = 1.0 (due and unknown not counted);
#     median of 30, 43 = 36.5 -> 37 (half up, not to even); value won 250000
#   Unknown (8): 1; contacted 1 (status says so); open 1; conversion 0.0; no SLA counted -> None;
#     median None; value 0
#   Walk-in (9): 1; contacted 1; converted 1; open 0; conversion 1.0; SLA 0/1 = 0.0;
#     median 500; value won 0 (blank Value counts 0)
#   Order: 4, 4, 1, 1 -> Facebook, WhatsApp (by name), Unknown, Walk-in (by name)
#   Total: 10; contacted 3 + 2 + 1 + 1 = 7; converted 3; lost 1; open 6; conversion 0.3;
#     SLA met 4 / (4 + missed 2 + overdue 1) = 4/7 = 0.571;
#     median of 30, 43, 60, 90, 300, 500 = (60 + 90) / 2 = 75; value won 750000;
#     breaches missed 2 + overdue 1 = 3 -> escalate (3 or more)
OCTOBER = {
    "month": "2026-10",
    "channels": [
        {"source": "Facebook", "enquiries": 4, "contacted": 2, "converted": 1, "lost": 0,
         "open": 3, "conversion_rate": 0.25, "sla_met_rate": 1.0,
         "median_response_minutes": 37, "value_won": 250000},
        {"source": "WhatsApp", "enquiries": 4, "contacted": 3, "converted": 1, "lost": 1,
         "open": 2, "conversion_rate": 0.25, "sla_met_rate": 0.5,
         "median_response_minutes": 90, "value_won": 500000},
        {"source": "Unknown", "enquiries": 1, "contacted": 1, "converted": 0, "lost": 0,
         "open": 1, "conversion_rate": 0.0, "sla_met_rate": None,
         "median_response_minutes": None, "value_won": 0},
        {"source": "Walk-in", "enquiries": 1, "contacted": 1, "converted": 1, "lost": 0,
         "open": 0, "conversion_rate": 1.0, "sla_met_rate": 0.0,
         "median_response_minutes": 500, "value_won": 0},
    ],
    "total": {"source": "Total", "enquiries": 10, "contacted": 7, "converted": 3, "lost": 1,
              "open": 6, "conversion_rate": 0.3, "sla_met_rate": 0.571,
              "median_response_minutes": 75, "value_won": 750000},
    "sla_breaches": 3,
    "escalate": True,
}

# November by hand
#   Instagram (12): 1; contacted 1; lost 1; open 0; conversion 0.0; SLA 0/1 = 0.0; median 250
#   WhatsApp (11): 1; contacted 0; open 1; conversion 0.0; due is not counted -> None
#   Order: both 1 -> Instagram, WhatsApp
#   Total: 2; contacted 1; lost 1; open 1; SLA 0/1 = 0.0; median 250; breaches 1, no escalation
NOVEMBER = {
    "month": "2026-11",
    "channels": [
        {"source": "Instagram", "enquiries": 1, "contacted": 1, "converted": 0, "lost": 1,
         "open": 0, "conversion_rate": 0.0, "sla_met_rate": 0.0,
         "median_response_minutes": 250, "value_won": 0},
        {"source": "WhatsApp", "enquiries": 1, "contacted": 0, "converted": 0, "lost": 0,
         "open": 1, "conversion_rate": 0.0, "sla_met_rate": None,
         "median_response_minutes": None, "value_won": 0},
    ],
    "total": {"source": "Total", "enquiries": 2, "contacted": 1, "converted": 0, "lost": 1,
              "open": 1, "conversion_rate": 0.0, "sla_met_rate": 0.0,
              "median_response_minutes": 250, "value_won": 0},
    "sla_breaches": 1,
    "escalate": False,
}


ISSUE_2_KEYS = ("source", "enquiries", "contacted", "converted", "lost", "open",
                "conversion_rate", "sla_met_rate", "median_response_minutes", "value_won")


def issue_2_figures(month: dict[str, Any]) -> dict[str, Any]:
    """A month's JSON with only issue 2's keys (the alignment figures are tested apart)."""
    def keep(channel: dict[str, Any]) -> dict[str, Any]:
        return {k: channel[k] for k in ISSUE_2_KEYS}
    return {**month, "channels": [keep(c) for c in month["channels"]],
            "total": keep(month["total"])}


def test_monthly_figures_counted_by_hand() -> None:
    months = monthly_figures(FACTS)
    assert [issue_2_figures(m.as_dict()) for m in months] == [NOVEMBER, OCTOBER]  # newest first


def test_unrounded_figures_behind_the_json() -> None:
    october = monthly_figures(FACTS)[1]
    assert isinstance(october, MonthFigures)
    assert october.total.sla_met_rate == 4 / 7
    assert october.total.value_won == 750000.0
    assert [c.source for c in october.channels] == ["Facebook", "WhatsApp", "Unknown", "Walk-in"]


def test_escalation_threshold_is_configurable() -> None:
    october = monthly_figures(FACTS, escalate_at=4)[1]
    assert october.sla_breaches == 3
    assert not october.escalate


def test_first_spelling_of_a_source_wins_across_months() -> None:
    facts = [
        fact((2026, 9, 3, 9, 0), "twitter ", "pending", False, "due"),
        fact((2026, 10, 3, 9, 0), "Twitter", "pending", False, "due"),
        fact((2026, 10, 4, 9, 0), "TWITTER", "pending", False, "due"),
    ]
    months = monthly_figures(facts)
    assert [m.month for m in months] == ["2026-10", "2026-09"]
    assert [(c.source, c.enquiries) for c in months[0].channels] == [("twitter", 2)]
    assert [(c.source, c.enquiries) for c in months[1].channels] == [("twitter", 1)]


def test_no_enquiries_no_months() -> None:
    assert monthly_figures([]) == []


def test_value_won_keeps_a_fraction() -> None:
    figures = ChannelFigures(
        source="Website", enquiries=1, contacted=1, converted=1, lost=0, open=0,
        conversion_rate=1.0, sla_met_rate=None, median_response_minutes=None, value_won=1500.5,
    )
    assert figures.as_dict()["value_won"] == 1500.5
