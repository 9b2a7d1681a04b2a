"""Pure builders of Sheets batchUpdate requests, and the batch they go in.

Values are written with ``updateCells``: a ``stringValue`` is never parsed,
so owner text that starts with ``=``, ``+``, ``-`` or ``@`` stays text.  Only
a :class:`~sheetcrm.model.Formula` becomes a ``formulaValue``.  Rows and
columns are 0-based here, as in the API.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from ...cells import to_serial
from ...errors import SheetCRMError
from ...model import Cell, CellValue, Chart, Formula
from ...template import Column, Style, column_letter
from ..rowguard import Box
from .client import SheetInfo, Sheets, find_tab, tab_key

#: Fields written on a computed or owned cell: value and look, nothing else.
CELL_FIELDS = "userEnteredValue,userEnteredFormat"
#: A new tab's minimum grid, as Google makes one: room for the owner to add rows.
MIN_ROWS = 200
MIN_COLS = 26
CHART_SIZE = (480, 300)  # pixels: readable on a phone, two fit a laptop screen

_DEFAULT_FORMATS = {"datetime": "dd/mm/yyyy hh:mm", "date": "dd/mm/yyyy", "time": "hh:mm"}


class RequestBatch:
    """The requests of one batchUpdate, with tab creation and resizing first."""

    def __init__(self, sheets: Mapping[str, SheetInfo]) -> None:
        """Start an empty batch against the tabs ``sheets`` (copied, never changed)."""
        # Copies: planning grows grids, and a failed write must leave the cache true.
        self.sheets: Sheets = {tab_key(info.title): replace(info, chart_ids=list(info.chart_ids))
                               for info in sheets.values()}
        self.structure: list[dict[str, Any]] = []
        self.writes: list[dict[str, Any]] = []
        self.deletes: list[dict[str, Any]] = []
        #: Enquiries cells addressed by position, for the row guard.
        self.touched: list[Box] = []
        self._new: set[str] = set()
        self._next_id = max((s.sheet_id for s in sheets.values()), default=0) + 1

    def touch(self, row0: int, row1: int, col0: int, col1: int) -> None:
        """Record that the batch writes Enquiries cells [row0, row1) x [col0, col1)."""
        if row1 > row0 and col1 > col0:
            self.touched.append(Box(row0, row1, col0, col1))

    def is_new(self, name: str) -> bool:
        """Whether this batch adds the tab."""
        return tab_key(name) in self._new

    def find(self, name: str) -> SheetInfo:
        """The tab called ``name`` (trimmed, ignoring case), which must exist or be planned."""
        info = find_tab(self.sheets, name)
        if info is None:
            raise SheetCRMError(f"sheetcrm planned a write to a tab {name!r} that does not exist")
        return info

    def sheet(
        self,
        name: str,
        *,
        rows: int,
        cols: int,
        hidden: bool,
        freeze_rows: int = 0,
        freeze_cols: int = 0,
        index: int | None = None,
        exact: bool = False,
    ) -> SheetInfo:
        """The tab ``name``, added (or, with ``exact``, reshaped) so it holds rows x cols."""
        grid = {
            "rowCount": max(rows, 1),
            "columnCount": max(cols, 1),
            "frozenRowCount": freeze_rows,
            "frozenColumnCount": freeze_cols,
        }
        info = find_tab(self.sheets, name)
        if info is None:
            sheet_id = self._next_id
            self._next_id += 1
            if not exact:
                grid["rowCount"] = max(rows + 100, MIN_ROWS)
                grid["columnCount"] = max(cols + 2, MIN_COLS)
            props: dict[str, Any] = {"sheetId": sheet_id, "title": name, "hidden": hidden,
                                     "gridProperties": grid}
            if index is not None:
                props["index"] = index
            self.structure.append({"addSheet": {"properties": props}})
            info = SheetInfo(sheet_id, name, index if index is not None else len(self.sheets),
                             grid["rowCount"], grid["columnCount"], hidden)
            self.sheets[tab_key(name)] = info
            self._new.add(tab_key(name))
        elif exact:
            props = {"sheetId": info.sheet_id, "hidden": hidden, "gridProperties": grid}
            fields = ["hidden", "gridProperties"]
            if index is not None:
                props["index"] = index
                fields.append("index")
            self.structure.append({
                "updateSheetProperties": {"properties": props, "fields": ",".join(fields)}
            })
            info.rows, info.cols, info.hidden = grid["rowCount"], grid["columnCount"], hidden
        else:
            self.grow(info, rows=rows, cols=cols)
        return info

    def grow(self, info: SheetInfo, *, rows: int, cols: int) -> None:
        """Append rows or columns so the tab's grid holds rows x cols."""
        if rows > info.rows:
            self.structure.append(append_dimension(info.sheet_id, "ROWS", rows - info.rows))
            info.rows = rows
        if cols > info.cols:
            self.structure.append(append_dimension(info.sheet_id, "COLUMNS", cols - info.cols))
            info.cols = cols

    def requests(self) -> list[dict[str, Any]]:
        """Every request in a safe order."""
        return self.structure + self.writes + self.deletes


# --------------------------------------------------------------------------- requests


def append_dimension(sheet_id: int, dimension: str, length: int) -> dict[str, Any]:
    """An appendDimension request: ``length`` more ROWS or COLUMNS at the end of a tab."""
    return {"appendDimension": {"sheetId": sheet_id, "dimension": dimension, "length": length}}


def freeze(sheet_id: int, rows: int, cols: int) -> dict[str, Any]:
    """Freeze the first ``rows`` rows and ``cols`` columns of a tab."""
    return {
        "updateSheetProperties": {
            "properties": {"sheetId": sheet_id,
                           "gridProperties": {"frozenRowCount": rows, "frozenColumnCount": cols}},
            "fields": "gridProperties.frozenRowCount,gridProperties.frozenColumnCount",
        }
    }


def column_width(sheet_id: int, col0: int, chars: float) -> dict[str, Any]:
    """Set the width of one column, given in Excel character widths."""
    # Template widths are Excel character widths; 7 px a character plus padding.
    return {
        "updateDimensionProperties": {
            "range": {"sheetId": sheet_id, "dimension": "COLUMNS",
                      "startIndex": col0, "endIndex": col0 + 1},
            "properties": {"pixelSize": round(chars * 7 + 5)},
            "fields": "pixelSize",
        }
    }


def update_cells(
    sheet_id: int,
    row0: int,
    col0: int,
    rows: Sequence[Sequence[Cell]],
    styles: Mapping[str, Style],
    *,
    fields: str = CELL_FIELDS,
    end_row: int | None = None,
    end_col: int | None = None,
) -> dict[str, Any]:
    """An updateCells request; with end_row/end_col, cells of the range not in rows are cleared."""
    body: dict[str, Any] = {
        "rows": [{"values": [cell_data(c, styles) for c in line]} for line in rows],
        "fields": fields,
    }
    if end_row is None or end_col is None:
        body["start"] = {"sheetId": sheet_id, "rowIndex": row0, "columnIndex": col0}
    else:
        body["range"] = {"sheetId": sheet_id, "startRowIndex": row0, "endRowIndex": end_row,
                         "startColumnIndex": col0, "endColumnIndex": end_col}
    return {"updateCells": body}


def number_format_range(sheet_id: int, row0: int, row1: int, col0: int,
                        styles: Mapping[str, Style], kind: str) -> dict[str, Any]:
    """Give cells [row0, row1) of column ``col0`` the number format of a date, date-time or time."""
    fmt = cell_format(styles.get(kind)).get("numberFormat") or number_format(
        _DEFAULT_FORMATS[kind])
    return {
        "repeatCell": {
            "range": {"sheetId": sheet_id, "startRowIndex": row0, "endRowIndex": row1,
                      "startColumnIndex": col0, "endColumnIndex": col0 + 1},
            "cell": {"userEnteredFormat": {"numberFormat": fmt}},
            "fields": "userEnteredFormat.numberFormat",
        }
    }


def time_zone(zone: str) -> dict[str, Any]:
    """Set the spreadsheet's time zone (its NOW() and TODAY() run in it)."""
    return {"updateSpreadsheetProperties": {"properties": {"timeZone": zone},
                                            "fields": "timeZone"}}


def clear_values(sheet_id: int, row0: int, row1: int, col0: int, col1: int) -> dict[str, Any]:
    """Clear the values (only) of cells [row0, row1) x [col0, col1)."""
    return {
        "updateCells": {
            "range": {"sheetId": sheet_id, "startRowIndex": row0, "endRowIndex": row1,
                      "startColumnIndex": col0, "endColumnIndex": col1},
            "fields": "userEnteredValue",
        }
    }


def write_note(sheet_id: int, note: str) -> dict[str, Any]:
    """Put ``note`` on cell A1 of a tab, and nothing else."""
    return {
        "updateCells": {
            "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
            "rows": [{"values": [{"note": note}]}],
            "fields": "note",
        }
    }


def copy_values(source_id: int, dest_id: int, col0: int) -> dict[str, Any]:
    """Paste the values of a whole tab into another, from row 1 of column ``col0``."""
    # One destination cell: a destination smaller than the source takes all
    # of it, where a bigger one would repeat it.
    return {"copyPaste": {
        "source": {"sheetId": source_id},  # the whole tab, however big it is by then
        "destination": {"sheetId": dest_id, "startRowIndex": 0, "endRowIndex": 1,
                        "startColumnIndex": col0, "endColumnIndex": col0 + 1},
        "pasteType": "PASTE_VALUES",
    }}


# --------------------------------------------------------------------------- cells


def extended_value(value: CellValue | Formula) -> dict[str, Any] | None:
    """The Sheets ExtendedValue for a cell value; None for an empty cell.

    Text is always a stringValue, which Sheets never parses: only a
    :class:`Formula` becomes a formula.
    """
    if value is None or value == "":
        return None
    if isinstance(value, Formula):
        return {"formulaValue": value.text}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return {"stringValue": str(value)}
        return {"numberValue": value}
    if isinstance(value, dt.time):
        seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
        return {"numberValue": seconds / 86400}
    if isinstance(value, dt.datetime | dt.date):
        # The core hands over local wall-clock time; to_serial takes it as it reads.
        return {"numberValue": to_serial(value)}
    return {"stringValue": str(value)}


def default_style(value: Any) -> str | None:
    """The style a date, date-time or time needs to show as one (None for other values)."""
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, dt.time):
        return "time"
    return None


def cell_data(cell: Cell, styles: Mapping[str, Style]) -> dict[str, Any]:
    """The Sheets CellData for a cell: its value, and its style, link and date format."""
    data: dict[str, Any] = {}
    value = extended_value(cell.value)
    if value is not None:
        data["userEnteredValue"] = value
    style = styles.get(cell.style) if cell.style else None
    fmt = cell_format(style)
    if "numberFormat" not in fmt:
        kind = default_style(cell.value)
        if kind is not None:
            fmt["numberFormat"] = number_format(_DEFAULT_FORMATS[kind])
    if cell.link:
        text = dict(fmt.get("textFormat", {}))
        text["link"] = {"uri": cell.link}
        fmt["textFormat"] = text
    if fmt:
        data["userEnteredFormat"] = fmt
    return data


def number_format(code: str) -> dict[str, str]:
    """An Excel number format code as a Sheets NumberFormat."""
    lowered = code.lower()
    if code == "@":
        return {"type": "TEXT", "pattern": "@"}
    if "%" in code:
        kind = "PERCENT"
    elif ("y" in lowered or "d" in lowered) and "h" in lowered:
        kind = "DATE_TIME"
    elif "y" in lowered or "d" in lowered:
        kind = "DATE"
    elif "h" in lowered or "s" in lowered:
        kind = "TIME"
    else:
        kind = "NUMBER"
    return {"type": kind, "pattern": code}


def colour(hex_colour: str) -> dict[str, float]:
    """#RRGGBB as a Sheets Color (0-1 floats)."""
    h = hex_colour.lstrip("#")
    return {k: round(int(h[i:i + 2], 16) / 255, 4) for k, i in (("red", 0), ("green", 2),
                                                                ("blue", 4))}


def cell_format(style: Style | None) -> dict[str, Any]:
    """A template style as a Sheets CellFormat ({} for none)."""
    if style is None:
        return {}
    fmt: dict[str, Any] = {}
    text: dict[str, Any] = {}
    if style.bold:
        text["bold"] = True
    if style.italic:
        text["italic"] = True
    if style.underline:
        text["underline"] = True
    if style.size:
        text["fontSize"] = int(style.size)
    if style.font_colour:
        text["foregroundColor"] = colour(style.font_colour)
    if text:
        fmt["textFormat"] = text
    if style.fill:
        fmt["backgroundColor"] = colour(style.fill)
    if style.wrap:
        fmt["wrapStrategy"] = "WRAP"
    if style.number_format:
        fmt["numberFormat"] = number_format(style.number_format)
    return fmt


def cf_format(style: Style | None) -> dict[str, Any]:
    """A template style as a conditional format's CellFormat."""
    # A conditional format may only set colours, bold, italic and strikethrough.
    fmt = cell_format(style)
    out: dict[str, Any] = {}
    if "backgroundColor" in fmt:
        out["backgroundColor"] = fmt["backgroundColor"]
    text = {k: v for k, v in fmt.get("textFormat", {}).items()
            if k in ("bold", "italic", "foregroundColor")}
    if text:
        out["textFormat"] = text
    return out


def validation_rule(col: Column, index: int, first_row: int = 2) -> dict[str, Any] | None:
    """The DataValidationRule of a template column at 0-based ``index`` (None without one).

    ``first_row`` is the range's first row, which a formula's cell refers to.
    """
    v = col.validation
    if v is None:
        return None
    rule: dict[str, Any]
    if v.kind == "list" and v.source:
        source = v.source if v.source.startswith("=") else "=" + v.source
        rule = {"condition": {"type": "ONE_OF_RANGE", "values": [{"userEnteredValue": source}]},
                "showCustomUi": True}
    elif v.kind == "list":
        rule = {"condition": {"type": "ONE_OF_LIST",
                              "values": [{"userEnteredValue": x} for x in v.values]},
                "showCustomUi": True}
    else:
        cell = f"{column_letter(index + 1)}{first_row}"
        lo = v.min if v.min is not None else 0
        checks = [f"ISNUMBER({cell})", f"{cell}=INT({cell})", f"{cell}>={lo}"]
        if v.max is not None:
            checks.append(f"{cell}<={v.max}")
        rule = {
            "condition": {"type": "CUSTOM_FORMULA",
                          "values": [{"userEnteredValue": f"=AND({','.join(checks)})"}]},
            "inputMessage": f"A whole number from {lo} to {v.max}" if v.max is not None
            else f"A whole number from {lo}",
        }
    # Not strict: a wrong value gets a warning triangle, never a lost entry.
    rule["strict"] = False
    return rule


def add_chart(sheet_id: int, chart: Chart) -> dict[str, Any]:
    """An addChart request for a native bar or line chart on a tab."""
    def block(col: int) -> dict[str, Any]:
        return {"sheetId": sheet_id, "startRowIndex": chart.first_row - 1,
                "endRowIndex": chart.last_row, "startColumnIndex": col - 1, "endColumnIndex": col}

    bar = chart.kind == "bar"
    value_axis = "BOTTOM_AXIS" if bar else "LEFT_AXIS"
    axes: list[dict[str, Any]] = []
    value: dict[str, Any] = {"position": value_axis}
    if chart.y_axis_title:
        value["title"] = chart.y_axis_title
    if chart.counts or chart.percent:
        # Counts and shares start at 0. The API has no setting for the gap between
        # labels, so Google Sheets chooses it (docs/screen.md says so).
        value["viewWindowOptions"] = {"viewWindowMode": "EXPLICIT", "viewWindowMin": 0,
                                      **({"viewWindowMax": 1} if chart.percent else {})}
    if len(value) > 1:
        axes.append(value)
    series: list[dict[str, Any]] = []
    for c in range(chart.first_col + 1, chart.last_col + 1):
        one: dict[str, Any] = {"series": {"sourceRange": {"sources": [block(c)]}},
                               "targetAxis": value_axis}
        if not bar:
            one["pointStyle"] = {"shape": "CIRCLE", "size": 7}  # each month's point shows
        series.append(one)
    basic: dict[str, Any] = {
        "chartType": "BAR" if bar else "LINE",
        "legendPosition": "BOTTOM_LEGEND",
        "axis": axes,
        "headerCount": 1,
        "domains": [{"domain": {"sourceRange": {"sources": [block(chart.first_col)]}}}],
        "series": series,
    }
    if not bar:
        basic["lineSmoothing"] = False  # straight lines: a curve invents values between months
    spec = {"title": chart.title, "basicChart": basic}
    position = {
        "overlayPosition": {
            "anchorCell": {"sheetId": sheet_id, "rowIndex": chart.anchor_row - 1,
                           "columnIndex": chart.anchor_col - 1},
            "widthPixels": CHART_SIZE[0],
            "heightPixels": CHART_SIZE[1],
        }
    }
    return {"addChart": {"chart": {"spec": spec, "position": position}}}


def column_format_requests(sheet_id: int, col0: int, row0: int, row1: int, spec: Column,
                           styles: Mapping[str, Style], *, style: bool = True
                           ) -> list[dict[str, Any]]:
    """A template column's number format and dropdown over rows ``row0`` to ``row1`` (0-based,
    end exclusive), for the rows the owner types later."""
    cells = {"sheetId": sheet_id, "startRowIndex": row0, "endRowIndex": row1,
             "startColumnIndex": col0, "endColumnIndex": col0 + 1}
    out: list[dict[str, Any]] = []
    fmt = cell_format(styles.get(spec.style) if spec.style and style else None)
    if fmt:
        out.append({"repeatCell": {"range": cells, "cell": {"userEnteredFormat": fmt},
                                   "fields": "userEnteredFormat"}})
    rule = validation_rule(spec, col0)
    if rule is not None:
        out.append({"setDataValidation": {"range": cells, "rule": rule}})
    return out
