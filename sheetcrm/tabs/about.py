"""The About tab: how the tracker works, in the owner's words (written by init)."""

from __future__ import annotations

import textwrap

from ..model import STATUSES, WEEKDAYS, Cell, TabContent
from .common import blank, header, hours, join, para
from .context import TabContext


def build(ctx: TabContext) -> TabContent:
    """The About tab: what each column means and how the response rules work."""
    template, settings = ctx.template, ctx.settings
    enq = template.enquiries
    computed = [c.header for c in template.computed_columns()]
    rows: list[list[Cell]] = [[Cell("How this tracker works", style="title")]]
    rows += para("Type each new enquiry on the Enquiries tab: when it came in, the name, the "
                  "contact, where it came from and its status. When sheetcrm refreshes the "
                  f"tracker it fills in a blank ID and the columns {', '.join(computed[:-1])} "
                  f"and {computed[-1]}, rewrites the Today and Summary tabs, and adds a line "
                  "to History for each change it sees. It never changes what you typed.")
    rows += [blank(), [Cell("The rules", style="subtitle")]]
    rows += para(f"Reply to every new enquiry within {hours(settings.sla_hours)} business "
                  "hours (the SLA). Only opening hours count: closed days and public holidays "
                  "do not. The hours are on the Settings tab.")
    rows += para("After the first reply, follow up on days "
                  f"{join(settings.follow_up_days)} (Next follow-up shows the date). Add one "
                  "to Follow-ups done each time you follow up.")
    rows += para("Three or more late replies in a month are flagged on the Summary tab for "
                  "review.")
    rows += para("Status words: " + ", ".join(STATUSES) + ".")
    rows += [blank(), [Cell("Colours on the Enquiries tab", style="subtitle")]]
    for rule in enq.conditional_formats:
        rows += para(rule.explain, style=rule.style)
    rows += [blank(), [Cell("The columns", style="subtitle")],
             header("Column", "Who fills it", "What it means")]
    who = {"owner": "You", "id": "sheetcrm (or you)", "computed": "sheetcrm"}
    for col in enq.columns + enq.optional_columns:
        lines = textwrap.wrap(col.note, 70) or [""]
        # An optional column (Closed on) is not made by init: the owner adds its header.
        filler = who[col.role] if col in enq.columns else "You, if you add it"
        rows.append([Cell(col.header, style="label"), Cell(filler), Cell(lines[0])])
        rows += [[Cell(None), Cell(None), Cell(line)] for line in lines[1:]]
    rows += [blank(), [Cell("The tabs", style="subtitle")]]
    for name, what in (
        ("Today", "Your to-do list: overdue replies, follow-ups due, and what is due soon."),
        ("Summary", "Monthly figures per channel: conversions, replies within the SLA, "
                    "value won."),
        ("History", "One line for each change a refresh saw: new enquiries, status changes, "
                    "first replies. Added to, never rewritten."),
        ("Settings", "Opening hours, public holiday country, SLA hours and follow-up days."),
        ("Lists", "The channels in the Source dropdown."),
        ("Spend", "Your marketing spend per channel and month, for cost per enquiry and ROI."),
    ):
        rows.append([Cell(name, style="label"), Cell(None), Cell(what)])
    rows += para("Hidden tabs whose names begin with \"sheetcrm\" are its own bookkeeping "
                  "(on Google, a copy of the Enquiries tab taken at each refresh, to check "
                  "every value landed on its own row): leave them as they are.", style="muted")
    opening = ", ".join(
        f"{WEEKDAYS[d][:3]} {h[0]:%H:%M}-{h[1]:%H:%M}" if h else f"{WEEKDAYS[d][:3]} closed"
        for d, h in sorted(settings.opening_hours.items())
    )
    rows += [blank()]
    rows += para(f"Opening hours when this tracker was made: {opening}.", style="muted")
    return TabContent(rows=rows, widths={1: 22, 2: 18, 3: 70})
