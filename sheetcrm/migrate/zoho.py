"""Zoho CRM: leads.csv, one lead per enquiry."""

from __future__ import annotations

from collections.abc import Sequence

from .common import Lead, Table, safe_text, split_name

LEAD_COLUMNS = ("First Name", "Last Name", "Mobile", "Email", "Lead Source", "Lead Status",
                "Created Time", "Description")

#: Tracker status -> Zoho Lead Status.
STATUSES = {None: "Not Contacted", "pending": "Not Contacted", "contacted": "Contacted",
            "converted": "Pre-Qualified", "lost": "Lost Lead"}


def build(leads: Sequence[Lead]) -> dict[str, Table]:
    """The file Zoho's import wizard maps without manual work."""
    rows = []
    for lead in leads:
        first, last = split_name(lead.name)
        created = lead.received.strftime("%Y-%m-%d %H:%M:%S") if lead.received else ""
        rows.append([safe_text(first), safe_text(last or "Unknown"), lead.phone,
                     safe_text(lead.email), safe_text(lead.source),
                     STATUSES.get(lead.status, "Not Contacted"), created,
                     safe_text(lead.notes)])
    return {"leads.csv": Table(LEAD_COLUMNS, rows)}
