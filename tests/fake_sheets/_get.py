"""spreadsheets.get: the spreadsheet resource, with grid data and field masks as asked."""

from __future__ import annotations

import copy
from typing import Any

from ._fields import Mask, select
from ._state import (
    DEFAULT_COL_PX,
    DEFAULT_FORMAT,
    DEFAULT_ROW_PX,
    SPREADSHEET_THEME,
    Box,
    Sheet,
    Spreadsheet,
)
from ._values import formatted_value


def spreadsheet_url(key: str) -> str:
    """The edit URL Google reports for a spreadsheet."""
    return f"https://docs.google.com/spreadsheets/d/{key}/edit"


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in top.items():
        # Colours are replaced whole: {"red": 1} over white is red, not white-ish.
        if isinstance(v, dict) and isinstance(out.get(k), dict) and v and "Color" not in k \
                and k != "rgbColor":
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def render_cell(cell: dict[str, Any], locale: str) -> dict[str, Any]:
    """A stored cell as CellData in grid data."""
    out: dict[str, Any] = {}
    fmt = cell.get("userEnteredFormat")
    if "userEnteredValue" in cell:
        out["userEnteredValue"] = copy.deepcopy(cell["userEnteredValue"])
        ev = cell.get("effectiveValue")
        if ev is not None:
            out["effectiveValue"] = copy.deepcopy(ev)
        out["formattedValue"] = formatted_value(ev, (fmt or {}).get("numberFormat"), locale)
    if fmt:
        out["userEnteredFormat"] = copy.deepcopy(fmt)
    if fmt or "userEnteredValue" in cell:
        out["effectiveFormat"] = _deep_merge(DEFAULT_FORMAT, fmt or {})
    for key in ("note", "dataValidation", "hyperlink", "textFormatRuns"):
        if key in cell:
            out[key] = copy.deepcopy(cell[key])
    return out


def grid_data(ss: Spreadsheet, box: Box) -> dict[str, Any]:
    """One GridData block for ``box``.

    Cells that share one stored dict (a repeatCell over 5000 rows) share one
    rendered dict too: treat the result as read-only.
    """
    sheet = box.sheet
    out: dict[str, Any] = {}
    if box.row0:
        out["startRow"] = box.row0
    if box.col0:
        out["startColumn"] = box.col0
    by_row: dict[int, dict[int, dict[str, Any]]] = {}
    for (r, c), cell in sheet.cells.items():
        if box.row0 <= r < box.row1 and box.col0 <= c < box.col1:
            by_row.setdefault(r, {})[c] = cell
    memo: dict[int, dict[str, Any]] = {}

    def rendered(cell: dict[str, Any]) -> dict[str, Any]:
        key = id(cell)
        if key not in memo:
            memo[key] = render_cell(cell, ss.locale)
        return memo[key]

    if by_row:
        last_row = max(by_row)
        rows: list[dict[str, Any]] = []
        for r in range(box.row0, last_row + 1):
            cells = by_row.get(r)
            if not cells:
                rows.append({})
                continue
            last_col = max(cells)
            rows.append({
                "values": [
                    rendered(cells[c]) if c in cells else {}
                    for c in range(box.col0, last_col + 1)
                ]
            })
        out["rowData"] = rows
    out["rowMetadata"] = [
        {"pixelSize": DEFAULT_ROW_PX, **sheet.row_meta.get(r, {})}
        for r in range(box.row0, box.row1)
    ]
    out["columnMetadata"] = [
        {"pixelSize": DEFAULT_COL_PX, **sheet.col_meta.get(c, {})}
        for c in range(box.col0, box.col1)
    ]
    return out


def render_sheet(ss: Spreadsheet, sheet: Sheet, boxes: list[Box] | None) -> dict[str, Any]:
    """One entry of ``sheets``; ``boxes`` (grid data) only when it was asked for."""
    out: dict[str, Any] = {"properties": copy.deepcopy(sheet.props)}
    if boxes is not None:
        out["data"] = [grid_data(ss, b) for b in boxes]
    if sheet.merges:
        out["merges"] = copy.deepcopy(sheet.merges)
    if sheet.conditional_formats:
        out["conditionalFormats"] = copy.deepcopy(sheet.conditional_formats)
    if sheet.protected_ranges:
        out["protectedRanges"] = copy.deepcopy(sheet.protected_ranges)
    if sheet.basic_filter:
        out["basicFilter"] = copy.deepcopy(sheet.basic_filter)
    if sheet.charts:
        out["charts"] = copy.deepcopy(sheet.charts)
    if sheet.banded_ranges:
        out["bandedRanges"] = copy.deepcopy(sheet.banded_ranges)
    if sheet.row_groups:
        out["rowGroups"] = copy.deepcopy(sheet.row_groups)
    if sheet.column_groups:
        out["columnGroups"] = copy.deepcopy(sheet.column_groups)
    return out


def _wants_data(mask: Mask | None) -> bool:
    if not mask:
        return False
    sheets = mask.get("sheets")
    if sheets is None:
        sheets = mask.get("*")
    return sheets is not None and "data" in sheets


def render_spreadsheet(
    ss: Spreadsheet,
    *,
    include_grid_data: bool,
    ranges: list[str],
    mask: Mask | None,
) -> dict[str, Any]:
    """The Spreadsheet resource as GET spreadsheets/<id> returns it."""
    props = copy.deepcopy(ss.props)
    props.setdefault("defaultFormat", copy.deepcopy(DEFAULT_FORMAT))
    props.setdefault("spreadsheetTheme", copy.deepcopy(SPREADSHEET_THEME))
    ordered: dict[str, Any] = {
        k: props[k] for k in ("title", "locale", "autoRecalc", "timeZone") if k in props
    }
    ordered.update({k: v for k, v in props.items() if k not in ordered})
    want_data = include_grid_data or _wants_data(mask)
    sheets: list[dict[str, Any]] = []
    if ranges:
        wanted: dict[int, list[Box]] = {}
        for text in ranges:
            box = ss.box(text)
            box.sheet.check_box(box, "")
            wanted.setdefault(box.sheet.sheet_id, []).append(box)
        for sheet in ss.sheets:
            if sheet.sheet_id in wanted:
                sheets.append(
                    render_sheet(ss, sheet, wanted[sheet.sheet_id] if want_data else None)
                )
    else:
        for sheet in ss.sheets:
            whole = [Box(sheet, 0, sheet.row_count, 0, sheet.col_count)]
            sheets.append(render_sheet(ss, sheet, whole if want_data else None))
    out: dict[str, Any] = {
        "spreadsheetId": ss.key,
        "properties": ordered,
        "sheets": sheets,
    }
    if ss.named_ranges:
        out["namedRanges"] = copy.deepcopy(ss.named_ranges)
    out["spreadsheetUrl"] = spreadsheet_url(ss.key)
    if mask:
        result = select(out, mask)
        assert isinstance(result, dict)
        return result
    return out
