"""The tabs sheetcrm writes, one module per kind, chosen by the template.

Each module has ``build(ctx: TabContext) -> TabContent``.  The template
(``sheet_templates/tracker.toml``) lists the tabs; a tab whose ``kind`` is
registered here is written by ``init``, and rewritten by every refresh when
the template says ``refresh = true``.  A new tab is a new module, one line in
:data:`BUILDERS`, and a ``[[tabs]]`` entry in the template.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import SheetCRMError
from ..model import TabContent
from ..template import Tab
from . import about, history, lists, meta, settings, spend, summary, today
from .context import TabContext

#: Template tab kind -> the function that builds that tab.
BUILDERS: dict[str, Callable[[TabContext], TabContent]] = {
    "settings": settings.build,
    "lists": lists.build,
    "about": about.build,
    "today": today.build,
    "summary": summary.build,
    "meta": meta.build,
    "history": history.build,
    "spend": spend.build,
}

__all__ = ["BUILDERS", "TabContext", "build", "initial_contents", "refreshed_contents"]


def build(tab: Tab, ctx: TabContext) -> TabContent:
    """The content of one of the template's tabs."""
    try:
        builder = BUILDERS[tab.kind]
    except KeyError:
        raise SheetCRMError(f"The tracker template's tab {tab.name!r} is of kind {tab.kind!r}, "
                            "which no module in sheetcrm/tabs builds") from None
    return builder(ctx)


def initial_contents(ctx: TabContext) -> dict[str, TabContent]:
    """Every tab ``init`` writes (all but Enquiries), keyed by tab name."""
    return {t.name: build(t, ctx) for t in ctx.template.tabs if t.kind in BUILDERS}


def refreshed_contents(ctx: TabContext) -> dict[str, TabContent]:
    """The tabs every refresh rewrites, keyed by tab name."""
    return {t.name: build(t, ctx) for t in ctx.template.tabs if t.refresh}


