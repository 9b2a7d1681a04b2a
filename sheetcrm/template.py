"""Load the declarative tracker layout from ``sheet_templates/tracker.toml``.

The template is data; this module only turns it into typed objects.  Backends
render a :class:`Template`; the engine uses it to find columns by header.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import SheetCRMError
from .phones import phone_examples

Role = Literal["owner", "id", "computed"]


@dataclass(frozen=True)
class Style:
    """A named cell style; every field is optional."""

    name: str
    bold: bool = False
    italic: bool = False
    underline: bool = False
    size: float | None = None
    fill: str | None = None
    font_colour: str | None = None
    wrap: bool = False
    number_format: str | None = None


@dataclass(frozen=True)
class Validation:
    """A dropdown list or number range on a column."""

    kind: Literal["list", "whole"]
    values: tuple[str, ...] = ()
    source: str | None = None  # a range such as Lists!$A$2:$A$100
    min: int | None = None
    max: int | None = None


@dataclass(frozen=True)
class Column:
    """One column of the Enquiries tab."""

    key: str
    header: str
    role: Role
    width: float
    style: str | None = None
    required: bool = False
    validation: Validation | None = None
    note: str = ""


@dataclass(frozen=True)
class ConditionalFormat:
    """A formula rule over the data rows; ``{key}`` stands for that column's cell."""

    name: str
    style: str
    formula: str
    explain: str = ""


@dataclass(frozen=True)
class SettingSpec:
    """One labelled row of the Settings tab."""

    key: str
    label: str
    default: str | int | float
    explain: str = ""


@dataclass(frozen=True)
class DateListSpec:
    """A column of dates beside the settings (extra closed/open dates)."""

    key: str
    header: str
    explain: str = ""


@dataclass(frozen=True)
class PageSetup:
    """How a tab prints: orientation, scaling and the rows repeated on every page."""

    landscape: bool = False
    #: Shrink the tab to one page wide (as many pages tall as it needs).
    fit_width: bool = False
    #: The top rows printed again at the top of every page (0 for none).
    title_rows: int = 0


@dataclass(frozen=True)
class Tab:
    """A tab of the tracker and everything the template says about it."""

    name: str
    kind: str
    owned: bool = False
    #: Rewritten whole by every refresh (Today, Summary).
    refresh: bool = False
    hidden: bool = False
    freeze_rows: int = 0
    freeze_cols: int = 0
    columns: tuple[Column, ...] = ()
    #: Columns the owner may add (``init`` does not make them), such as Closed on.
    optional_columns: tuple[Column, ...] = ()
    conditional_formats: tuple[ConditionalFormat, ...] = ()
    settings: tuple[SettingSpec, ...] = ()
    date_lists: tuple[DateListSpec, ...] = ()
    sources_header: str = "Sources"
    sources: tuple[str, ...] = ()
    #: The Scoring table on the Lists tab: signal label and points, owner-editable.
    scoring_header: str = "Signal"
    points_header: str = "Points"
    scoring: tuple[tuple[str, int], ...] = ()
    #: The lost reasons offered on the Lists tab.
    lost_reasons_header: str = "Lost reasons"
    lost_reasons: tuple[str, ...] = ()
    #: Print set-up, where the template gives one (Excel and LibreOffice keep it).
    page: PageSetup | None = None


@dataclass(frozen=True)
class Template:
    """The whole tracker layout."""

    version: int
    rows: int
    whatsapp_greeting: str
    styles: Mapping[str, Style]
    tabs: tuple[Tab, ...]
    _by_kind: Mapping[str, Tab] = field(default_factory=dict, repr=False, compare=False)

    def tab(self, kind: str) -> Tab:
        """The tab of the given kind (``enquiries``, ``settings``, ``summary``...)."""
        try:
            return self._by_kind[kind]
        except KeyError:
            raise SheetCRMError(f"The tracker template has no {kind!r} tab") from None

    @property
    def enquiries(self) -> Tab:
        """The Enquiries tab."""
        return self.tab("enquiries")

    def tab_named(self, name: str) -> Tab | None:
        """The template's tab with this name (ignoring case and outer spaces), if any."""
        key = name.strip().casefold()
        return next((t for t in self.tabs if t.name.strip().casefold() == key), None)

    def column(self, key: str) -> Column:
        """The Enquiries column with this key."""
        for col in self.enquiries.columns + self.enquiries.optional_columns:
            if col.key == key:
                return col
        raise SheetCRMError(f"The tracker template has no column {key!r}")

    def computed_columns(self) -> tuple[Column, ...]:
        """Columns a refresh writes."""
        return tuple(c for c in self.enquiries.columns if c.role == "computed")

    def has_tab(self, kind: str) -> bool:
        """Whether the template has a tab of this kind."""
        return kind in self._by_kind

    def owner_columns(self) -> tuple[Column, ...]:
        """Columns the owner types (including ID, which refresh only fills when blank)."""
        return tuple(c for c in self.enquiries.columns if c.role != "computed")

    def cf_formula(self, rule: ConditionalFormat, letters: Mapping[str, str], row: int,
                   sla_hours_ref: str) -> str:
        """The rule's formula for ``row``, with ``{key}`` turned into ``$<letter><row>``."""

        def sub(match: re.Match[str]) -> str:
            key = match.group(1)
            if key == "sla_hours":
                return sla_hours_ref
            return f"${letters[key]}{row}"

        return re.sub(r"\{(\w+)\}", sub, rule.formula)


def _validation(spec: Mapping[str, Any] | None) -> Validation | None:
    if spec is None:
        return None
    return Validation(**{**spec, "values": tuple(spec.get("values", ()))})


def _localised(text: str, country: str) -> str:
    """A template text with ``{phone_examples}`` made the tracker's country's numbers."""
    if "{phone_examples}" not in text:
        return text
    return text.replace("{phone_examples}", phone_examples(country))


def _build(data: Mapping[str, Any], country: str = "UG") -> Template:
    styles = {name: Style(name=name, **spec) for name, spec in data.get("styles", {}).items()}
    tabs = []
    for t in data["tabs"]:
        t = dict(t)
        columns = tuple(
            Column(**{**c, "validation": _validation(c.get("validation")),
                      "note": _localised(c.get("note", ""), country)})
            for c in t.pop("columns", ())
        )
        optional = tuple(Column(**c) for c in t.pop("optional_columns", ()))
        cfs = tuple(ConditionalFormat(**c) for c in t.pop("conditional_formats", ()))
        settings = tuple(SettingSpec(**s) for s in t.pop("settings", ()))
        date_lists = tuple(DateListSpec(**d) for d in t.pop("date_lists", ()))
        sources = tuple(t.pop("sources", ()))
        scoring = tuple((str(label), int(points)) for label, points in t.pop("scoring", ()))
        lost_reasons = tuple(t.pop("lost_reasons", ()))
        page = t.pop("page", None)
        tabs.append(Tab(columns=columns, optional_columns=optional, conditional_formats=cfs,
                        settings=settings, date_lists=date_lists, sources=sources,
                        scoring=scoring, lost_reasons=lost_reasons,
                        page=PageSetup(**page) if page is not None else None, **t))
    for col in (c for tab in tabs for c in tab.columns + tab.optional_columns):
        if col.style is not None and col.style not in styles:
            raise SheetCRMError(f"Template column {col.header!r} uses unknown style {col.style!r}")
    return Template(version=data["version"], rows=data["rows"],
                    whatsapp_greeting=data["whatsapp_greeting"], styles=styles,
                    tabs=tuple(tabs), _by_kind={t.kind: t for t in tabs})


@functools.cache
def load_template(country: str = "UG") -> Template:
    """The tracker template shipped in ``sheet_templates/tracker.toml``.

    ``country`` (the Settings country) chooses the example phone numbers in
    the column notes, so a Kenyan tracker shows Kenyan numbers.
    """
    text = importlib.resources.files("sheet_templates").joinpath("tracker.toml").read_text("utf-8")
    return _build(tomllib.loads(text), country.upper())


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
