"""spreadsheets.batchUpdate: every request type the fake understands.

Each handler works on a copy of the spreadsheet; the caller swaps the copy in
only if every request succeeded, so a batch is all or nothing as on Google.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Mapping
from typing import Any

from ._fields import MaskError, apply_update, parse_mask
from ._schema import MASKED, check, check_batch_request, check_mask
from ._state import (
    CELL_LIMIT,
    DEFAULT_COLS,
    DEFAULT_ROWS,
    ApiError,
    Box,
    Cell,
    Sheet,
    Spreadsheet,
    bad_request,
    grid_range_json,
    normalise_format,
)
from ._values import effective_value


class RequestError(Exception):
    """A problem with one request; the caller prefixes ``Invalid requests[i].<kind>:``."""


Handler = Callable[["Context", dict[str, Any]], dict[str, Any] | None]


class Context:
    """What a handler needs: the spreadsheet copy, an id source and the caller's identity."""

    def __init__(self, ss: Spreadsheet, rng: random.Random, email: str) -> None:
        self.ss = ss
        self.rng = rng
        self.email = email

    def new_id(self, taken: set[int]) -> int:
        """A random positive 31-bit id not in ``taken`` (Google's ids look like this)."""
        while True:
            n = self.rng.randrange(1, 2**31 - 1)
            if n not in taken:
                return n

    def sheet(self, sheet_id: Any) -> Sheet:
        """The tab with this id, or Google's 'No grid with id' error."""
        sid = int(sheet_id or 0)
        sheet = self.ss.sheet_by_id(sid)
        if sheet is None:
            raise RequestError(f"No grid with id: {sid}")
        return sheet

    def box(self, rng: Mapping[str, Any], *, check: bool = True) -> Box:
        """A GridRange -> concrete box, checked against the grid."""
        sheet = self.sheet(rng.get("sheetId", 0))
        r0 = int(rng.get("startRowIndex", 0) or 0)
        r1 = int(rng["endRowIndex"]) if rng.get("endRowIndex") is not None else sheet.row_count
        c0 = int(rng.get("startColumnIndex", 0) or 0)
        c1 = (
            int(rng["endColumnIndex"])
            if rng.get("endColumnIndex") is not None
            else sheet.col_count
        )
        if r0 < 0 or c0 < 0 or r1 < r0 or c1 < c0:
            raise RequestError("Invalid range: start index must not exceed end index.")
        box = Box(sheet, r0, r1, c0, c1)
        if check and (r1 > sheet.row_count or c1 > sheet.col_count):
            raise RequestError(
                f"Range ({box.a1()}) exceeds grid limits. Max rows: {sheet.row_count}, "
                f"max columns: {sheet.col_count}"
            )
        return box


def _mask(fields: Any) -> dict[str, Any]:
    if not fields:
        raise RequestError("At least one field must be updated. Specify fields to update.")
    try:
        return parse_mask(str(fields))
    except MaskError:
        raise RequestError(f"Invalid field mask: {fields}") from None


def finish_cell(cell: Cell) -> Cell:
    """Recompute derived parts of a cell after an update (effectiveValue, colour twins)."""
    out = {k: v for k, v in cell.items() if v not in (None, {}, "") or k == "userEnteredFormat"}
    out.pop("effectiveValue", None)
    if "userEnteredValue" in out:
        uev = out["userEnteredValue"]
        if not uev:
            out.pop("userEnteredValue")
        else:
            ev = effective_value(uev)
            if ev is not None:
                out["effectiveValue"] = ev
    fmt = out.get("userEnteredFormat")
    if fmt is not None:
        if fmt:
            out["userEnteredFormat"] = normalise_format(fmt)
        else:
            out.pop("userEnteredFormat")
    if "note" in out and not out["note"]:
        out.pop("note")
    return out


def _stored(cell: Cell | None) -> Cell:
    """A stored cell without the derived effectiveValue (the shape requests write)."""
    if not cell:
        return {}
    return {k: v for k, v in cell.items() if k != "effectiveValue"}


def _cell_from_request(data: Mapping[str, Any]) -> Cell:
    out: Cell = {}
    for key in ("userEnteredValue", "userEnteredFormat", "note", "dataValidation",
                "hyperlink", "textFormatRuns", "pivotTable"):
        if key in data:
            out[key] = copy.deepcopy(data[key])
    uev = out.get("userEnteredValue")
    if isinstance(uev, dict) and "numberValue" in uev:
        uev["numberValue"] = float(uev["numberValue"])
    return out


def _write_cells(box: Box, source: Callable[[int, int], Cell | None], mask: dict[str, Any]) -> None:
    memo: dict[tuple[int, int], Cell] = {}
    sheet = box.sheet
    for r, c in box.cells():
        src = source(r - box.row0, c - box.col0)
        if src is None:
            continue
        old = sheet.cells.get((r, c))
        key = (id(old), id(src))
        new = memo.get(key)
        if new is None:
            new = finish_cell(apply_update(_stored(old), src, mask))
            memo[key] = new
        sheet.put(r, c, new)


# ------------------------------------------------------------------ sheets


def _check_title(ss: Spreadsheet, title: str, except_id: int | None = None) -> None:
    if not title.strip():
        raise RequestError("The sheet name cannot be empty.")
    for s in ss.sheets:
        if s.title.lower() == title.lower() and s.sheet_id != except_id:
            raise RequestError(
                f'A sheet with the name "{title}" already exists. Please enter another name.'
            )


def _check_cell_limit(ss: Spreadsheet) -> None:
    if ss.total_cells() > CELL_LIMIT:
        raise RequestError(
            "This action would increase the number of cells in the workbook above the limit "
            f"of {CELL_LIMIT} cells."
        )


def add_sheet(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """addSheet."""
    ss = ctx.ss
    props = copy.deepcopy(req.get("properties") or {})
    taken = {s.sheet_id for s in ss.sheets}
    if "sheetId" in props:
        sid = int(props["sheetId"])
        if sid in taken:
            raise RequestError(
                f"A sheet with id {sid} already exists. Please enter another id."
            )
    else:
        sid = ctx.new_id(taken)
    title = props.get("title")
    if title is None:
        n = len(ss.sheets) + 1
        while ss.sheet_by_title(f"Sheet{n}") is not None:
            n += 1
        title = f"Sheet{n}"
    _check_title(ss, title)
    grid = dict(props.get("gridProperties") or {})
    grid.setdefault("rowCount", DEFAULT_ROWS)
    grid.setdefault("columnCount", DEFAULT_COLS)
    for key in ("frozenRowCount", "frozenColumnCount"):
        if not grid.get(key):
            grid.pop(key, None)
    for key in ("hideGridlines", "rowGroupControlAfter", "columnGroupControlAfter"):
        if grid.get(key) is False:
            grid.pop(key)
    index = props.get("index")
    position = len(ss.sheets) if index is None else max(0, min(int(index), len(ss.sheets)))
    new_props: dict[str, Any] = {
        "sheetId": sid,
        "title": title,
        "index": position,
        "sheetType": props.get("sheetType", "GRID"),
        "gridProperties": grid,
    }
    if props.get("hidden"):
        visible = [s for s in ss.sheets if not s.props.get("hidden")]
        del visible
        new_props["hidden"] = True
    for key in ("tabColor", "tabColorStyle", "rightToLeft"):
        if props.get(key):
            new_props[key] = copy.deepcopy(props[key])
    _tab_colour(new_props)
    sheet = Sheet(props=new_props)
    ss.sheets.insert(position, sheet)
    ss.reindex()
    _check_cell_limit(ss)
    return {"addSheet": {"properties": copy.deepcopy(sheet.props)}}


def _tab_colour(props: dict[str, Any]) -> None:
    from ._state import normalise_colour

    for key in ("tabColorStyle", "tabColor"):
        if key in props and not props[key]:
            # An empty colour clears the tab colour (both spellings of it).
            props.pop("tabColorStyle", None)
            props.pop("tabColor", None)
            return
    if "tabColorStyle" in props and "rgbColor" in props["tabColorStyle"]:
        rgb = normalise_colour(props["tabColorStyle"]["rgbColor"])
        props["tabColorStyle"] = {"rgbColor": rgb}
        props["tabColor"] = dict(rgb)
    elif "tabColor" in props:
        rgb = normalise_colour(props["tabColor"])
        props["tabColor"] = rgb
        props["tabColorStyle"] = {"rgbColor": dict(rgb)}


def delete_sheet(ctx: Context, req: dict[str, Any]) -> None:
    """deleteSheet."""
    sheet = ctx.sheet(req.get("sheetId"))
    ss = ctx.ss
    if len(ss.sheets) == 1:
        raise RequestError("You can't remove all the sheets in a document.")
    rest = [s for s in ss.sheets if s is not sheet]
    if all(s.props.get("hidden") for s in rest):
        raise RequestError("You can't remove all the visible sheets in a document.")
    ss.sheets.remove(sheet)
    ss.named_ranges = [
        n for n in ss.named_ranges if int(n["range"].get("sheetId", 0)) != sheet.sheet_id
    ]
    ss.reindex()
    return None


def update_sheet_properties(ctx: Context, req: dict[str, Any]) -> None:
    """updateSheetProperties (honours the fields mask, including reordering by index)."""
    ss = ctx.ss
    props = req.get("properties") or {}
    sheet = ctx.sheet(props.get("sheetId", 0))
    mask = _mask(req.get("fields"))
    old_rows, old_cols = sheet.row_count, sheet.col_count
    old_index = ss.sheets.index(sheet)
    merged = apply_update(sheet.props, props, mask)
    merged["sheetId"] = sheet.sheet_id
    if "title" not in merged or merged["title"] is None:
        raise RequestError("The sheet name cannot be empty.")
    _check_title(ss, merged["title"], except_id=sheet.sheet_id)
    grid = merged.setdefault("gridProperties", {})
    for key in ("frozenRowCount", "frozenColumnCount"):
        if not grid.get(key):
            grid.pop(key, None)
    for key in ("hideGridlines", "rowGroupControlAfter", "columnGroupControlAfter"):
        if grid.get(key) is False:
            grid.pop(key)
    if not merged.get("hidden"):
        merged.pop("hidden", None)
    if merged.get("hidden") and all(
        s.props.get("hidden") for s in ss.sheets if s is not sheet
    ):
        raise RequestError("You can't hide all the sheets in a document.")
    # A mask naming gridProperties as a whole resets the counts it leaves out,
    # which on Google is an attempt to delete every row or column.
    rows = int(grid.get("rowCount", 0))
    cols = int(grid.get("columnCount", 0))
    if rows < 1:
        raise RequestError("You can't delete all the rows on the sheet.")
    if cols < 1:
        raise RequestError("You can't delete all the columns on the sheet.")
    if grid.get("frozenRowCount", 0) >= rows:
        raise RequestError("You can't freeze all visible rows on the sheet.")
    if grid.get("frozenColumnCount", 0) >= cols:
        raise RequestError("You can't freeze all visible columns on the sheet.")
    new_index = merged.get("index", old_index)
    # tabColor and tabColorStyle are two spellings of one colour: clearing one clears both.
    if "tabColorStyle" in mask and "tabColorStyle" not in merged:
        merged.pop("tabColor", None)
    if "tabColor" in mask and "tabColor" not in merged:
        merged.pop("tabColorStyle", None)
    _tab_colour(merged)
    sheet.props = merged
    # Shrinking the grid drops the cells (and merges, rules...) beyond it.
    if rows < old_rows:
        sheet.grid["rowCount"] = old_rows
        sheet.delete("ROWS", rows, old_rows)
    if cols < old_cols:
        sheet.grid["columnCount"] = old_cols
        sheet.delete("COLUMNS", cols, old_cols)
    if new_index is not None and int(new_index) != old_index:
        target = int(new_index)
        ss.sheets.remove(sheet)
        # Google reads the new index as a position in the list before the move.
        if target > old_index:
            target -= 1
        ss.sheets.insert(max(0, min(target, len(ss.sheets))), sheet)
    ss.reindex()
    _check_cell_limit(ss)
    return None


def update_spreadsheet_properties(ctx: Context, req: dict[str, Any]) -> None:
    """updateSpreadsheetProperties (title, locale, timeZone, autoRecalc...)."""
    mask = _mask(req.get("fields"))
    props = req.get("properties") or {}
    merged = apply_update(ctx.ss.props, props, mask)
    if "timeZone" in props:
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(str(props["timeZone"]))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise RequestError(f"Invalid timeZone: {props['timeZone']}") from None
    if not merged.get("title"):
        raise RequestError("The spreadsheet title cannot be empty.")
    ctx.ss.props = merged
    return None


def duplicate_sheet(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """duplicateSheet."""
    ss = ctx.ss
    source = ctx.sheet(req.get("sourceSheetId"))
    taken = {s.sheet_id for s in ss.sheets}
    sid = int(req["newSheetId"]) if req.get("newSheetId") is not None else ctx.new_id(taken)
    if sid in taken:
        raise RequestError(f"A sheet with id {sid} already exists. Please enter another id.")
    title = req.get("newSheetName") or f"Copy of {source.title}"
    _check_title(ss, title)
    new = source.clone()
    new.props["sheetId"] = sid
    new.props["title"] = title
    for rng in new._ranges():
        if rng.get("sheetId", 0) == source.sheet_id:
            if sid:
                rng["sheetId"] = sid
            else:
                rng.pop("sheetId", None)
    index = req.get("insertSheetIndex")
    position = len(ss.sheets) if index is None else int(index)
    ss.sheets.insert(position, new)
    ss.reindex()
    _check_cell_limit(ss)
    return {"duplicateSheet": {"properties": copy.deepcopy(new.props)}}


# ------------------------------------------------------------------ cells


def update_cells(ctx: Context, req: dict[str, Any]) -> None:
    """updateCells from ``start`` or over ``range``, honouring the fields mask."""
    mask = _mask(req.get("fields"))
    rows = req.get("rows") or []
    data = [[_cell_from_request(v) for v in (row.get("values") or [])] for row in rows]
    if "range" in req:
        box = ctx.box(req["range"])
    else:
        start = req.get("start") or {}
        sheet = ctx.sheet(start.get("sheetId", 0))
        r0 = int(start.get("rowIndex", 0) or 0)
        c0 = int(start.get("columnIndex", 0) or 0)
        width = max((len(r) for r in data), default=0)
        box = Box(sheet, r0, r0 + len(data), c0, c0 + width)
        if box.row1 > sheet.row_count or box.col1 > sheet.col_count:
            raise RequestError(
                f"Range ({box.a1()}) exceeds grid limits. Max rows: {sheet.row_count}, "
                f"max columns: {sheet.col_count}"
            )

    empty: Cell = {}

    def source(i: int, j: int) -> Cell | None:
        if "range" in req:
            # Cells of the range not covered by ``rows`` are cleared for the masked fields.
            if i < len(data) and j < len(data[i]):
                return data[i][j]
            return empty
        if i < len(data) and j < len(data[i]):
            return data[i][j]
        return None

    _write_cells(box, source, mask)
    return None


def repeat_cell(ctx: Context, req: dict[str, Any]) -> None:
    """repeatCell."""
    mask = _mask(req.get("fields"))
    box = ctx.box(req.get("range") or {})
    cell = _cell_from_request(req.get("cell") or {})
    _write_cells(box, lambda i, j: cell, mask)
    return None


_BORDER_SIDES = ("top", "bottom", "left", "right")


def update_borders(ctx: Context, req: dict[str, Any]) -> None:
    """updateBorders: outer sides on the edge cells, inner lines on both neighbours."""
    box = ctx.box(req.get("range") or {})
    sheet = box.sheet
    for r, c in box.cells():
        sides: dict[str, Any] = {}
        if "top" in req and r == box.row0:
            sides["top"] = req["top"]
        if "bottom" in req and r == box.row1 - 1:
            sides["bottom"] = req["bottom"]
        if "left" in req and c == box.col0:
            sides["left"] = req["left"]
        if "right" in req and c == box.col1 - 1:
            sides["right"] = req["right"]
        if "innerHorizontal" in req:
            if r > box.row0:
                sides["top"] = req["innerHorizontal"]
            if r < box.row1 - 1:
                sides["bottom"] = req["innerHorizontal"]
        if "innerVertical" in req:
            if c > box.col0:
                sides["left"] = req["innerVertical"]
            if c < box.col1 - 1:
                sides["right"] = req["innerVertical"]
        if not sides:
            continue
        old = _stored(sheet.cells.get((r, c)))
        fmt = copy.deepcopy(old.get("userEnteredFormat") or {})
        borders = fmt.setdefault("borders", {})
        for side, border in sides.items():
            borders[side] = copy.deepcopy(border)
        old["userEnteredFormat"] = fmt
        sheet.put(r, c, finish_cell(old))
    return None


def set_data_validation(ctx: Context, req: dict[str, Any]) -> None:
    """setDataValidation (no rule clears validation)."""
    box = ctx.box(req.get("range") or {})
    rule = req.get("rule")
    src: Cell = {"dataValidation": copy.deepcopy(rule)} if rule else {}
    _write_cells(box, lambda i, j: src, {"dataValidation": {}})
    return None


# ------------------------------------------------------------------ dimensions


def _shift_named(ss: Spreadsheet, sheet: Sheet, rows: bool, start: int, end: int,
                 insert: bool) -> None:
    from ._state import _shift_range_delete, _shift_range_insert

    keep = []
    for nr in ss.named_ranges:
        rng = nr["range"]
        if int(rng.get("sheetId", 0)) != sheet.sheet_id:
            keep.append(nr)
            continue
        if insert:
            _shift_range_insert(rng, rows, start, end - start)
            keep.append(nr)
        elif _shift_range_delete(rng, rows, start, end):
            keep.append(nr)
    ss.named_ranges = keep


def insert_dimension(ss: Spreadsheet, sheet: Sheet, dimension: str, start: int, end: int,
                     *, inherit_before: bool) -> None:
    """Insert rows/columns [start, end) and copy formats from the neighbour, as Google does."""
    rows = dimension == "ROWS"
    count = end - start
    sheet.insert(dimension, start, count)
    _shift_named(ss, sheet, rows, start, end, insert=True)
    source = start - 1 if inherit_before else end
    if (inherit_before and start == 0) or source >= (sheet.row_count if rows else sheet.col_count):
        return
    # New rows take the neighbour's formats and validation, never its values or notes.
    for (r, c), cell in list(sheet.cells.items()):
        i = r if rows else c
        if i != source:
            continue
        inherited = {k: v for k, v in cell.items() if k in ("userEnteredFormat", "dataValidation")}
        if not inherited:
            continue
        for n in range(start, end):
            sheet.put(n if rows else r, c if rows else n, dict(inherited))


def _dimension_range(ctx: Context, rng: Mapping[str, Any]) -> tuple[Sheet, str, int, int]:
    sheet = ctx.sheet(rng.get("sheetId", 0))
    dimension = rng.get("dimension")
    if dimension not in ("ROWS", "COLUMNS"):
        raise RequestError("Invalid dimension: must be ROWS or COLUMNS.")
    limit = sheet.row_count if dimension == "ROWS" else sheet.col_count
    start = int(rng.get("startIndex", 0) or 0)
    end = int(rng["endIndex"]) if rng.get("endIndex") is not None else limit
    if start < 0 or end < start:
        raise RequestError("Invalid dimension range: start index must not exceed end index.")
    return sheet, str(dimension), start, end


def insert_dimension_request(ctx: Context, req: dict[str, Any]) -> None:
    """insertDimension."""
    sheet, dimension, start, end = _dimension_range(ctx, req.get("range") or {})
    limit = sheet.row_count if dimension == "ROWS" else sheet.col_count
    if start > limit:
        raise RequestError(
            f"Cannot insert {dimension.lower()} at index {start}: the sheet only has {limit}."
        )
    if end == start:
        return None
    insert_dimension(ctx.ss, sheet, dimension, start, end,
                     inherit_before=bool(req.get("inheritFromBefore")))
    _check_cell_limit(ctx.ss)
    return None


def append_dimension(ctx: Context, req: dict[str, Any]) -> None:
    """appendDimension."""
    sheet = ctx.sheet(req.get("sheetId", 0))
    length = int(req.get("length", 0))
    if length <= 0:
        raise RequestError("length must be greater than zero.")
    key = "rowCount" if req.get("dimension") == "ROWS" else "columnCount"
    if req.get("dimension") not in ("ROWS", "COLUMNS"):
        raise RequestError("Invalid dimension: must be ROWS or COLUMNS.")
    sheet.grid[key] = sheet.grid.get(key, 0) + length
    _check_cell_limit(ctx.ss)
    return None


def delete_dimension(ctx: Context, req: dict[str, Any]) -> None:
    """deleteDimension."""
    sheet, dimension, start, end = _dimension_range(ctx, req.get("range") or {})
    limit = sheet.row_count if dimension == "ROWS" else sheet.col_count
    if end > limit:
        raise RequestError(
            f"Range ({_dim_a1(sheet, dimension, start, end)}) exceeds grid limits. "
            f"Max rows: {sheet.row_count}, max columns: {sheet.col_count}"
        )
    if start == 0 and end == limit:
        raise RequestError(
            f"You can't delete all the {dimension.lower()} on the sheet."
        )
    sheet.delete(dimension, start, end)
    _shift_named(ctx.ss, sheet, dimension == "ROWS", start, end, insert=False)
    return None


def _dim_a1(sheet: Sheet, dimension: str, start: int, end: int) -> str:
    if dimension == "ROWS":
        return Box(sheet, start, end, 0, sheet.col_count).a1()
    return Box(sheet, 0, sheet.row_count, start, end).a1()


def update_dimension_properties(ctx: Context, req: dict[str, Any]) -> None:
    """updateDimensionProperties (pixelSize, hiddenByUser)."""
    mask = _mask(req.get("fields"))
    sheet, dimension, start, end = _dimension_range(ctx, req.get("range") or {})
    limit = sheet.row_count if dimension == "ROWS" else sheet.col_count
    if end > limit:
        raise RequestError(
            f"Range ({_dim_a1(sheet, dimension, start, end)}) exceeds grid limits. "
            f"Max rows: {sheet.row_count}, max columns: {sheet.col_count}"
        )
    props = req.get("properties") or {}
    meta = sheet.row_meta if dimension == "ROWS" else sheet.col_meta
    for i in range(start, end):
        updated = apply_update(meta.get(i, {}), props, mask)
        updated = {k: v for k, v in updated.items() if v not in (None, False)}
        if updated:
            meta[i] = updated
        else:
            meta.pop(i, None)
    return None


def auto_resize_dimensions(ctx: Context, req: dict[str, Any]) -> None:
    """autoResizeDimensions: a width from the longest text (an approximation of Google's)."""
    dims = req.get("dimensions") or {}
    sheet, dimension, start, end = _dimension_range(ctx, dims)
    meta = sheet.row_meta if dimension == "ROWS" else sheet.col_meta
    from ._values import formatted_value

    for i in range(start, end):
        longest = 0
        for (r, c), cell in sheet.cells.items():
            if (c if dimension == "COLUMNS" else r) != i or "effectiveValue" not in cell:
                continue
            text = formatted_value(cell.get("effectiveValue"),
                                   (cell.get("userEnteredFormat") or {}).get("numberFormat"),
                                   ctx.ss.locale)
            longest = max(longest, len(text))
        size = max(longest * 7 + 10, 21) if dimension == "COLUMNS" else 21
        entry = dict(meta.get(i, {}))
        entry["pixelSize"] = size
        meta[i] = entry
    return None


def add_dimension_group(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """addDimensionGroup."""
    sheet, dimension, start, end = _dimension_range(ctx, req.get("range") or {})
    groups = sheet.row_groups if dimension == "ROWS" else sheet.column_groups
    rng: dict[str, Any] = {"dimension": dimension, "startIndex": start, "endIndex": end}
    if sheet.sheet_id:
        rng = {"sheetId": sheet.sheet_id, **rng}
    depth = 1 + sum(
        1 for g in groups
        if g["range"]["startIndex"] <= start and g["range"]["endIndex"] >= end
    )
    groups.append({"range": rng, "depth": depth})
    grid = sheet.grid
    grid["rowGroupControlAfter" if dimension == "ROWS" else "columnGroupControlAfter"] = True
    groups.sort(key=lambda g: (g["range"]["startIndex"], g["depth"]))
    return {"addDimensionGroup": {"dimensionGroups": copy.deepcopy(groups)}}


def delete_dimension_group(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """deleteDimensionGroup."""
    sheet, dimension, start, end = _dimension_range(ctx, req.get("range") or {})
    groups = sheet.row_groups if dimension == "ROWS" else sheet.column_groups
    for g in sorted(groups, key=lambda g: -g["depth"]):
        if g["range"]["startIndex"] == start and g["range"]["endIndex"] == end:
            groups.remove(g)
            break
    else:
        raise RequestError("No dimension group found in the given range.")
    return {"deleteDimensionGroup": {"dimensionGroups": copy.deepcopy(groups)}}


# ------------------------------------------------------------------ rules and objects


def add_conditional_format_rule(ctx: Context, req: dict[str, Any]) -> None:
    """addConditionalFormatRule (inserted at ``index``, default 0)."""
    rule = copy.deepcopy(req.get("rule") or {})
    ranges = rule.get("ranges") or []
    if not ranges:
        raise RequestError("A conditional format rule must have at least one range.")
    sheets = {int(r.get("sheetId", 0)) for r in ranges}
    if len(sheets) != 1:
        raise RequestError("All ranges of a conditional format rule must be on the same sheet.")
    sheet = ctx.sheet(sheets.pop())
    for r in ranges:
        ctx.box(r)
    if "booleanRule" not in rule and "gradientRule" not in rule:
        raise RequestError("A conditional format rule needs a booleanRule or a gradientRule.")
    fmt = (rule.get("booleanRule") or {}).get("format")
    if isinstance(fmt, dict):
        rule["booleanRule"]["format"] = normalise_format(fmt)
    rule["ranges"] = [
        grid_range_json(sheet.sheet_id, r.get("startRowIndex"), r.get("endRowIndex"),
                        r.get("startColumnIndex"), r.get("endColumnIndex"))
        for r in ranges
    ]
    index = int(req.get("index", 0) or 0)
    if index > len(sheet.conditional_formats):
        raise RequestError(f"Invalid index {index}: the sheet has "
                           f"{len(sheet.conditional_formats)} conditional format rules.")
    sheet.conditional_formats.insert(index, rule)
    return None


def delete_conditional_format_rule(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """deleteConditionalFormatRule."""
    sheet = ctx.sheet(req.get("sheetId", 0))
    index = int(req.get("index", 0) or 0)
    if not 0 <= index < len(sheet.conditional_formats):
        raise RequestError(f"No conditional format on sheet: {sheet.sheet_id} at index: {index}")
    rule = sheet.conditional_formats.pop(index)
    return {"deleteConditionalFormatRule": {"rule": rule}}


def update_conditional_format_rule(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """updateConditionalFormatRule (replace the rule at ``index``)."""
    sheet = ctx.sheet(req.get("sheetId", 0))
    index = int(req.get("index", 0) or 0)
    if not 0 <= index < len(sheet.conditional_formats):
        raise RequestError(f"No conditional format on sheet: {sheet.sheet_id} at index: {index}")
    old = sheet.conditional_formats[index]
    if "rule" in req:
        sheet.conditional_formats.pop(index)
        add_conditional_format_rule(ctx, {"rule": req["rule"], "index": index})
        new = sheet.conditional_formats[index]
    else:
        new_index = int(req.get("newIndex", index))
        sheet.conditional_formats.pop(index)
        sheet.conditional_formats.insert(new_index, old)
        new = old
    return {"updateConditionalFormatRule": {"oldRule": old, "newRule": copy.deepcopy(new)}}


def add_protected_range(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """addProtectedRange (the caller becomes the only editor, as on Google)."""
    pr = copy.deepcopy(req.get("protectedRange") or {})
    taken = {p["protectedRangeId"] for s in ctx.ss.sheets for p in s.protected_ranges}
    pid = ctx.new_id(taken)
    if "range" in pr:
        rng = pr["range"]
        box = ctx.box(rng)
        sheet = box.sheet
        pr["range"] = grid_range_json(sheet.sheet_id, rng.get("startRowIndex"),
                                      rng.get("endRowIndex"), rng.get("startColumnIndex"),
                                      rng.get("endColumnIndex"))
    elif "namedRangeId" in pr:
        named = [n for n in ctx.ss.named_ranges if n["namedRangeId"] == pr["namedRangeId"]]
        if not named:
            raise RequestError(f"No named range with id {pr['namedRangeId']}")
        sheet = ctx.sheet(named[0]["range"].get("sheetId", 0))
    else:
        raise RequestError("A protected range needs a range or a namedRangeId.")
    out: dict[str, Any] = {"protectedRangeId": pid}
    for key in ("range", "namedRangeId", "description"):
        if key in pr:
            out[key] = pr[key]
    if pr.get("warningOnly"):
        out["warningOnly"] = True
    out["requestingUserCanEdit"] = True
    # The reply echoes the editors asked for; the stored range also lists the
    # caller, who Google always keeps as an editor (even for warning-only ranges).
    out["editors"] = copy.deepcopy(pr.get("editors") or {})
    reply = copy.deepcopy(out)
    users = list(out["editors"].get("users") or [])
    if ctx.email not in users:
        users.append(ctx.email)
    out["editors"]["users"] = users
    sheet.protected_ranges.append(out)
    return {"addProtectedRange": {"protectedRange": reply}}


def delete_protected_range(ctx: Context, req: dict[str, Any]) -> None:
    """deleteProtectedRange."""
    pid = int(req.get("protectedRangeId", 0))
    for s in ctx.ss.sheets:
        for p in s.protected_ranges:
            if p["protectedRangeId"] == pid:
                s.protected_ranges.remove(p)
                return None
    raise RequestError(f"No protected range with id: {pid}")


def add_chart(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """addChart: stored as sent, with a chartId (Google also fills in styling defaults)."""
    chart = copy.deepcopy(req.get("chart") or {})
    if "spec" not in chart:
        raise RequestError("A chart needs a spec.")
    taken = {c["chartId"] for s in ctx.ss.sheets for c in s.charts}
    if "chartId" in chart:
        if int(chart["chartId"]) in taken:
            raise RequestError(f"An object with id {chart['chartId']} already exists.")
    else:
        chart["chartId"] = ctx.new_id(taken)
    position = chart.get("position") or {}
    if position.get("newSheet"):
        raise RequestError("The fake does not support charts on their own sheet.")
    anchor = (position.get("overlayPosition") or {}).get("anchorCell") or {}
    sheet = ctx.sheet(anchor.get("sheetId", position.get("sheetId", 0)))
    for series_source in _chart_sources(chart["spec"]):
        ctx.box(series_source)
    if anchor and not anchor.get("sheetId"):
        anchor.pop("sheetId", None)
    sheet.charts.append(chart)
    return {"addChart": {"chart": copy.deepcopy(chart)}}


def _chart_sources(spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    out: list[Mapping[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "sourceRange" in node:
                out.extend(node["sourceRange"].get("sources") or [])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(spec)
    return out


def delete_embedded_object(ctx: Context, req: dict[str, Any]) -> None:
    """deleteEmbeddedObject (charts)."""
    oid = int(req.get("objectId", 0))
    for s in ctx.ss.sheets:
        for c in s.charts:
            if c["chartId"] == oid:
                s.charts.remove(c)
                return None
    raise RequestError(f"No embedded object with id: {oid}")


def add_named_range(ctx: Context, req: dict[str, Any]) -> dict[str, Any]:
    """addNamedRange."""
    nr = copy.deepcopy(req.get("namedRange") or {})
    name = nr.get("name", "")
    if not name or any(n["name"].lower() == name.lower() for n in ctx.ss.named_ranges):
        raise RequestError(f"Named range with name {name!r} already exists or is invalid.")
    rng = nr.get("range") or {}
    box = ctx.box(rng)
    taken = {int(n["namedRangeId"]) for n in ctx.ss.named_ranges if n["namedRangeId"].isdigit()}
    nid = str(nr.get("namedRangeId") or ctx.new_id(taken))
    out = {
        "namedRangeId": nid,
        "name": name,
        "range": grid_range_json(box.sheet.sheet_id, rng.get("startRowIndex"),
                                 rng.get("endRowIndex"), rng.get("startColumnIndex"),
                                 rng.get("endColumnIndex")),
    }
    ctx.ss.named_ranges.append(out)
    return {"addNamedRange": {"namedRange": copy.deepcopy(out)}}


def delete_named_range(ctx: Context, req: dict[str, Any]) -> None:
    """deleteNamedRange."""
    nid = str(req.get("namedRangeId"))
    for n in ctx.ss.named_ranges:
        if n["namedRangeId"] == nid:
            ctx.ss.named_ranges.remove(n)
            return None
    raise RequestError(f"No named range with id {nid}.")


def update_named_range(ctx: Context, req: dict[str, Any]) -> None:
    """updateNamedRange."""
    mask = _mask(req.get("fields"))
    nr = req.get("namedRange") or {}
    nid = str(nr.get("namedRangeId"))
    for i, n in enumerate(ctx.ss.named_ranges):
        if n["namedRangeId"] == nid:
            updated = apply_update(n, nr, mask)
            updated["namedRangeId"] = nid
            rng = updated.get("range") or {}
            box = ctx.box(rng)
            updated["range"] = grid_range_json(
                box.sheet.sheet_id, rng.get("startRowIndex"), rng.get("endRowIndex"),
                rng.get("startColumnIndex"), rng.get("endColumnIndex"))
            ctx.ss.named_ranges[i] = updated
            return None
    raise RequestError(f"No named range with id {nid}.")


def merge_cells(ctx: Context, req: dict[str, Any]) -> None:
    """mergeCells: MERGE_ALL, MERGE_ROWS or MERGE_COLUMNS; values outside the anchor are lost."""
    rng = req.get("range") or {}
    box = ctx.box(rng)
    kind = req.get("mergeType", "MERGE_ALL")
    if kind == "MERGE_ALL":
        pieces = [(box.row0, box.row1, box.col0, box.col1)]
    elif kind == "MERGE_ROWS":
        pieces = [(r, r + 1, box.col0, box.col1) for r in range(box.row0, box.row1)]
    elif kind == "MERGE_COLUMNS":
        pieces = [(box.row0, box.row1, c, c + 1) for c in range(box.col0, box.col1)]
    else:
        raise RequestError(f"Invalid merge type: {kind}")
    sheet = box.sheet
    # A new merge replaces any merge it overlaps, as in the Sheets UI.
    sheet.merges = [m for m in sheet.merges if not _overlap(m, box)]
    for r0, r1, c0, c1 in pieces:
        if r1 - r0 == 1 and c1 - c0 == 1:
            continue
        sheet.merges.append(grid_range_json(sheet.sheet_id, r0, r1, c0, c1))
        for r in range(r0, r1):
            for c in range(c0, c1):
                if (r, c) == (r0, c0):
                    continue
                cell = sheet.cells.get((r, c))
                if cell and "userEnteredValue" in cell:
                    sheet.put(r, c, {k: v for k, v in cell.items()
                                     if k not in ("userEnteredValue", "effectiveValue")})
    return None


def _overlap(m: Mapping[str, Any], box: Box) -> bool:
    return not (
        m.get("endRowIndex", 0) <= box.row0 or m.get("startRowIndex", 0) >= box.row1
        or m.get("endColumnIndex", 0) <= box.col0 or m.get("startColumnIndex", 0) >= box.col1
    )


def unmerge_cells(ctx: Context, req: dict[str, Any]) -> None:
    """unmergeCells: every merge that touches the range is removed."""
    box = ctx.box(req.get("range") or {})
    box.sheet.merges = [m for m in box.sheet.merges if not _overlap(m, box)]
    return None


def _sort_key(cell: Cell | None, ascending: bool) -> tuple[int, Any]:
    ev = (cell or {}).get("effectiveValue")
    if not ev:
        # Blanks sort last in both directions on Google.
        return (3 if ascending else -1, 0)
    if "numberValue" in ev:
        return (0, ev["numberValue"])
    if "stringValue" in ev:
        return (1, str(ev["stringValue"]).casefold())
    if "boolValue" in ev:
        return (2, ev["boolValue"])
    return (2, 0)


def sort_range(ctx: Context, req: dict[str, Any]) -> None:
    """sortRange: whole rows of the range move, values and formats together."""
    box = ctx.box(req.get("range") or {})
    sheet = box.sheet
    specs = req.get("sortSpecs") or [{"dimensionIndex": box.col0, "sortOrder": "ASCENDING"}]
    rows = list(range(box.row0, box.row1))
    for spec in reversed(specs):
        col = int(spec.get("dimensionIndex", 0) or 0)
        asc = spec.get("sortOrder", "ASCENDING") != "DESCENDING"

        def key(r: int, col: int = col, asc: bool = asc) -> tuple[int, Any]:
            return _sort_key(sheet.cells.get((r, col)), asc)

        # Python's sort is stable, so sorting by the last key first gives a multi-key sort.
        rows.sort(key=key, reverse=not asc)
    snapshot = {(r, c): sheet.cells.get((r, c)) for r in rows for c in range(box.col0, box.col1)}
    for new_r, old_r in zip(range(box.row0, box.row1), rows, strict=True):
        for c in range(box.col0, box.col1):
            sheet.put(new_r, c, snapshot[(old_r, c)])
    return None


def set_basic_filter(ctx: Context, req: dict[str, Any]) -> None:
    """setBasicFilter."""
    flt = copy.deepcopy(req.get("filter") or {})
    rng = flt.get("range") or {}
    box = ctx.box(rng)
    # Google stores the filter's range with every side spelt out.
    flt["range"] = grid_range_json(box.sheet.sheet_id, box.row0, box.row1, box.col0, box.col1)
    box.sheet.basic_filter = flt
    return None


def clear_basic_filter(ctx: Context, req: dict[str, Any]) -> None:
    """clearBasicFilter."""
    ctx.sheet(req.get("sheetId", 0)).basic_filter = None
    return None


def _copy_block(ctx: Context, source: Box, dest: Box, paste_type: str, cut: bool) -> None:
    fields = {
        "PASTE_NORMAL": None,
        "PASTE_VALUES": ("userEnteredValue",),
        "PASTE_FORMAT": ("userEnteredFormat",),
        "PASTE_NO_BORDERS": None,
        "PASTE_FORMULA": ("userEnteredValue",),
        "PASTE_DATA_VALIDATION": ("dataValidation",),
        "PASTE_CONDITIONAL_FORMATTING": (),
    }.get(paste_type)
    block = {(r - source.row0, c - source.col0): source.sheet.cells.get((r, c))
             for r, c in source.cells()}
    if cut:
        for r, c in source.cells():
            source.sheet.put(r, c, None)
    rows = dest.rows if dest.rows >= source.rows else source.rows
    cols = dest.cols if dest.cols >= source.cols else source.cols
    for i in range(rows):
        for j in range(cols):
            r, c = dest.row0 + i, dest.col0 + j
            if r >= dest.sheet.row_count or c >= dest.sheet.col_count:
                continue
            src = block.get((i % source.rows, j % source.cols))
            if paste_type == "PASTE_VALUES" and src:
                # "Paste the values ONLY without formats, formulas, or merges":
                # a formula arrives as what it shows.
                shown = src.get("effectiveValue")
                src = {"userEnteredValue": dict(shown)} if shown else {}
            if fields is None:
                dest.sheet.put(r, c, dict(src) if src else None)
            else:
                old = _stored(dest.sheet.cells.get((r, c)))
                for f in fields:
                    if src and f in src:
                        old[f] = src[f]
                    else:
                        old.pop(f, None)
                dest.sheet.put(r, c, finish_cell(old))


def copy_paste(ctx: Context, req: dict[str, Any]) -> None:
    """copyPaste (repeats the source to fill a larger destination)."""
    _copy_block(ctx, ctx.box(req.get("source") or {}), ctx.box(req.get("destination") or {}),
                req.get("pasteType", "PASTE_NORMAL"), cut=False)
    return None


def cut_paste(ctx: Context, req: dict[str, Any]) -> None:
    """cutPaste."""
    source = ctx.box(req.get("source") or {})
    dest_cell = req.get("destination") or {}
    sheet = ctx.sheet(dest_cell.get("sheetId", 0))
    r0 = int(dest_cell.get("rowIndex", 0) or 0)
    c0 = int(dest_cell.get("columnIndex", 0) or 0)
    dest = Box(sheet, r0, r0 + source.rows, c0, c0 + source.cols)
    _copy_block(ctx, source, dest, req.get("pasteType", "PASTE_NORMAL"), cut=True)
    return None


HANDLERS: dict[str, Handler] = {
    "addSheet": add_sheet,
    "deleteSheet": delete_sheet,
    "duplicateSheet": duplicate_sheet,
    "updateSheetProperties": update_sheet_properties,
    "updateSpreadsheetProperties": update_spreadsheet_properties,
    "updateCells": update_cells,
    "repeatCell": repeat_cell,
    "updateBorders": update_borders,
    "setDataValidation": set_data_validation,
    "insertDimension": insert_dimension_request,
    "appendDimension": append_dimension,
    "deleteDimension": delete_dimension,
    "updateDimensionProperties": update_dimension_properties,
    "autoResizeDimensions": auto_resize_dimensions,
    "addDimensionGroup": add_dimension_group,
    "deleteDimensionGroup": delete_dimension_group,
    "addConditionalFormatRule": add_conditional_format_rule,
    "deleteConditionalFormatRule": delete_conditional_format_rule,
    "updateConditionalFormatRule": update_conditional_format_rule,
    "addProtectedRange": add_protected_range,
    "deleteProtectedRange": delete_protected_range,
    "addChart": add_chart,
    "deleteEmbeddedObject": delete_embedded_object,
    "addNamedRange": add_named_range,
    "deleteNamedRange": delete_named_range,
    "updateNamedRange": update_named_range,
    "mergeCells": merge_cells,
    "unmergeCells": unmerge_cells,
    "sortRange": sort_range,
    "setBasicFilter": set_basic_filter,
    "clearBasicFilter": clear_basic_filter,
    "copyPaste": copy_paste,
    "cutPaste": cut_paste,
}

#: Request types Google has but the fake does not implement (answered with a clear 400).
KNOWN_UNSUPPORTED = (
    "updateChartSpec", "updateEmbeddedObjectPosition", "updateEmbeddedObjectBorder",
    "findReplace", "pasteData", "textToColumns", "updateProtectedRange", "addBanding",
    "updateBanding", "deleteBanding", "addFilterView", "updateFilterView", "deleteFilterView",
    "duplicateFilterView", "setBasicFilterRequest", "addSlicer", "updateSlicerSpec",
    "autoFill", "randomizeRange", "trimWhitespace", "deleteDuplicates", "deleteRange",
    "insertRange", "moveDimension", "updateDimensionGroup", "addDataSource",
    "updateDataSource", "deleteDataSource", "refreshDataSource", "createDeveloperMetadata",
    "updateDeveloperMetadata", "deleteDeveloperMetadata", "addTable", "updateTable",
    "deleteTable", "cancelDataSourceRefresh",
)


def _check_masks(index: int, request: Mapping[str, Any]) -> None:
    """A ``fields`` mask naming a field its message lacks is a 400, as at Google."""
    for kind, body in request.items():
        target = MASKED.get(kind)
        if target is None or not isinstance(body, dict) or not isinstance(body.get("fields"), str):
            continue
        try:
            mask = parse_mask(body["fields"])
        except MaskError:
            raise bad_request(f"Invalid requests[{index}].{kind}: Invalid field mask: "
                              f"{body['fields']}") from None
        bad = check_mask(target, mask, "")
        if bad is not None:
            raise bad_request(f"Invalid requests[{index}].{kind}: Invalid field mask: {bad}")


def batch_update(
    ss: Spreadsheet, body: Mapping[str, Any], rng: random.Random, email: str
) -> tuple[Spreadsheet, dict[str, Any]]:
    """Apply a batchUpdate to a copy of ``ss``; return (new state, reply) or raise ApiError."""
    check("BatchUpdateSpreadsheetRequest", body, "")
    requests = body.get("requests")
    if not isinstance(requests, list) or not requests:
        raise bad_request("Must specify at least one request.")
    # Google parses the whole body before applying anything: a misspelt field or
    # enum anywhere fails the batch with "Invalid JSON payload received".
    for i, req in enumerate(requests):
        if not isinstance(req, dict):
            raise _unknown(i, repr(req))
        for kind in req:
            if kind not in HANDLERS and kind not in KNOWN_UNSUPPORTED:
                raise _unknown(i, kind)
        check_batch_request(i, req)
        _check_masks(i, req)
    work = ss.clone()
    ctx = Context(work, rng, email)
    replies: list[dict[str, Any]] = []
    for i, req in enumerate(requests):
        if not isinstance(req, dict):
            raise _unknown(i, repr(req))
        kinds = list(req.keys())
        if len(kinds) != 1:
            if not kinds:
                raise bad_request(f"Invalid requests[{i}]: No request set.")
            raise bad_request(
                f"Invalid requests[{i}]: Only one kind of request may be set per Request, "
                f"but got {', '.join(kinds)}."
            )
        kind = kinds[0]
        handler = HANDLERS.get(kind)
        if handler is None:
            if kind in KNOWN_UNSUPPORTED:
                raise bad_request(
                    f"Invalid requests[{i}].{kind}: the fake Sheets API does not support {kind}."
                )
            raise _unknown(i, kind)
        try:
            reply = handler(ctx, clean(req[kind]) if isinstance(req[kind], dict) else {})
        except RequestError as exc:
            raise bad_request(f"Invalid requests[{i}].{kind}: {exc}") from None
        except ApiError as exc:
            raise bad_request(f"Invalid requests[{i}].{kind}: {exc.message}") from None
        replies.append(drop_empty_lists(reply or {}))
    out: dict[str, Any] = {"spreadsheetId": ss.key, "replies": replies}
    if body.get("includeSpreadsheetInResponse"):
        out["updatedSpreadsheet"] = {}
    return work, out


def clean(value: Any) -> Any:
    """A request payload as Google reads it: null fields and empty lists are unset."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items() if v is not None and v != []}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def drop_empty_lists(value: Any) -> Any:
    """A reply as Google writes it: empty repeated fields are left out."""
    if isinstance(value, dict):
        return {k: drop_empty_lists(v) for k, v in value.items() if v != []}
    if isinstance(value, list):
        return [drop_empty_lists(v) for v in value]
    return value


def _unknown(i: int, kind: str) -> ApiError:
    msg = f"Invalid JSON payload received. Unknown name \"{kind}\" at 'requests[{i}]': " \
          "Cannot find field."
    return bad_request(
        msg,
        details=[{
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [{"field": f"requests[{i}]", "description": msg}],
        }],
    )
