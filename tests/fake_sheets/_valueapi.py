"""The spreadsheets.values methods: get, batchGet, update, batchUpdate, append and the clears."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._state import ApiError, Box, Cell, Sheet, Spreadsheet, bad_request
from ._values import parse_user_entered, raw_value, render

VALUE_RENDER = ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")
DATETIME_RENDER = ("SERIAL_NUMBER", "FORMATTED_STRING")
INPUT_OPTIONS = ("RAW", "USER_ENTERED")


def _enum(params: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = params.get(name, default) or default
    if value not in allowed:
        raise bad_request(
            f"Invalid value at '{_snake(name)}' (type.googleapis.com/"
            f"google.apps.sheets.v4.{_enum_type(name)}), \"{value}\"",
            details=[_violation(_snake(name), f"Invalid value at '{_snake(name)}' "
                                f"(type.googleapis.com/google.apps.sheets.v4."
                                f"{_enum_type(name)}), \"{value}\"")],
        )
    return value


def _snake(name: str) -> str:
    return "".join("_" + ch.lower() if ch.isupper() else ch for ch in name)


def _enum_type(name: str) -> str:
    return {
        "valueRenderOption": "ValueRenderOption",
        "dateTimeRenderOption": "DateTimeRenderOption",
        "valueInputOption": "ValueInputOption",
        "majorDimension": "Dimension",
        "insertDataOption": "InsertDataOption",
        "responseValueRenderOption": "ValueRenderOption",
        "responseDateTimeRenderOption": "DateTimeRenderOption",
    }.get(name, name)


def _violation(field: str, description: str) -> dict[str, Any]:
    return {
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        "fieldViolations": [{"field": field, "description": description}],
    }


def _input_option(params: Mapping[str, str], body: Mapping[str, Any] | None = None) -> str:
    value = params.get("valueInputOption") or (body or {}).get("valueInputOption")
    if not value or value == "INPUT_VALUE_OPTION_UNSPECIFIED":
        raise bad_request("'valueInputOption' is required but not specified")
    if value not in INPUT_OPTIONS:
        return _enum({"valueInputOption": str(value)}, "valueInputOption", INPUT_OPTIONS, "RAW")
    return str(value)


# ------------------------------------------------------------------ reading


def read_box(
    ss: Spreadsheet, box: Box, *, value_render: str, datetime_render: str, major: str
) -> list[list[Any]]:
    """The values in ``box``, trimmed as Google trims them (trailing empties dropped)."""
    sheet = box.sheet
    locale = ss.locale
    # Only cells that hold a value matter; walking the stored cells (not every
    # coordinate of a 5000-row box) keeps reads fast.
    found: dict[tuple[int, int], Any] = {}
    memo: dict[int, Any] = {}
    for (r, c), cell in sheet.cells.items():
        if "userEnteredValue" not in cell:
            continue
        if not (box.row0 <= r < box.row1 and box.col0 <= c < box.col1):
            continue
        key = id(cell)
        if key not in memo:
            memo[key] = _render_cell(cell, locale, value_render, datetime_render)
        if memo[key] != "":
            if major == "COLUMNS":
                found[(c - box.col0, r - box.row0)] = memo[key]
            else:
                found[(r - box.row0, c - box.col0)] = memo[key]
    if not found:
        return []
    nrows = max(i for i, _ in found) + 1
    out: list[list[Any]] = [[] for _ in range(nrows)]
    widths = [0] * nrows
    for (i, j) in found:
        widths[i] = max(widths[i], j + 1)
    for i in range(nrows):
        out[i] = [""] * widths[i]
    for (i, j), value in found.items():
        out[i][j] = value
    return out


def _render_cell(cell: Cell | None, locale: str, value_render: str, datetime_render: str) -> Any:
    if not cell or "userEnteredValue" not in cell:
        return ""
    uev = cell["userEnteredValue"]
    ev = cell.get("effectiveValue")
    nf = (cell.get("userEnteredFormat") or {}).get("numberFormat")
    return render(ev, uev, nf, locale, value_render, datetime_render)


def value_range(
    ss: Spreadsheet, text: str, params: Mapping[str, str], *, for_read: bool = True
) -> dict[str, Any]:
    """One ValueRange for GET values/<range> or one entry of batchGet."""
    value_render = _enum(params, "valueRenderOption", VALUE_RENDER, "FORMATTED_VALUE")
    datetime_render = _enum(params, "dateTimeRenderOption", DATETIME_RENDER, "SERIAL_NUMBER")
    major = _enum(params, "majorDimension", ("ROWS", "COLUMNS", "DIMENSION_UNSPECIFIED"), "ROWS")
    if major == "DIMENSION_UNSPECIFIED":
        major = "ROWS"
    box = ss.box(text)
    if for_read:
        box.sheet.check_box(box, "")
    out: dict[str, Any] = {"range": box.a1(), "majorDimension": major}
    values = read_box(
        ss, box, value_render=value_render, datetime_render=datetime_render, major=major
    )
    if values:
        out["values"] = values
    return out


# ------------------------------------------------------------------ writing


def _check_values(values: Any, field: str) -> list[list[Any]]:
    if values is None:
        return []
    if not isinstance(values, list):
        msg = (
            f"Invalid value at '{field}' (type.googleapis.com/google.protobuf.ListValue), "
            f"{_proto_text(values)}"
        )
        raise bad_request(msg, details=[_violation(field, msg)])
    out: list[list[Any]] = []
    for i, row in enumerate(values):
        if not isinstance(row, list):
            msg = (
                f"Invalid value at '{field}[{i}]' (type.googleapis.com/google.protobuf.ListValue), "
                f"{_proto_text(row)}"
            )
            raise bad_request(msg, details=[_violation(f"{field}[{i}]", msg)])
        for j, v in enumerate(row):
            if isinstance(v, (list, dict)):
                kind = "list_value" if isinstance(v, list) else "struct_value"
                raise bad_request(f"Invalid values[{i}][{j}]: {kind} {{\n}}\n")
        out.append(row)
    return out


def _proto_text(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_cell(ss: Spreadsheet, sheet: Sheet, r: int, c: int, value: Any, option: str) -> None:
    """Write one JSON value into a cell as values.update does (formats are kept)."""
    old = sheet.cells.get((r, c)) or {}
    fmt = old.get("userEnteredFormat") or {}
    number_format = fmt.get("numberFormat") or {}
    if option == "RAW" or not isinstance(value, str):
        uev = raw_value(value)
        detected = None
    else:
        uev, detected = parse_user_entered(
            value, ss.locale, as_text=number_format.get("type") == "TEXT"
        )
    new = dict(old)
    new.pop("effectiveValue", None)
    if uev is None:
        new.pop("userEnteredValue", None)
    else:
        new["userEnteredValue"] = uev
        new["effectiveValue"] = effective(uev)
    if detected is not None and not number_format:
        new_fmt = dict(fmt)
        new_fmt["numberFormat"] = detected
        new["userEnteredFormat"] = new_fmt
    sheet.put(r, c, new)


def effective(uev: Mapping[str, Any]) -> dict[str, Any] | None:
    """effectiveValue for a stored userEnteredValue."""
    from ._values import effective_value

    return effective_value(uev)


def write_values(
    ss: Spreadsheet,
    text: str,
    values: Any,
    major: str | None,
    option: str,
    *,
    field: str = "data.values",
) -> tuple[Box, dict[str, Any]]:
    """values.update on a spreadsheet copy; returns the written box and the reply."""
    rows = _check_values(values, field)
    major = major or "ROWS"
    if major == "COLUMNS":
        width = max((len(r) for r in rows), default=0)
        rows = [[col[i] if i < len(col) else None for col in rows] for i in range(width)]
        rows = [_trim_none(r) for r in rows]
    sheet, span = ss.resolve(text)
    r0 = span.row0 or 0
    c0 = span.col0 or 0
    nrows = len(rows)
    ncols = max((len(r) for r in rows), default=0)
    if not span.is_single_cell:
        if span.row1 is not None and r0 + nrows > span.row1:
            raise bad_request(
                f"Requested writing within range [{_requested(sheet, span)}], but tried writing "
                f"to row [{span.row1 + 1}]"
            )
        if span.col1 is not None and c0 + ncols > span.col1:
            from ._a1 import col_letters

            raise bad_request(
                f"Requested writing within range [{_requested(sheet, span)}], but tried writing "
                f"to column [{col_letters(span.col1)}]"
            )
    box = Box(sheet, r0, r0 + max(nrows, 1), c0, c0 + max(ncols, 1))
    sheet.check_box(box, "")
    cells = 0
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if v is None:
                continue
            write_cell(ss, sheet, r0 + i, c0 + j, v, option)
            cells += 1
    reply: dict[str, Any] = {"spreadsheetId": ss.key}
    if nrows and ncols:
        reply["updatedRange"] = box.a1()
        reply["updatedRows"] = sum(1 for r in rows if any(v is not None for v in r))
        reply["updatedColumns"] = len(
            {j for r in rows for j, v in enumerate(r) if v is not None}
        )
        reply["updatedCells"] = cells
    else:
        reply["updatedRange"] = Box(sheet, r0, r0 + 1, c0, c0 + 1).a1()
    return box, reply


def _trim_none(row: list[Any]) -> list[Any]:
    while row and row[-1] is None:
        row.pop()
    return row


def _requested(sheet: Sheet, span: Any) -> str:
    from ._a1 import col_letters, quote_title

    start = f"{col_letters(span.col0 or 0)}{(span.row0 or 0) + 1}"
    end_col = col_letters(span.col1 - 1) if span.col1 is not None else ""
    end_row = str(span.row1) if span.row1 is not None else ""
    return f"{quote_title(sheet.title)}!{start}:{end_col}{end_row}"


def updated_data(
    ss: Spreadsheet, box: Box, params: Mapping[str, str], major: str
) -> dict[str, Any]:
    """The ``updatedData`` ValueRange returned when includeValuesInResponse is true."""
    value_render = _enum(params, "responseValueRenderOption", VALUE_RENDER, "FORMATTED_VALUE")
    datetime_render = _enum(
        params, "responseDateTimeRenderOption", DATETIME_RENDER, "SERIAL_NUMBER"
    )
    out: dict[str, Any] = {"range": box.a1(), "majorDimension": major}
    values = read_box(
        ss, box, value_render=value_render, datetime_render=datetime_render, major=major
    )
    if values:
        out["values"] = values
    return out


def values_update(
    ss: Spreadsheet, text: str, params: Mapping[str, str], body: Mapping[str, Any]
) -> dict[str, Any]:
    """PUT values/<range>."""
    option = _input_option(params)
    if body.get("range") and _norm(body["range"]) != _norm(text):
        raise bad_request(
            f"Requested range [{text}] and range in body [{body['range']}] are different"
        )
    major = body.get("majorDimension") or "ROWS"
    box, reply = write_values(ss, text, body.get("values"), major, option)
    if _true(params.get("includeValuesInResponse")):
        reply["updatedData"] = updated_data(ss, box, params, major)
    return reply


def _norm(text: str) -> str:
    return text.replace("'", "").replace("$", "").upper()


def _true(value: str | None) -> bool:
    return (value or "").lower() == "true"


def values_batch_update(ss: Spreadsheet, body: Mapping[str, Any]) -> dict[str, Any]:
    """POST values:batchUpdate."""
    option = _input_option({}, body)
    responses = []
    rows: set[tuple[int, int]] = set()
    cols: set[tuple[int, int]] = set()
    sheets: set[int] = set()
    total_cells = 0
    for i, data in enumerate(body.get("data") or []):
        major = data.get("majorDimension") or "ROWS"
        box, reply = write_values(
            ss, data.get("range", ""), data.get("values"), major, option,
            field=f"data[{i}].values",
        )
        if body.get("includeValuesInResponse"):
            params = {
                k: str(body[k])
                for k in ("responseValueRenderOption", "responseDateTimeRenderOption")
                if k in body
            }
            reply["updatedData"] = updated_data(ss, box, params, major)
        responses.append(reply)
        if reply.get("updatedCells"):
            sheets.add(box.sheet.sheet_id)
            total_cells += reply["updatedCells"]
            for r in range(box.row0, box.row0 + reply["updatedRows"]):
                rows.add((box.sheet.sheet_id, r))
            for c in range(box.col0, box.col0 + reply["updatedColumns"]):
                cols.add((box.sheet.sheet_id, c))
    out: dict[str, Any] = {"spreadsheetId": ss.key}
    if total_cells:
        out["totalUpdatedRows"] = len(rows)
        out["totalUpdatedColumns"] = len(cols)
        out["totalUpdatedCells"] = total_cells
        out["totalUpdatedSheets"] = len(sheets)
    if responses:
        out["responses"] = responses
    return out


def _has_value(sheet: Sheet, r: int, c: int) -> bool:
    cell = sheet.cells.get((r, c))
    return bool(cell and "userEnteredValue" in cell)


def find_table(sheet: Sheet, box: Box) -> Box | None:
    """The 'table' values.append appends to, found as Google appears to find it.

    Google's rule is not documented.  The recordings show it takes the last
    filled cell in the input range (reading row by row) and the block of filled
    cells connected to it; see docs/fake-sheets.md.
    """
    last: tuple[int, int] | None = None
    for (r, c), cell in sheet.cells.items():
        if "userEnteredValue" not in cell:
            continue
        if box.row0 <= r < box.row1 and box.col0 <= c < box.col1:
            if last is None or (r, c) > last:
                last = (r, c)
    if last is None:
        return None
    seen = {last}
    todo = [last]
    while todo:
        r, c = todo.pop()
        for nr, nc in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
            if (nr, nc) not in seen and _has_value(sheet, nr, nc):
                seen.add((nr, nc))
                todo.append((nr, nc))
    r0 = min(r for r, _ in seen)
    r1 = max(r for r, _ in seen) + 1
    c0 = min(c for _, c in seen)
    c1 = max(c for _, c in seen) + 1
    return Box(sheet, r0, r1, c0, c1)


def values_append(
    ss: Spreadsheet, text: str, params: Mapping[str, str], body: Mapping[str, Any]
) -> dict[str, Any]:
    """POST values/<range>:append."""
    option = _input_option(params)
    insert = _enum(params, "insertDataOption", ("OVERWRITE", "INSERT_ROWS"), "OVERWRITE")
    rows = _check_values(body.get("values"), "data.values")
    major = body.get("majorDimension") or "ROWS"
    if major == "COLUMNS":
        width = max((len(r) for r in rows), default=0)
        rows = [_trim_none([col[i] if i < len(col) else None for col in rows])
                for i in range(width)]
    box = ss.box(text)
    box.sheet.check_box(box, "")
    sheet = box.sheet
    table = find_table(sheet, box)
    if table is None:
        start_r, start_c = box.row0, box.col0
    else:
        start_r, start_c = table.row1, table.col0
    nrows = len(rows)
    ncols = max((len(r) for r in rows), default=0)
    if insert == "INSERT_ROWS" and nrows:
        if start_r < sheet.row_count:
            from ._batch import insert_dimension

            insert_dimension(ss, sheet, "ROWS", start_r, start_r + nrows, inherit_before=True)
    need_rows = start_r + nrows - sheet.row_count
    if need_rows > 0:
        sheet.grid["rowCount"] = sheet.row_count + need_rows
    need_cols = start_c + ncols - sheet.col_count
    if need_cols > 0:
        sheet.grid["columnCount"] = sheet.col_count + need_cols
    target = Box(sheet, start_r, start_r + 1, start_c, start_c + 1).a1()
    written, update = write_values(ss, target, rows, "ROWS", option)
    reply: dict[str, Any] = {"spreadsheetId": ss.key}
    if table is not None:
        reply["tableRange"] = table.a1()
    if _true(params.get("includeValuesInResponse")):
        update["updatedData"] = updated_data(ss, written, params, "ROWS")
    reply["updates"] = update
    return reply


def clear_box(box: Box) -> None:
    """Remove values (not formats, notes or validation) from every cell in ``box``."""
    sheet = box.sheet
    for key in [k for k in sheet.cells if box.row0 <= k[0] < box.row1
                and box.col0 <= k[1] < box.col1]:
        cell = sheet.cells[key]
        if "userEnteredValue" in cell:
            new = {k: v for k, v in cell.items() if k not in ("userEnteredValue",
                                                                 "effectiveValue")}
            sheet.put(key[0], key[1], new)


def values_clear(ss: Spreadsheet, text: str) -> dict[str, Any]:
    """POST values/<range>:clear."""
    box = ss.box(text)
    box.sheet.check_box(box, "")
    clear_box(box)
    return {"spreadsheetId": ss.key, "clearedRange": box.a1()}


def values_batch_clear(ss: Spreadsheet, body: Mapping[str, Any]) -> dict[str, Any]:
    """POST values:batchClear."""
    cleared = []
    for text in body.get("ranges") or []:
        box = ss.box(text)
        box.sheet.check_box(box, "")
        clear_box(box)
        cleared.append(box.a1())
    out: dict[str, Any] = {"spreadsheetId": ss.key}
    if cleared:
        out["clearedRanges"] = cleared
    return out


__all__ = [
    "ApiError",
    "value_range",
    "values_update",
    "values_batch_update",
    "values_append",
    "values_clear",
    "values_batch_clear",
]
