"""The Settings tab as ``init`` writes it: one row per setting, then the date lists."""

from __future__ import annotations

from ..model import TabContent
from ..settings import settings_to_contents
from .context import TabContext


def build(ctx: TabContext) -> TabContent:
    """The business's settings, each with what it means."""
    return settings_to_contents(ctx.settings, ctx.template)
