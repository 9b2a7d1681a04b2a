"""Drawing onto a workbook: named styles, values, links, notes, owned tabs and charts,
and the whole of a new tracker (:class:`Renderer`).

A drop-down whose list lives on another tab (Source) is written through a
defined name (``sheetcrm_source_list``): Excel stores a direct reference to
another tab in an extension that openpyxl cannot keep, so the dropdown would
vanish after the owner's next save in Excel.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import textwrap
import weakref
from collections.abc import Mapping
from typing import Any

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.marker import Marker
from openpyxl.comments import Comment
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.styles.numbers import BUILTIN_FORMATS_MAX_SIZE, BUILTIN_FORMATS_REVERSE
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from ...errors import SheetCRMError
from ...model import Cell, CellValue, Chart, Formula, TabContent
from ...planner import MAX_CELL_TEXT, MAX_NUMBER
from ...template import Column, PageSetup, Style, Template, column_letter
from .ranges import grow_ranges

# ---------------------------------------------------------------- writing cells


def _argb(colour: str) -> str:
    return "FF" + colour.lstrip("#").upper()


_GENERAL = BUILTIN_FORMATS_REVERSE["General"]


def _font(style: Style | None) -> Font:
    if style is None:
        return Font()
    return Font(bold=style.bold or None, italic=style.italic or None,
                underline="single" if style.underline else None, size=style.size,
                color=_argb(style.font_colour) if style.font_colour else None)


def _fill(style: Style | None) -> PatternFill:
    if style is None or not style.fill:
        return PatternFill()
    return PatternFill(fill_type="solid", fgColor=_argb(style.fill), bgColor=_argb(style.fill))


def _alignment(style: Style | None) -> Alignment:
    if style is None or not style.wrap:
        return Alignment()
    return Alignment(wrap_text=True, vertical="top")


#: Per workbook, the font, fill, alignment and number format ids of each named style.
_STYLE_IDS: weakref.WeakKeyDictionary[Any, dict[Style | None, tuple[int, int, int, int | None]]]
_STYLE_IDS = weakref.WeakKeyDictionary()


def _style_ids(wb: Any, style: Style | None) -> tuple[int, int, int, int | None]:
    """The ids ``style`` has in ``wb``'s style lists, added once per workbook.

    Building and hashing a Font, Fill and Alignment for every cell took a third
    of a refresh; the lists only grow, so an id stays right for the workbook's life.
    """
    known = _STYLE_IDS.setdefault(wb, {})
    ids = known.get(style)
    if ids is None:
        fmt: int | None = None
        if style is not None and style.number_format:
            fmt = BUILTIN_FORMATS_REVERSE.get(style.number_format)
            if fmt is None:
                fmt = wb._number_formats.add(style.number_format) + BUILTIN_FORMATS_MAX_SIZE
        ids = (wb._fonts.add(_font(style)), wb._fills.add(_fill(style)),
               wb._alignments.add(_alignment(style)), fmt)
        known[style] = ids
    return ids


def style_target(target: Any, style: Style | None, keep_date_format: bool = False) -> None:
    """Give a cell or a whole column exactly this style (or the default for ``None``)."""
    font, fill, alignment, fmt = _style_ids(target.parent.parent, style)
    if not target._style:
        target._style = StyleArray()
    array = target._style
    array.fontId = font
    array.fillId = fill
    array.alignmentId = alignment
    if fmt is not None:
        array.numFmtId = fmt
    elif not keep_date_format:
        array.numFmtId = _GENERAL


def _fits_excel(number: float) -> bool:
    """Finite and within Excel's largest number (openpyxl writes 16 digits, so 1.8e308 = inf)."""
    return math.isfinite(number) and abs(number) <= MAX_NUMBER


def clean_text(text: str) -> str:
    """Text Excel can hold: no control characters, at most 32,767 characters."""
    cleaned: str = ILLEGAL_CHARACTERS_RE.sub("", text)
    return cleaned[:MAX_CELL_TEXT]


def plain_value(value: CellValue, where: str) -> CellValue:
    """A value openpyxl writes as it is: naive date-times, finite numbers."""
    if isinstance(value, dt.datetime | dt.time) and value.tzinfo is not None:
        # The engine's date-times are in the tracker's zone: keep that wall time.
        return value.replace(tzinfo=None)
    if isinstance(value, float) and not _fits_excel(value):
        raise SheetCRMError(f"{where}: {value} is not a number a spreadsheet can hold")
    return value


def set_value(cell: Any, value: CellValue | Formula, where: str) -> None:
    """Write a value; a ``str`` always stays text, only a ``Formula`` becomes a formula."""
    if isinstance(value, Formula):
        text = value.text if value.text.startswith("=") else "=" + value.text
        cell.value = clean_text(text)
        return
    if isinstance(value, str):
        cell.value = clean_text(value)
        cell.data_type = "s"  # openpyxl turns "=..." into a formula and "#N/A" into an error
        return
    try:
        cell.value = plain_value(value, where)
    except ValueError as exc:
        raise SheetCRMError(f"{where}: {value!r} cannot be written to a spreadsheet") from exc


def note(text: str) -> Comment:
    """A header note signed by sheetcrm, sized to show a few lines."""
    comment = Comment(text, "sheetcrm")
    comment.width = 300
    comment.height = 110
    return comment


def _quote_sheet(name: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name):
        return name
    return "'" + name.replace("'", "''") + "'"


def _style(template: Template, name: str | None, where: str) -> Style | None:
    if name is None:
        return None
    try:
        return template.styles[name]
    except KeyError:
        raise SheetCRMError(f"{where}: the template has no style called {name!r}") from None


def write_cell(target: Any, cell: Cell, template: Template, where: str,
               fallback_style: str | None = None) -> None:
    """Write a ``Cell`` (value, named style, link) into an openpyxl cell, replacing its style."""
    style_name = cell.style or fallback_style or ("link" if cell.link else None)
    keep_date = isinstance(cell.value, dt.date | dt.time)
    # Style first: a date written into a cell without a date format makes openpyxl
    # register a default format, and the file would differ from the next refresh's.
    style_target(target, _style(template, style_name, where), keep_date_format=keep_date)
    set_value(target, cell.value, where)
    target.hyperlink = cell.link if cell.link else None  # a link with no text shows the URL


def write_tab(ws: Any, content: TabContent, template: Template, where: str) -> None:
    """Replace everything on an owned tab with ``content`` (pictures the owner added stay)."""
    for merged in list(ws.merged_cells.ranges):
        ws.unmerge_cells(str(merged))
    ws._cells.clear()  # no public call empties a sheet without walking every cell
    ws._charts.clear()
    ws.conditional_formatting = ConditionalFormattingList()
    ws.data_validations.dataValidation = []
    for key in list(ws.column_dimensions):
        del ws.column_dimensions[key]
    for key in list(ws.row_dimensions):
        del ws.row_dimensions[key]
    for r, row in enumerate(content.rows, start=1):
        for c, cell in enumerate(row, start=1):
            if cell.value is None and cell.style is None and cell.link is None:
                continue
            write_cell(ws.cell(row=r, column=c), cell, template,
                       f"{where}, cell {column_letter(c)}{r}")
    for col, width in content.widths.items():
        ws.column_dimensions[column_letter(col)].width = width
    ws.freeze_panes = f"A{content.freeze_rows + 1}" if content.freeze_rows else None
    for chart in content.charts:
        _add_chart(ws, chart)
    for fmt in content.columns:
        column_format(ws, fmt.col, fmt.first_row, fmt.last_row, fmt.spec, template, where)
    tab = template.tab_named(ws.title)
    page_setup(ws, tab.page if tab is not None else None)


def column_format(ws: Any, col: int, first_row: int, last_row: int, spec: Column,
                  template: Template, where: str) -> None:
    """A template column's number format and dropdown over rows the owner types later."""
    letter = column_letter(col)
    if spec.style:
        style_target(ws.column_dimensions[letter], _style(template, spec.style, where))
        # The header keeps its own look: a column style would reach it otherwise.
    if spec.validation is not None:
        ws.add_data_validation(Renderer(template, where).validation(
            ws.parent, spec, f"{letter}{first_row}:{letter}{last_row}"))


def page_setup(ws: Any, page: PageSetup | None) -> None:
    """The template's print set-up: A4, orientation, one page wide, rows on every page."""
    if page is None:
        return
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if page.landscape else "portrait"
    if page.fit_width:
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0  # as many pages tall as the rows need
    if page.title_rows:
        ws.print_title_rows = f"1:{page.title_rows}"


#: Points per printed line of wrapped 11-point text (Excel's and LibreOffice's default row).
LINE_HEIGHT = 15.0


def fit_wrapped_rows(ws: Any, rows: Any) -> None:
    """Tall enough rows for the wrapped text sheetcrm wrote on ``rows``.

    Neither Excel nor LibreOffice grows a row to fit wrapped text when it opens
    a file (they only do while someone types), so a long Note would print its
    second line over the next row. A row's height is set for the longest
    wrapped cell, its lines broken between words at about one character per unit
    of column width; a row whose text fits one line keeps the default height.
    """
    wanted = set(rows)
    cells: dict[int, list[Any]] = {}
    # One walk over the sheet's cells: ws[r] would walk them all again for every row.
    for (r, _), cell in ws._cells.items():
        if r in wanted:
            cells.setdefault(r, []).append(cell)
    for r in rows:
        height = wrapped_height(ws, cells.get(r, ()))
        if height is not None:
            ws.row_dimensions[r].height = height


def wrapped_height(ws: Any, cells: Any) -> float | None:
    """The height :func:`fit_wrapped_rows` gives a row of these cells, None for the default."""
    lines = 1
    for cell in cells:
        if not (isinstance(cell.value, str) and cell.alignment.wrap_text):
            continue
        width = ws.column_dimensions[cell.column_letter].width or 13
        per_line = max(1, int(width) - 1)
        lines = max(lines, sum(max(1, len(textwrap.wrap(part, per_line)))
                               for part in cell.value.split("\n")))
    return lines * LINE_HEIGHT if lines > 1 else None


def _add_chart(ws: Any, spec: Chart) -> None:
    """A native bar or line chart; a block with no data rows draws nothing."""
    if spec.last_row <= spec.first_row or spec.last_col <= spec.first_col:
        return
    chart: Any = BarChart() if spec.kind == "bar" else LineChart()
    if spec.kind == "bar":
        chart.type = "col"
    chart.title = spec.title
    data = Reference(ws, min_col=spec.first_col + 1, max_col=spec.last_col,
                     min_row=spec.first_row, max_row=spec.last_row)
    cats = Reference(ws, min_col=spec.first_col, max_col=spec.first_col,
                     min_row=spec.first_row + 1, max_row=spec.last_row)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(cats)
    if spec.y_axis_title:
        chart.y_axis.title = spec.y_axis_title
    if spec.percent:
        chart.y_axis.number_format = "0%"
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 1
    if spec.counts:
        # Whole numbers from 0: left alone, LibreOffice labels 1 enquiry 0, 0.2 ... 1.2.
        chart.y_axis.number_format = "0"
        chart.y_axis.scaling.min = 0
        chart.y_axis.majorUnit = _count_step(ws, spec)
    if spec.kind == "line":
        # Straight lines through marked points: a smoothed curve invents values between months.
        chart.smooth = False
        chart.marker = True
        for series in chart.series:
            series.smooth = False
            series.marker = Marker(symbol="circle", size=7)
    # openpyxl 3.1 leaves axes unset, which newer Excel reads as deleted (no labels).
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.width = 18
    chart.height = 8
    ws.add_chart(chart, f"{column_letter(spec.anchor_col)}{spec.anchor_row}")


def _count_step(ws: Any, spec: Chart) -> int:
    """A whole-number gap between the axis labels: 1, 2, 5, 10, 20... for at most 10 labels."""
    top = 0.0
    for row in ws.iter_rows(min_row=spec.first_row + 1, max_row=spec.last_row,
                            min_col=spec.first_col + 1, max_col=spec.last_col, values_only=True):
        top = max([top, *(v for v in row if isinstance(v, int | float))])
    step = 1
    while top / step > 10:
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2
    return step


# ---------------------------------------------------------------- rendering


class Renderer:
    """Builds a new workbook from the template and the owned tabs' contents."""

    def __init__(self, template: Template, label: str) -> None:
        self.template = template
        self.label = label

    def workbook(self, contents: Mapping[str, TabContent]) -> Any:
        """The whole new workbook, tabs in template order, then any other tab given."""
        wb = openpyxl.Workbook()
        wb.properties.creator = "sheetcrm"
        first = wb.active
        written: set[str] = set()
        for index, tab in enumerate(self.template.tabs):
            ws = first if index == 0 else wb.create_sheet()
            ws.title = tab.name
            if tab.kind == "enquiries":
                self.enquiries(wb, ws, contents)
                self.enquiry_rows(ws, contents.get(tab.name))
                given = contents.get(tab.name)
                if given is not None:
                    grow_ranges(ws, len(given.rows), self.template.rows)
            else:
                write_tab(ws, contents.get(tab.name, TabContent(rows=[])), self.template,
                          f"{self.label}, tab '{tab.name}'")
            if tab.hidden:
                ws.sheet_state = "hidden"
            written.add(tab.name)
        for name, content in contents.items():
            if name not in written:
                extra = wb.create_sheet(name)
                write_tab(extra, content, self.template, f"{self.label}, tab '{name}'")
                if content.hidden:
                    extra.sheet_state = "hidden"
        wb.active = next(i for i, ws in enumerate(wb.worksheets) if ws.sheet_state == "visible")
        return wb

    def enquiry_rows(self, ws: Any, content: TabContent | None) -> None:
        """Rows given for the Enquiries tab: extra headers on row 1, values below."""
        if content is None:
            return
        columns = self.template.enquiries.columns
        for r, row in enumerate(content.rows, start=1):
            for c, cell in enumerate(row, start=1):
                if cell.value is None or (r == 1 and c <= len(columns)):
                    continue
                spec = columns[c - 1] if c <= len(columns) and r > 1 else None
                write_cell(ws.cell(row=r, column=c), cell, self.template,
                            f"{self.label}, Enquiries!{column_letter(c)}{r}",
                            spec.style if spec else None)

    def sla_hours_ref(self, contents: Mapping[str, TabContent]) -> str:
        """``INDIRECT("Settings!$B$6")`` for the cell right of the SLA hours label."""
        settings_tab = self.template.tab("settings")
        label = next(s.label for s in settings_tab.settings if s.key == "sla_hours")
        content = contents.get(settings_tab.name)
        for r, row in enumerate(content.rows if content else [], start=1):
            for c, cell in enumerate(row, start=1):
                text = cell.value
                if isinstance(text, str) and text.strip().casefold() == label.casefold():
                    ref = f"{_quote_sheet(settings_tab.name)}!${column_letter(c + 1)}${r}"
                    return f'INDIRECT("{ref}")'
        raise SheetCRMError(
            f"The {settings_tab.name} tab for {self.label} has no '{label}' row, which the "
            "conditional formats need"
        )

    def enquiries(self, wb: Any, ws: Any, contents: Mapping[str, TabContent]) -> None:
        """Headers, notes, widths, column formats, dropdowns and conditional formats."""
        tab = self.template.enquiries
        rows = self.template.rows
        header_style = self.template.styles.get("header")
        letters = {col.key: column_letter(i) for i, col in enumerate(tab.columns, start=1)}
        for i, col in enumerate(tab.columns, start=1):
            letter = letters[col.key]
            cell = ws.cell(row=1, column=i)
            set_value(cell, col.header, f"{self.label}, Enquiries!{letter}1")
            style_target(cell, header_style)
            if col.note:
                cell.comment = note(col.note)
            dim = ws.column_dimensions[letter]
            # A column style reaches rows the owner types later, at no cost per row.
            style_target(dim, self.template.styles.get(col.style) if col.style else None)
            dim.width = col.width
            if col.validation is not None:
                ws.add_data_validation(self.validation(wb, col, f"{letter}2:{letter}{rows}"))
        ws.row_dimensions[1].height = 32
        if tab.freeze_rows or tab.freeze_cols:
            ws.freeze_panes = f"{column_letter(tab.freeze_cols + 1)}{tab.freeze_rows + 1}"
        page_setup(ws, tab.page)
        if tab.conditional_formats:
            sla_ref = self.sla_hours_ref(contents)
            last = column_letter(len(tab.columns))
            for rule in tab.conditional_formats:
                style = self.template.styles[rule.style]
                formula = self.template.cf_formula(rule, letters, row=2, sla_hours_ref=sla_ref)
                ws.conditional_formatting.add(
                    f"A2:{last}{rows}",
                    FormulaRule(formula=[formula], font=Font(
                        color=_argb(style.font_colour) if style.font_colour else None,
                        bold=style.bold or None), fill=_fill(style)),
                )

    def validation(self, wb: Any, col: Column, sqref: str) -> DataValidation:
        """The dropdown or number range of a column, warning rather than blocking."""
        v = col.validation
        assert v is not None
        if v.kind == "list":
            if v.source:
                formula = v.source
                if "!" in v.source:
                    name = f"sheetcrm_{col.key}_list"
                    wb.defined_names[name] = DefinedName(name, attr_text=v.source)
                    formula = name
            else:
                formula = '"' + ",".join(v.values) + '"'
            dv = DataValidation(type="list", formula1=formula, allow_blank=True)
            dv.error = (f"{col.header}: pick one from the list. sheetcrm still reads close "
                        "spellings, so you can keep this value if you mean it.")
        else:
            dv = DataValidation(type="whole", operator="between", allow_blank=True,
                                formula1=str(v.min if v.min is not None else -(10**9)),
                                formula2=str(v.max if v.max is not None else 10**9))
            dv.error = f"{col.header}: type a whole number from {v.min} to {v.max}."
        dv.errorStyle = "warning"  # a nudge, not a block: the owner knows best
        dv.errorTitle = "Check this value"
        dv.showErrorMessage = True
        dv.add(sqref)
        return dv


