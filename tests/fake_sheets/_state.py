"""The fake's state: spreadsheets, their tabs, and each tab's cells.

Cells are plain dicts shaped like the API's ``CellData`` (``userEnteredValue``,
``userEnteredFormat``, ``note``, ``dataValidation``) and are never mutated in
place: a change replaces the dict.  That makes a whole-spreadsheet copy cheap,
which is how requests are made atomic (apply to a copy, swap it in on success).
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ._a1 import A1Error, Span, format_range, looks_like_cells, parse_cells, split_sheet
from ._values import float32

Cell = dict[str, Any]

DEFAULT_ROWS = 1000
DEFAULT_COLS = 26
DEFAULT_ROW_PX = 21
DEFAULT_COL_PX = 100
CELL_LIMIT = 10_000_000

DEFAULT_FORMAT: dict[str, Any] = {
    "backgroundColor": {"red": 1, "green": 1, "blue": 1},
    "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
    "verticalAlignment": "BOTTOM",
    "wrapStrategy": "OVERFLOW_CELL",
    "textFormat": {
        "foregroundColor": {},
        "fontFamily": "arial,sans,sans-serif",
        "fontSize": 10,
        "bold": False,
        "italic": False,
        "strikethrough": False,
        "underline": False,
        "foregroundColorStyle": {"rgbColor": {}},
    },
    "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 1, "blue": 1}},
}


def _theme_colour(kind: str, rgb: dict[str, float]) -> dict[str, Any]:
    return {"colorType": kind, "color": {"rgbColor": rgb}}


SPREADSHEET_THEME: dict[str, Any] = {
    "primaryFontFamily": "Arial",
    "themeColors": [
        _theme_colour("TEXT", {}),
        _theme_colour("BACKGROUND", {"red": 1, "green": 1, "blue": 1}),
        _theme_colour("ACCENT1", {"red": 0.25882354, "green": 0.52156866, "blue": 0.95686275}),
        _theme_colour("ACCENT2", {"red": 0.91764706, "green": 0.2627451, "blue": 0.20784314}),
        _theme_colour("ACCENT3", {"red": 0.9843137, "green": 0.7372549, "blue": 0.015686275}),
        _theme_colour("ACCENT4", {"red": 0.20392157, "green": 0.65882355, "blue": 0.3254902}),
        _theme_colour("ACCENT5", {"red": 1, "green": 0.42745098, "blue": 0.003921569}),
        _theme_colour("ACCENT6", {"red": 0.27450982, "green": 0.7411765, "blue": 0.7764706}),
        _theme_colour("LINK", {"red": 0.06666667, "green": 0.33333334, "blue": 0.8}),
    ],
}


class ApiError(Exception):
    """An error reply, shaped as Google shapes it."""

    def __init__(
        self,
        code: int,
        message: str,
        status: str,
        *,
        details: list[dict[str, Any]] | None = None,
        drive: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details = details
        self.drive = drive

    def body(self) -> dict[str, Any]:
        """The JSON body Google sends with this error."""
        if self.drive is not None:
            return {
                "error": {
                    "code": self.code,
                    "message": self.message,
                    "errors": [self.drive],
                }
            }
        err: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            err["details"] = self.details
        return {"error": err}


def bad_request(message: str, **kwargs: Any) -> ApiError:
    """A 400 INVALID_ARGUMENT error."""
    return ApiError(400, message, "INVALID_ARGUMENT", **kwargs)


def now_rfc3339() -> str:
    """The current time as Drive writes it: 2023-08-17T10:52:55.207Z."""
    now = dt.datetime.now(dt.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


# ------------------------------------------------------------------ colours and formats


def normalise_colour(colour: Any) -> dict[str, Any]:
    """A Color as Google stores it: 8 bits a channel, float32 in JSON, zeros left out."""
    if not isinstance(colour, dict):
        return {}
    out: dict[str, Any] = {}
    for key in ("red", "green", "blue", "alpha"):
        v = colour.get(key)
        if v is None:
            continue
        # Alpha 1 is Google's default and is not echoed back.
        if key == "alpha" and float(v) == 1:
            continue
        # Google keeps 8 bits a channel and truncates: 0.5 comes back as 127/255.
        f = float32(math.floor(float(v) * 255 + 1e-6) / 255)
        if f != 0:
            out[key] = int(f) if f == int(f) else f
    return out


def _normalise_colour_pair(fmt: dict[str, Any], plain: str, style: str) -> None:
    if plain in fmt and style not in fmt:
        fmt[plain] = normalise_colour(fmt[plain])
        fmt[style] = {"rgbColor": dict(fmt[plain])}
    elif style in fmt:
        st = fmt[style]
        if isinstance(st, dict) and "rgbColor" in st:
            rgb = normalise_colour(st["rgbColor"])
            fmt[style] = {"rgbColor": rgb}
            fmt[plain] = dict(rgb)
        elif plain in fmt:
            fmt[plain] = normalise_colour(fmt[plain])


def normalise_format(fmt: dict[str, Any]) -> dict[str, Any]:
    """A userEnteredFormat as Google stores it: colours mirrored into their *Style twins."""
    fmt = copy.deepcopy(fmt)
    _normalise_colour_pair(fmt, "backgroundColor", "backgroundColorStyle")
    text = fmt.get("textFormat")
    if isinstance(text, dict):
        _normalise_colour_pair(text, "foregroundColor", "foregroundColorStyle")
        link = text.get("link")
        if isinstance(link, dict) and not link:
            text.pop("link")
    borders = fmt.get("borders")
    if isinstance(borders, dict):
        for side in list(borders):
            b = borders[side]
            if isinstance(b, dict):
                if b.get("style") == "NONE":
                    borders.pop(side)
                    continue
                _normalise_colour_pair(b, "color", "colorStyle")
                b.setdefault("width", 1)
        if not borders:
            fmt.pop("borders")
    nf = fmt.get("numberFormat")
    if isinstance(nf, dict) and not nf.get("pattern"):
        nf.pop("pattern", None)
    return fmt


# ------------------------------------------------------------------ grid ranges


@dataclass
class Box:
    """Concrete zero-based, half-open bounds on one tab."""

    sheet: Sheet
    row0: int
    row1: int
    col0: int
    col1: int

    @property
    def rows(self) -> int:
        """Number of rows."""
        return self.row1 - self.row0

    @property
    def cols(self) -> int:
        """Number of columns."""
        return self.col1 - self.col0

    def a1(self) -> str:
        """``Sheet1!A1:B2``."""
        return format_range(self.sheet.title, self.row0, self.row1, self.col0, self.col1)

    def cells(self) -> Iterator[tuple[int, int]]:
        """Every (row, col) in the box, row by row."""
        for r in range(self.row0, self.row1):
            for c in range(self.col0, self.col1):
                yield r, c


def grid_range_json(sheet_id: int, r0: int | None, r1: int | None,
                    c0: int | None, c1: int | None) -> dict[str, Any]:
    """A GridRange as Google writes it: sheetId 0 and unbounded sides left out."""
    out: dict[str, Any] = {}
    if sheet_id:
        out["sheetId"] = sheet_id
    if r0 is not None:
        out["startRowIndex"] = r0
    if r1 is not None:
        out["endRowIndex"] = r1
    if c0 is not None:
        out["startColumnIndex"] = c0
    if c1 is not None:
        out["endColumnIndex"] = c1
    return out


# ------------------------------------------------------------------ tabs


@dataclass
class Sheet:
    """One tab: properties as the API returns them, plus cells and per-tab objects."""

    props: dict[str, Any]
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    merges: list[dict[str, Any]] = field(default_factory=list)
    conditional_formats: list[dict[str, Any]] = field(default_factory=list)
    protected_ranges: list[dict[str, Any]] = field(default_factory=list)
    charts: list[dict[str, Any]] = field(default_factory=list)
    basic_filter: dict[str, Any] | None = None
    row_meta: dict[int, dict[str, Any]] = field(default_factory=dict)
    col_meta: dict[int, dict[str, Any]] = field(default_factory=dict)
    row_groups: list[dict[str, Any]] = field(default_factory=list)
    column_groups: list[dict[str, Any]] = field(default_factory=list)
    banded_ranges: list[dict[str, Any]] = field(default_factory=list)

    @property
    def sheet_id(self) -> int:
        """The tab's numeric id (gid)."""
        return int(self.props["sheetId"])

    @property
    def title(self) -> str:
        """The tab's name."""
        return str(self.props["title"])

    @property
    def grid(self) -> dict[str, Any]:
        """gridProperties."""
        return self.props.setdefault("gridProperties", {})  # type: ignore[no-any-return]

    @property
    def row_count(self) -> int:
        """Rows in the grid."""
        return int(self.grid.get("rowCount", 0))

    @property
    def col_count(self) -> int:
        """Columns in the grid."""
        return int(self.grid.get("columnCount", 0))

    def clone(self) -> Sheet:
        """A copy that shares cell dicts (they are never mutated)."""
        return Sheet(
            props=copy.deepcopy(self.props),
            cells=dict(self.cells),
            merges=copy.deepcopy(self.merges),
            conditional_formats=copy.deepcopy(self.conditional_formats),
            protected_ranges=copy.deepcopy(self.protected_ranges),
            charts=copy.deepcopy(self.charts),
            basic_filter=copy.deepcopy(self.basic_filter),
            row_meta=copy.deepcopy(self.row_meta),
            col_meta=copy.deepcopy(self.col_meta),
            row_groups=copy.deepcopy(self.row_groups),
            column_groups=copy.deepcopy(self.column_groups),
            banded_ranges=copy.deepcopy(self.banded_ranges),
        )

    # -------------------------------------------------------------- cells

    def get(self, r: int, c: int) -> Cell | None:
        """The cell at (r, c), or None if it holds nothing."""
        return self.cells.get((r, c))

    def put(self, r: int, c: int, cell: Cell | None) -> None:
        """Replace the cell at (r, c); an empty dict or None removes it."""
        if cell:
            self.cells[(r, c)] = cell
        else:
            self.cells.pop((r, c), None)

    def check_box(self, box: Box, what: str) -> None:
        """Raise Google's 'exceeds grid limits' error if ``box`` leaves the grid."""
        if box.row1 > self.row_count or box.col1 > self.col_count:
            raise bad_request(
                f"{what}Range ({box.a1()}) exceeds grid limits. "
                f"Max rows: {self.row_count}, max columns: {self.col_count}"
            )

    # -------------------------------------------------------------- structure

    def insert(self, dimension: str, start: int, count: int) -> None:
        """Insert ``count`` rows or columns before index ``start``, shifting everything after."""
        rows = dimension == "ROWS"

        def shift(i: int) -> int:
            return i + count if i >= start else i

        self.cells = {
            ((shift(r), c) if rows else (r, shift(c))): cell for (r, c), cell in self.cells.items()
        }
        meta = self.row_meta if rows else self.col_meta
        moved = {shift(i): m for i, m in meta.items()}
        meta.clear()
        meta.update(moved)
        key = "rowCount" if rows else "columnCount"
        self.grid[key] = self.grid.get(key, 0) + count
        for rng in self._ranges():
            _shift_range_insert(rng, rows, start, count)
        for group in self.row_groups if rows else self.column_groups:
            _shift_dim_insert(group["range"], start, count)

    def delete(self, dimension: str, start: int, end: int) -> None:
        """Delete rows or columns [start, end), pulling later ones up or left."""
        rows = dimension == "ROWS"
        count = end - start
        new: dict[tuple[int, int], Cell] = {}
        for (r, c), cell in self.cells.items():
            i = r if rows else c
            if start <= i < end:
                continue
            if i >= end:
                i -= count
            new[(i, c) if rows else (r, i)] = cell
        self.cells = new
        meta = self.row_meta if rows else self.col_meta
        moved = {(i - count if i >= end else i): m for i, m in meta.items() if not start <= i < end}
        meta.clear()
        meta.update(moved)
        key = "rowCount" if rows else "columnCount"
        self.grid[key] = self.grid.get(key, 0) - count
        frozen = "frozenRowCount" if rows else "frozenColumnCount"
        if self.grid.get(frozen, 0) > self.grid[key]:
            self.grid[frozen] = self.grid[key]
        self.merges = [m for m in self.merges if _shift_range_delete(m, rows, start, end)]
        for rule in self.conditional_formats:
            rule["ranges"] = [r for r in rule["ranges"] if _shift_range_delete(r, rows, start, end)]
        self.conditional_formats = [r for r in self.conditional_formats if r["ranges"]]
        self.protected_ranges = [
            p for p in self.protected_ranges
            if "range" not in p or _shift_range_delete(p["range"], rows, start, end)
        ]
        if self.basic_filter and not _shift_range_delete(self.basic_filter["range"], rows, start,
                                                         end):
            self.basic_filter = None
        for br in self.banded_ranges:
            _shift_range_delete(br["range"], rows, start, end)
        groups = self.row_groups if rows else self.column_groups
        for group in list(groups):
            if not _shift_dim_delete(group["range"], start, end):
                groups.remove(group)

    def _ranges(self) -> Iterator[dict[str, Any]]:
        yield from self.merges
        for rule in self.conditional_formats:
            yield from rule["ranges"]
        for p in self.protected_ranges:
            if "range" in p:
                yield p["range"]
        if self.basic_filter:
            yield self.basic_filter["range"]
        for br in self.banded_ranges:
            yield br["range"]


def _keys(rows: bool) -> tuple[str, str]:
    return ("startRowIndex", "endRowIndex") if rows else ("startColumnIndex", "endColumnIndex")


def _shift_range_insert(rng: dict[str, Any], rows: bool, start: int, count: int) -> None:
    k0, k1 = _keys(rows)
    if k0 in rng and rng[k0] >= start:
        rng[k0] += count
    if k1 in rng and rng[k1] > start:
        rng[k1] += count


def _shift_range_delete(rng: dict[str, Any], rows: bool, start: int, end: int) -> bool:
    """Adjust a GridRange for a deletion; False if nothing of it is left."""
    k0, k1 = _keys(rows)
    count = end - start
    lo = rng.get(k0)
    hi = rng.get(k1)

    def move(i: int) -> int:
        if i >= end:
            return i - count
        if i >= start:
            return start
        return i

    if lo is not None:
        rng[k0] = move(lo)
    if hi is not None:
        rng[k1] = move(hi)
    return lo is None or hi is None or rng[k1] > rng[k0]


def _shift_dim_insert(rng: dict[str, Any], start: int, count: int) -> None:
    if rng.get("startIndex", 0) >= start:
        rng["startIndex"] = rng.get("startIndex", 0) + count
    if rng.get("endIndex", 0) > start:
        rng["endIndex"] = rng.get("endIndex", 0) + count


def _shift_dim_delete(rng: dict[str, Any], start: int, end: int) -> bool:
    count = end - start

    def move(i: int) -> int:
        return i - count if i >= end else start if i >= start else i

    rng["startIndex"] = move(rng.get("startIndex", 0))
    rng["endIndex"] = move(rng.get("endIndex", 0))
    return bool(rng["endIndex"] > rng["startIndex"])


# ------------------------------------------------------------------ spreadsheets


@dataclass
class Spreadsheet:
    """A spreadsheet file: properties, tabs, named ranges and its Drive metadata."""

    key: str
    props: dict[str, Any]
    sheets: list[Sheet]
    named_ranges: list[dict[str, Any]] = field(default_factory=list)
    shared: bool = True
    created: str = field(default_factory=now_rfc3339)
    modified: str = field(default_factory=now_rfc3339)
    permissions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def title(self) -> str:
        """The file's name."""
        return str(self.props["title"])

    @property
    def locale(self) -> str:
        """Spreadsheet locale such as en_US (drives how typed dates are read)."""
        return str(self.props.get("locale", "en_US"))

    def clone(self) -> Spreadsheet:
        """A copy that can be changed and then swapped in or thrown away."""
        return Spreadsheet(
            key=self.key,
            props=copy.deepcopy(self.props),
            sheets=[s.clone() for s in self.sheets],
            named_ranges=copy.deepcopy(self.named_ranges),
            shared=self.shared,
            created=self.created,
            modified=self.modified,
            permissions=copy.deepcopy(self.permissions),
        )

    def reindex(self) -> None:
        """Keep every tab's ``index`` equal to its position."""
        for i, s in enumerate(self.sheets):
            s.props["index"] = i

    def sheet_by_id(self, sheet_id: int) -> Sheet | None:
        """The tab with this sheetId, if any."""
        for s in self.sheets:
            if s.sheet_id == sheet_id:
                return s
        return None

    def sheet_by_title(self, title: str) -> Sheet | None:
        """The tab with this title (Google matches titles case-insensitively)."""
        for s in self.sheets:
            if s.title == title:
                return s
        for s in self.sheets:
            if s.title.lower() == title.lower():
                return s
        return None

    def first_visible(self) -> Sheet:
        """The first tab that is not hidden (what a range without a tab name refers to)."""
        for s in self.sheets:
            if not s.props.get("hidden"):
                return s
        return self.sheets[0]

    def total_cells(self) -> int:
        """Cells in every grid, for Google's 10 million cell limit."""
        return sum(s.row_count * s.col_count for s in self.sheets)

    def resolve(self, text: str) -> tuple[Sheet, Span]:
        """An A1 range or named range -> (tab, span); 400 'Unable to parse range' otherwise."""
        try:
            title, cells = split_sheet(text)
            if title is None:
                assert cells is not None
                name = cells.strip()
                if looks_like_cells(name):
                    return self.first_visible(), parse_cells(name)
                named = self._named(name)
                if named is not None:
                    return named
                sheet = self.sheet_by_title(name)
                if sheet is None:
                    raise A1Error(text)
                return sheet, Span(None, None, None, None)
            sheet = self.sheet_by_title(title)
            if sheet is None:
                raise A1Error(text)
            if cells is None or cells == "":
                return sheet, Span(None, None, None, None)
            if not looks_like_cells(cells):
                # Google also accepts a named range after a tab name ('Sheet1'!MyRange).
                named = self._named(cells.strip())
                if named is not None:
                    return named
            return sheet, parse_cells(cells)
        except A1Error:
            raise bad_request(f"Unable to parse range: {text}") from None

    def _named(self, name: str) -> tuple[Sheet, Span] | None:
        for nr in self.named_ranges:
            if nr["name"].lower() == name.lower():
                rng = nr["range"]
                sheet = self.sheet_by_id(int(rng.get("sheetId", 0)))
                if sheet is None:
                    return None
                return sheet, Span(
                    rng.get("startRowIndex"),
                    rng.get("endRowIndex"),
                    rng.get("startColumnIndex"),
                    rng.get("endColumnIndex"),
                )
        return None

    def box(self, text: str) -> Box:
        """Resolve a range and clamp its open sides to the grid."""
        sheet, span = self.resolve(text)
        r0, r1, c0, c1 = span.clamp(sheet.row_count, sheet.col_count)
        return Box(sheet, r0, r1, c0, c1)
