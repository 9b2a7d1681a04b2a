"""The hidden meta tab: sheetcrm's bookkeeping (template version, last ID issued)."""

from __future__ import annotations

from ..model import Cell, TabContent
from .context import TabContext


def build(ctx: TabContext) -> TabContent:
    """The hidden bookkeeping tab, as init writes it."""
    template = ctx.template
    return TabContent(rows=[
        [Cell("template_version"), Cell(str(template.version))],
        [Cell("last_id"), Cell("0")],
        # An empty History memory: the first refresh lists each enquiry as new.
        [Cell("history_parts"), Cell("0")],
        [Cell("note"), Cell("Kept by sheetcrm. Please do not edit this tab.")],
    ])
