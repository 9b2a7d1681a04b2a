"""The alignment framework's figures in sheetcrm/summary.py, worked out by hand.

October 2026, default settings unless a test says otherwise:

WhatsApp: A converted 300,000 (MQL), B converted 100,000 (not MQL), C contacted
50,000 (MQL), D pending 20,000 (no score), E lost for Price (MQL).
Instagram: F lost, Not ready yet; G lost, Price.  Spend: WhatsApp 200,000,
Instagram 0, TikTok 30,000 (no enquiries).
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sheetcrm.model import Status
from sheetcrm.summary import Alignment, EnquiryFacts, monthly_figures

KAMPALA = zoneinfo.ZoneInfo("Africa/Kampala")
OCT = dt.datetime(2026, 10, 5, 9, tzinfo=KAMPALA)


def fact(source: str, status: Status | None, value: float | None = None,
         mql: bool | None = None, reason: str | None = None, contacted: bool = False
         ) -> EnquiryFacts:
    return EnquiryFacts(received=OCT, source=source, status=status,
                        has_first_contact=contacted, sla="unknown", response_minutes=None,
                        value=value, score=None if mql is None else (60 if mql else 10),
                        mql=mql, lost_reason=reason)


FACTS = [
    fact("WhatsApp", "converted", 300000, mql=True),
    fact("WhatsApp", "converted", 100000, mql=False),
    fact("WhatsApp", "contacted", 50000, mql=True),
    fact("WhatsApp", None, 20000),
    fact("WhatsApp", "lost", mql=True, reason="Price"),
    fact("Instagram", "lost", reason="Not ready yet"),
    fact("Instagram", "lost", reason="Price"),
]
SPEND = {("2026-10", "whatsapp"): 200000.0, ("2026-10", "instagram"): 0.0,
         ("2026-10", "tiktok"): 30000.0}


def october(**alignment: Any) -> dict[str, Any]:
    (month,) = monthly_figures(FACTS, alignment=Alignment(**alignment),
                               spend_names={"tiktok": "TikTok"})
    data: dict[str, Any] = month.as_dict()
    data["by"] = {c["source"]: c for c in data["channels"]}
    return data


def test_whatsapp_spend_return_pipeline_and_scoring() -> None:
    w = october(spend=SPEND, scoring=True)["by"]["WhatsApp"]
    assert w["spend"] == 200000
    assert w["cost_per_enquiry"] == 40000          # 200,000 / 5 enquiries
    assert w["cac"] == 100000                      # 200,000 / 2 converted
    assert w["average_sale"] == 200000             # (300,000 + 100,000) / 2
    assert w["ltv"] == 200000                      # no Lifetime value: the average sale
    assert w["roi"] == 1.0                         # (200,000 - 100,000) / 100,000
    assert w["pipeline_value"] == 70000            # C 50,000 + D 20,000 (open)
    assert w["mqls"] == 3                          # A, C, E
    assert w["mql_conversion_rate"] == 0.333       # A alone converted: 1 / 3
    assert w["lost_reasons"] == {"Price": 1}
    assert w["contact_rate"] == 0.8                # A, B, C, E answered: 4 / 5
    assert w["mql_rate"] == 0.6                    # 3 / 5
    assert w["cost_per_mql"] == 66666.67           # 200,000 / 3


def test_zero_spend_and_nothing_converted_give_nulls_not_errors() -> None:
    i = october(spend=SPEND, scoring=True)["by"]["Instagram"]
    assert i["spend"] == 0
    assert i["cost_per_enquiry"] == 0              # 0 / 2
    assert i["cac"] is None                        # 0 / 0 converted
    assert (i["average_sale"], i["ltv"], i["roi"]) == (None, None, None)
    assert i["pipeline_value"] == 0
    assert (i["mqls"], i["mql_conversion_rate"], i["cost_per_mql"]) == (0, None, None)
    assert i["lost_reasons"] == {"Not ready yet": 1, "Price": 1}


def test_a_channel_with_spend_and_no_enquiries_gets_a_row() -> None:
    t = october(spend=SPEND, scoring=True)["by"]["TikTok"]
    assert (t["enquiries"], t["spend"]) == (0, 30000)
    assert (t["cost_per_enquiry"], t["cac"], t["contact_rate"]) == (None, None, None)


def test_the_months_total() -> None:
    total = october(spend=SPEND, scoring=True, quarterly_target=35000.0)["total"]
    assert total["spend"] == 230000                # 200,000 + 0 + 30,000
    assert total["cost_per_enquiry"] == 32857.14   # 230,000 / 7
    assert total["cac"] == 115000                  # 230,000 / 2
    assert total["ltv"] == 200000
    assert total["roi"] == 0.739                   # (200,000 - 115,000) / 115,000
    assert total["pipeline_value"] == 70000
    assert total["pipeline_coverage"] == 2.0       # 70,000 / 35,000
    assert total["mqls"] == 3 and total["mql_conversion_rate"] == 0.333
    assert total["lost_reasons"] == {"Not ready yet": 1, "Price": 2}


def test_a_lifetime_value_setting_replaces_the_average_sale() -> None:
    by = october(spend=SPEND, lifetime_value=1000000.0)["by"]
    assert by["WhatsApp"]["ltv"] == 1000000
    assert by["WhatsApp"]["roi"] == 9.0            # (1,000,000 - 100,000) / 100,000
    assert by["Instagram"]["ltv"] == 1000000
    assert by["Instagram"]["roi"] is None          # no CAC: nothing converted


def test_spend_of_zero_with_sales_makes_cac_zero_and_roi_null() -> None:
    data = october(spend={("2026-10", "whatsapp"): 0.0})["by"]["WhatsApp"]
    assert data["cac"] == 0                        # 0 / 2
    assert data["roi"] is None                     # (200,000 - 0) / 0 is not divided


def test_a_tracker_without_spend_or_signals_has_nulls() -> None:
    data = october()
    assert "TikTok" not in data["by"]
    for ch in [*data["channels"], data["total"]]:
        assert ch["spend"] is None and ch["cost_per_enquiry"] is None and ch["cac"] is None
        assert ch["mqls"] is None and ch["mql_conversion_rate"] is None
    assert data["total"]["pipeline_coverage"] is None       # no target
    assert "pipeline_coverage" not in data["by"]["WhatsApp"]  # the total's alone
    assert data["by"]["WhatsApp"]["pipeline_value"] == 70000  # still computable


def test_a_target_of_zero_gives_no_coverage() -> None:
    assert october(quarterly_target=0.0)["total"]["pipeline_coverage"] is None


def test_sums_too_big_for_a_number_give_nulls_not_errors() -> None:
    huge = [fact("WhatsApp", "converted", 1.7e308), fact("WhatsApp", "converted", 1.7e308),
            fact("WhatsApp", "pending", 1.7e308), fact("WhatsApp", "pending", 1.7e308)]
    (month,) = monthly_figures(huge, alignment=Alignment(
        spend={("2026-10", "whatsapp"): 1.7e308}))
    total = month.as_dict()["total"]
    assert total["average_sale"] is None and total["ltv"] is None
    assert total["pipeline_value"] is None


money = st.one_of(st.none(), st.floats(min_value=0, max_value=1.7e308), st.just(0.0))
facts = st.builds(
    EnquiryFacts,
    received=st.just(OCT), source=st.sampled_from(["WhatsApp", "Instagram", " whatsapp"]),
    status=st.sampled_from([None, "pending", "contacted", "converted", "lost"]),
    has_first_contact=st.booleans(), sla=st.sampled_from(["met", "missed", "unknown"]),
    response_minutes=st.one_of(st.none(), st.integers(0, 10000)), value=money,
    score=st.one_of(st.none(), st.integers(0, 200)), mql=st.one_of(st.none(), st.booleans()),
    lost_reason=st.one_of(st.none(), st.sampled_from(["Price", "Other"])))


@settings(max_examples=150)
@given(st.lists(facts, max_size=8),
       st.dictionaries(st.tuples(st.just("2026-10"), st.sampled_from(["whatsapp", "tiktok"])),
                       st.floats(min_value=0, max_value=1.7e308), max_size=2),
       money, money, st.booleans())
def test_no_input_divides_by_zero_or_gives_a_non_number(
        given_facts: list[EnquiryFacts], spend: dict[tuple[str, str], float],
        lifetime: float | None, target: float | None, scoring: bool) -> None:
    months = monthly_figures(given_facts, alignment=Alignment(
        spend=spend, lifetime_value=lifetime, quarterly_target=target, scoring=scoring))
    for m in months:
        for ch in [*m.channels, m.total]:
            for key, value in ch.as_dict().items():
                if isinstance(value, float):
                    assert math.isfinite(value), key
