"""HubSpot: contacts.csv for every enquiry, deals.csv for those converted or lost."""

from __future__ import annotations

from collections.abc import Sequence

from .common import Lead, Table, day, plain_number, safe_text, split_name

CONTACT_COLUMNS = ("First Name", "Last Name", "Phone Number", "Email", "Lifecycle Stage",
                   "Lead Status", "Create Date", "Enquiry channel")
DEAL_COLUMNS = ("Deal Name", "Pipeline", "Deal Stage", "Amount", "Close Date", "Phone Number",
                "Email")

#: Tracker status -> (Lifecycle Stage, Lead Status).
STAGES = {
    None: ("lead", "New"),
    "pending": ("lead", "New"),
    "contacted": ("lead", "Connected"),
    "converted": ("customer", "Connected"),
    "lost": ("other", "Unqualified"),
}


def stage(lead: Lead) -> tuple[str, str]:
    """HubSpot's Lifecycle Stage and Lead Status for an enquiry."""
    if lead.status == "contacted" and lead.value:
        return "opportunity", "Open Deal"  # a price is on the table
    if lead.status == "pending" and lead.first_contact is not None:
        return "lead", "Attempted to Contact"
    return STAGES.get(lead.status, STAGES[None])


def build(leads: Sequence[Lead]) -> dict[str, Table]:
    """The files HubSpot's import wizard maps without manual work."""
    contacts = []
    deals = []
    for lead in leads:
        first, last = split_name(lead.name)
        lifecycle, status = stage(lead)
        contacts.append([safe_text(first), safe_text(last), lead.phone, safe_text(lead.email),
                         lifecycle, status, day(lead.received), safe_text(lead.source)])
        if lead.status in ("converted", "lost"):
            closed = lead.first_contact or lead.received
            title = f"{lead.name} ({lead.source}, {day(lead.received)})"
            deals.append([safe_text(title), "default",
                          "closedwon" if lead.status == "converted" else "closedlost",
                          plain_number(lead.value), day(closed), lead.phone,
                          safe_text(lead.email)])
    return {"contacts.csv": Table(CONTACT_COLUMNS, contacts),
            "deals.csv": Table(DEAL_COLUMNS, deals)}
