"""The owned-tab registry: which tabs init writes and which every refresh rewrites."""

from __future__ import annotations

import datetime as dt
import importlib.resources
import tomllib

import pytest

from sheetcrm import tabs
from sheetcrm.errors import SheetCRMError
from sheetcrm.model import Cell, Changes, Settings
from sheetcrm.results import Evaluation
from sheetcrm.template import load_template

T = load_template()
PLACEHOLDER = [Cell("Run `sheetcrm refresh` to fill this tab.", style="muted")]


def toml_tabs() -> list[dict[str, object]]:
    text = importlib.resources.files("sheet_templates").joinpath("tracker.toml").read_text(
        "utf-8")
    return list(tomllib.loads(text)["tabs"])


def test_initial_contents_cover_every_tab_but_enquiries() -> None:
    contents = tabs.initial_contents(tabs.TabContext(template=T, settings=Settings()))
    assert set(contents) == {"Today", "Summary", "History", "Settings", "Lists", "About",
                             "sheetcrm", "Spend"}
    from_file = {str(t["name"]) for t in toml_tabs() if t["kind"] != "enquiries"}
    assert set(contents) == from_file


def test_before_the_first_refresh_today_and_summary_are_placeholders() -> None:
    contents = tabs.initial_contents(tabs.TabContext(template=T, settings=Settings()))
    assert contents["Today"].rows == [[Cell("To do today", style="title")], PLACEHOLDER]
    assert contents["Summary"].rows == [[Cell("Enquiry summary", style="title")], PLACEHOLDER]
    assert contents["sheetcrm"].rows[1] == [Cell("last_id"), Cell("0")]
    assert contents["Lists"].rows[0][0] == Cell("Sources", style="header")


def test_refreshed_contents_are_only_the_tabs_marked_refresh() -> None:
    evaluation = Evaluation(now=dt.datetime(2026, 11, 4, 10), settings=Settings(), rows=[],
                            months=[], changes=Changes())
    ctx = tabs.TabContext(template=T, settings=Settings(), evaluation=evaluation)
    contents = tabs.refreshed_contents(ctx)
    assert list(contents) == ["Today", "Summary"]
    assert [str(t["name"]) for t in toml_tabs() if t.get("refresh") is True] == list(contents)
    assert contents["Today"].rows[0] == [Cell("To do: Wednesday 04/11/2026", style="title")]


def test_every_template_tab_kind_but_enquiries_has_a_builder() -> None:
    assert set(tabs.BUILDERS) == {"settings", "lists", "about", "today", "summary", "meta",
                                  "history", "spend"}
    assert {str(t["kind"]) for t in toml_tabs()} - set(tabs.BUILDERS) == {"enquiries"}


def test_build_picks_the_builder_by_kind() -> None:
    ctx = tabs.TabContext(template=T, settings=Settings())
    assert tabs.build(T.tab("meta"), ctx).rows[0] == [Cell("template_version"), Cell("1")]
    with pytest.raises(SheetCRMError, match="'Enquiries' is of kind 'enquiries'"):
        tabs.build(T.enquiries, ctx)
