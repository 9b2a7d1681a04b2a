"""Rendering a new tracker from the template into an empty spreadsheet: one batch."""

from __future__ import annotations

import re
from collections.abc import Mapping

from gspread.utils import absolute_range_name

from ...cells import header_key, header_positions
from ...errors import InputError
from ...model import Cell, Grid, TabContent, trimmed
from ...settings import setting_cell, setting_row
from ...template import Tab, Template, column_letter
from .client import Sheets, find_tab, tab_key
from .requests import (
    CELL_FIELDS,
    MIN_COLS,
    MIN_ROWS,
    RequestBatch,
    add_chart,
    cell_data,
    cell_format,
    cf_format,
    column_format_requests,
    column_width,
    update_cells,
    validation_rule,
)

LOCALE = "en_GB"
DEFAULT_TIMEZONE = "Africa/Kampala"


def plan_create(template: Template, contents: Mapping[str, TabContent], sheets: Sheets,
                grids: Mapping[str, Grid], label: str) -> RequestBatch:
    """The requests that turn an empty spreadsheet (``sheets``, ``grids``) into a tracker.

    Raises :class:`InputError` when a tab the tracker needs already holds data.
    """
    existing = {tab_key(n): g for n, g in grids.items()}
    template_keys = {tab_key(t.name) for t in template.tabs}
    template_names = [t.name for t in template.tabs] + [
        n for n in contents if tab_key(n) not in template_keys
    ]
    for name in template_names:
        info = find_tab(sheets, name)
        if info is not None and trimmed(existing.get(tab_key(name), [])):
            raise InputError(
                f"{label} already has a tab called {info.title!r} with data, so "
                "sheetcrm will not set it up again: use an empty sheet for a new tracker, or "
                "run `sheetcrm refresh` on this one"
            )
    batch = RequestBatch(sheets)
    styles = template.styles
    tabs_by_key = {tab_key(t.name): t for t in template.tabs}
    for position, name in enumerate(template_names):
        tab = tabs_by_key.get(tab_key(name))
        if tab is not None and tab.kind == "enquiries":
            _plan_enquiries(batch, template, tab, contents, position)
            continue
        content = content_for(contents, name) or TabContent(rows=[])
        hidden = tab.hidden if tab is not None else False
        height = max(len(content.rows) + 100, MIN_ROWS)
        width = max(max((len(r) for r in content.rows), default=0) + 2, MIN_COLS)
        info = batch.sheet(name, rows=height, cols=width, hidden=hidden,
                           freeze_rows=content.freeze_rows, index=position, exact=True)
        if content.rows:
            batch.writes.append(update_cells(info.sheet_id, 0, 0, content.rows, styles,
                                             fields=CELL_FIELDS))
        for col, width_chars in sorted(content.widths.items()):
            batch.writes.append(column_width(info.sheet_id, col - 1, width_chars))
        for chart in content.charts:
            batch.writes.append(add_chart(info.sheet_id, chart))
        for fmt in content.columns:
            batch.writes += column_format_requests(info.sheet_id, fmt.col - 1,
                                                   fmt.first_row - 1, height, fmt.spec, styles)
    # The blank first tab of a new spreadsheet ("Sheet1") goes; tabs with data stay.
    names_kept = {tab_key(n) for n in template_names}
    for key, info in sheets.items():
        if key not in names_kept and not trimmed(existing.get(key, [])):
            batch.deletes.append({"deleteSheet": {"sheetId": info.sheet_id}})
    timezone = _setting_text(contents, template, "timezone") or DEFAULT_TIMEZONE
    batch.writes.append({
        "updateSpreadsheetProperties": {
            "properties": {"locale": LOCALE, "timeZone": timezone, "autoRecalc": "HOUR"},
            "fields": "locale,timeZone,autoRecalc",
        }
    })
    return batch


def _plan_enquiries(batch: RequestBatch, template: Template, tab: Tab,
                    contents: Mapping[str, TabContent], position: int) -> None:
    """The Enquiries tab: headers with notes, widths, formats, dropdowns, protection, colours."""
    columns = tab.columns
    rows = template.rows
    info = batch.sheet(tab.name, rows=rows + 1, cols=max(len(columns), MIN_COLS),
                       hidden=tab.hidden, freeze_rows=tab.freeze_rows,
                       freeze_cols=tab.freeze_cols, index=position, exact=True)
    sid = info.sheet_id
    styles = template.styles
    header_cells = [
        {**cell_data(Cell(c.header, "header"), styles), **({"note": c.note} if c.note else {})}
        for c in columns
    ]
    batch.writes.append({
        "updateCells": {
            "start": {"sheetId": sid, "rowIndex": 0, "columnIndex": 0},
            "rows": [{"values": header_cells}],
            "fields": "userEnteredValue,userEnteredFormat,note",
        }
    })
    data = {"sheetId": sid, "startRowIndex": 1, "endRowIndex": rows + 1}
    for i, col in enumerate(columns):
        batch.writes.append(column_width(sid, i, col.width))
        fmt = cell_format(styles.get(col.style) if col.style else None)
        if fmt:
            batch.writes.append({
                "repeatCell": {
                    "range": {**data, "startColumnIndex": i, "endColumnIndex": i + 1},
                    "cell": {"userEnteredFormat": fmt},
                    "fields": "userEnteredFormat",
                }
            })
        rule = validation_rule(col, i)
        if rule is not None:
            batch.writes.append({
                "setDataValidation": {
                    "range": {**data, "startColumnIndex": i, "endColumnIndex": i + 1},
                    "rule": rule,
                }
            })
        if col.role == "computed":
            batch.writes.append({
                "addProtectedRange": {
                    "protectedRange": {
                        "range": {"sheetId": sid, "startColumnIndex": i,
                                  "endColumnIndex": i + 1},
                        "description": f"{col.header}: written by sheetcrm on every refresh",
                        "warningOnly": True,
                    }
                }
            })
    batch.writes.append({
        "addProtectedRange": {
            "protectedRange": {
                "range": {"sheetId": sid, "startRowIndex": 0, "endRowIndex": 1},
                "description": "Headers: sheetcrm finds each column by its name",
                "warningOnly": True,
            }
        }
    })
    letters = {c.key: column_letter(i + 1) for i, c in enumerate(columns)}
    sla_ref = _sla_reference(contents, template)
    for n, cf in enumerate(tab.conditional_formats):
        formula = template.cf_formula(cf, letters, 2, sla_ref)
        batch.writes.append({
            "addConditionalFormatRule": {
                "index": n,
                "rule": {
                    "ranges": [{**data, "startColumnIndex": 0, "endColumnIndex": len(columns)}],
                    "booleanRule": {
                        "condition": {"type": "CUSTOM_FORMULA",
                                      "values": [{"userEnteredValue": "=" + formula}]},
                        "format": cf_format(styles.get(cf.style)),
                    },
                },
            }
        })


#: The meta key holding the last Enquiries row that has the template's formats and dropdowns.
FORMATTED_KEY = "formatted_rows"
#: Grow the formatted rows when fewer than this many are left below the last row.
GROW_MARGIN = 500


def formatted_rows(meta: Grid, template: Template) -> int:
    """The last Enquiries row (1-based) with the template's formats (init formats 2 to rows+1)."""
    for line in meta:
        if line and isinstance(line[0], str) and line[0].strip() == FORMATTED_KEY:
            value = line[1] if len(line) > 1 else None
            if isinstance(value, int | float) and not isinstance(value, bool):
                return int(value)
            if isinstance(value, str) and value.strip().isdigit():
                return int(value.strip())
    return template.rows + 1


def rows_to_format(last_row: int, formatted: int, template: Template) -> int | None:
    """The new last formatted row when ``last_row`` comes near ``formatted``; None if not yet."""
    if last_row + GROW_MARGIN <= formatted:
        return None
    return last_row + template.rows


def grow_formats(batch: RequestBatch, template: Template, sheet_id: int, header: list[object],
                 first: int, last: int) -> None:
    """Formats, dropdowns and colour rules of Enquiries rows ``first`` to ``last`` (1-based).

    Columns are found by their headers as they are now; a column the owner
    renamed away gets nothing.  The rules' cell references start at ``first``.
    """
    positions = header_positions(header)  # type: ignore[arg-type]
    styles = template.styles
    data = {"sheetId": sheet_id, "startRowIndex": first - 1, "endRowIndex": last}
    letters: dict[str, str] = {}
    for col in template.enquiries.columns:
        i = positions.get(header_key(col.header))
        if i is None:
            continue
        letters[col.key] = column_letter(i + 1)
        fmt = cell_format(styles.get(col.style) if col.style else None)
        if fmt:
            batch.writes.append({"repeatCell": {
                "range": {**data, "startColumnIndex": i, "endColumnIndex": i + 1},
                "cell": {"userEnteredFormat": fmt}, "fields": "userEnteredFormat"}})
        rule = validation_rule(col, i, first)
        if rule is not None:
            batch.writes.append({"setDataValidation": {
                "range": {**data, "startColumnIndex": i, "endColumnIndex": i + 1},
                "rule": rule}})
    width = max(positions.values(), default=0) + 1
    tab = template.enquiries
    if not all(k in letters for cf in tab.conditional_formats
               for k in re.findall(r"\{(\w+)\}", cf.formula) if k != "sla_hours"):
        return  # a column a rule needs has gone: no rule rather than a wrong one
    address = setting_cell(template, "sla_hours",
                           tab=absolute_range_name(template.tab("settings").name))
    for n, cf in enumerate(tab.conditional_formats):
        formula = template.cf_formula(cf, letters, first, f'INDIRECT("{address}")')
        batch.writes.append({"addConditionalFormatRule": {"index": n, "rule": {
            "ranges": [{**data, "startColumnIndex": 0, "endColumnIndex": width}],
            "booleanRule": {
                "condition": {"type": "CUSTOM_FORMULA",
                              "values": [{"userEnteredValue": "=" + formula}]},
                "format": cf_format(styles.get(cf.style)),
            },
        }}})


def content_for(contents: Mapping[str, TabContent], name: str) -> TabContent | None:
    """The content given for the tab ``name`` (trimmed, ignoring case)."""
    if name in contents:
        return contents[name]
    return next((c for n, c in contents.items() if tab_key(n) == tab_key(name)), None)


def _setting_text(contents: Mapping[str, TabContent], template: Template, key: str
                  ) -> str | None:
    """A setting's text on the Settings tab about to be written, if it has one."""
    content = content_for(contents, template.tab("settings").name)
    row0 = setting_row(template, key) - 1
    if content is None or row0 >= len(content.rows) or len(content.rows[row0]) < 2:
        return None
    value = content.rows[row0][1].value
    return value.strip() if isinstance(value, str) and value.strip() else None


def _sla_reference(contents: Mapping[str, TabContent], template: Template) -> str:
    """The SLA hours cell for a conditional format, through INDIRECT.

    Sheets conditional formats cannot refer to another tab directly; INDIRECT
    with the address as text is the documented way round.
    """
    settings_tab = template.tab("settings")
    if content_for(contents, settings_tab.name) is None:
        # No Settings content: fall back to the template default so the rule still works.
        spec = next((s for s in settings_tab.settings if s.key == "sla_hours"), None)
        return str(spec.default if spec else 4)
    address = setting_cell(template, "sla_hours", tab=absolute_range_name(settings_tab.name))
    return f'INDIRECT("{address}")'
