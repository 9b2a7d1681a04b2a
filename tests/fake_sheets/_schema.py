"""Request bodies checked as Google's JSON parser checks them.

Google rejects a misspelt field or enum value with 400 "Invalid JSON payload
received" before doing anything.  A fake that ignored unknown fields would let
a typo such as ``userEnteredFromat`` pass silently, so the fake checks the
messages it implements.  Fields marked ``ANY`` are accepted without checking.
"""

from __future__ import annotations

import re
from typing import Any

from ._state import ApiError

ANY = "any"

_ENUMS: dict[str, tuple[str, ...]] = {
    "Dimension": ("DIMENSION_UNSPECIFIED", "ROWS", "COLUMNS"),
    "NumberFormatType": ("NUMBER_FORMAT_TYPE_UNSPECIFIED", "TEXT", "NUMBER", "PERCENT",
                         "CURRENCY", "DATE", "TIME", "DATE_TIME", "SCIENTIFIC"),
    "HorizontalAlign": ("HORIZONTAL_ALIGN_UNSPECIFIED", "LEFT", "CENTER", "RIGHT"),
    "VerticalAlign": ("VERTICAL_ALIGN_UNSPECIFIED", "TOP", "MIDDLE", "BOTTOM"),
    "WrapStrategy": ("WRAP_STRATEGY_UNSPECIFIED", "OVERFLOW_CELL", "LEGACY_WRAP", "CLIP", "WRAP"),
    "TextDirection": ("TEXT_DIRECTION_UNSPECIFIED", "LEFT_TO_RIGHT", "RIGHT_TO_LEFT"),
    "HyperlinkDisplayType": ("HYPERLINK_DISPLAY_TYPE_UNSPECIFIED", "LINKED", "PLAIN_TEXT"),
    "Style": ("STYLE_UNSPECIFIED", "DOTTED", "DASHED", "SOLID", "SOLID_MEDIUM", "SOLID_THICK",
              "NONE", "DOUBLE"),
    "ThemeColorType": ("THEME_COLOR_TYPE_UNSPECIFIED", "TEXT", "BACKGROUND", "ACCENT1",
                       "ACCENT2", "ACCENT3", "ACCENT4", "ACCENT5", "ACCENT6", "LINK"),
    "ConditionType": (
        "CONDITION_TYPE_UNSPECIFIED", "NUMBER_GREATER", "NUMBER_GREATER_THAN_EQ", "NUMBER_LESS",
        "NUMBER_LESS_THAN_EQ", "NUMBER_EQ", "NUMBER_NOT_EQ", "NUMBER_BETWEEN",
        "NUMBER_NOT_BETWEEN", "TEXT_CONTAINS", "TEXT_NOT_CONTAINS", "TEXT_STARTS_WITH",
        "TEXT_ENDS_WITH", "TEXT_EQ", "TEXT_IS_EMAIL", "TEXT_IS_URL", "DATE_EQ", "DATE_BEFORE",
        "DATE_AFTER", "DATE_ON_OR_BEFORE", "DATE_ON_OR_AFTER", "DATE_BETWEEN",
        "DATE_NOT_BETWEEN", "DATE_IS_VALID", "ONE_OF_RANGE", "ONE_OF_LIST", "BLANK",
        "NOT_BLANK", "CUSTOM_FORMULA", "BOOLEAN", "TEXT_NOT_EQ", "DATE_NOT_EQ", "FILTER_EXPRESSION",
    ),
    "RelativeDate": ("RELATIVE_DATE_UNSPECIFIED", "PAST_YEAR", "PAST_MONTH", "PAST_WEEK",
                     "YESTERDAY", "TODAY", "TOMORROW"),
    "SheetType": ("SHEET_TYPE_UNSPECIFIED", "GRID", "OBJECT", "DATA_SOURCE"),
    "RecalculationInterval": ("RECALCULATION_INTERVAL_UNSPECIFIED", "ON_CHANGE", "MINUTE",
                              "HOUR"),
    "MergeType": ("MERGE_ALL", "MERGE_COLUMNS", "MERGE_ROWS"),
    "SortOrder": ("SORT_ORDER_UNSPECIFIED", "ASCENDING", "DESCENDING"),
    "PasteType": ("PASTE_NORMAL", "PASTE_VALUES", "PASTE_FORMAT", "PASTE_NO_BORDERS",
                  "PASTE_FORMULA", "PASTE_DATA_VALIDATION", "PASTE_CONDITIONAL_FORMATTING"),
    "PasteOrientation": ("NORMAL", "TRANSPOSE"),
    "ValueInputOption": ("INPUT_VALUE_OPTION_UNSPECIFIED", "RAW", "USER_ENTERED"),
    "ValueRenderOption": ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"),
    "DateTimeRenderOption": ("SERIAL_NUMBER", "FORMATTED_STRING"),
}


def _enum(name: str) -> tuple[str, str]:
    return ("enum", name)


INT = "int"
NUM = "num"
STR = "str"
BOOL = "bool"

MESSAGES: dict[str, dict[str, Any]] = {
    "Color": {"red": NUM, "green": NUM, "blue": NUM, "alpha": NUM},
    "ColorStyle": {"rgbColor": "Color", "themeColor": _enum("ThemeColorType")},
    "GridRange": {"sheetId": INT, "startRowIndex": INT, "endRowIndex": INT,
                  "startColumnIndex": INT, "endColumnIndex": INT},
    "DimensionRange": {"sheetId": INT, "dimension": _enum("Dimension"), "startIndex": INT,
                       "endIndex": INT},
    "GridCoordinate": {"sheetId": INT, "rowIndex": INT, "columnIndex": INT},
    "NumberFormat": {"type": _enum("NumberFormatType"), "pattern": STR},
    "Padding": {"top": INT, "right": INT, "bottom": INT, "left": INT},
    "Link": {"uri": STR},
    "TextFormat": {"foregroundColor": "Color", "foregroundColorStyle": "ColorStyle",
                   "fontFamily": STR, "fontSize": INT, "bold": BOOL, "italic": BOOL,
                   "strikethrough": BOOL, "underline": BOOL, "link": "Link"},
    "Border": {"style": _enum("Style"), "width": INT, "color": "Color", "colorStyle": "ColorStyle"},
    "Borders": {"top": "Border", "bottom": "Border", "left": "Border", "right": "Border"},
    "TextRotation": {"angle": INT, "vertical": BOOL},
    "CellFormat": {
        "numberFormat": "NumberFormat", "backgroundColor": "Color",
        "backgroundColorStyle": "ColorStyle", "borders": "Borders", "padding": "Padding",
        "horizontalAlignment": _enum("HorizontalAlign"),
        "verticalAlignment": _enum("VerticalAlign"), "wrapStrategy": _enum("WrapStrategy"),
        "textDirection": _enum("TextDirection"), "textFormat": "TextFormat",
        "hyperlinkDisplayType": _enum("HyperlinkDisplayType"), "textRotation": "TextRotation",
    },
    "ExtendedValue": {"numberValue": NUM, "stringValue": STR, "boolValue": BOOL,
                      "formulaValue": STR, "errorValue": ANY},
    "ConditionValue": {"relativeDate": _enum("RelativeDate"), "userEnteredValue": STR},
    "BooleanCondition": {"type": _enum("ConditionType"), "values": ["ConditionValue"]},
    "DataValidationRule": {"condition": "BooleanCondition", "inputMessage": STR,
                           "strict": BOOL, "showCustomUi": BOOL},
    "TextFormatRun": {"startIndex": INT, "format": "TextFormat"},
    "CellData": {
        "userEnteredValue": "ExtendedValue", "effectiveValue": "ExtendedValue",
        "formattedValue": STR, "userEnteredFormat": "CellFormat", "effectiveFormat": "CellFormat",
        "hyperlink": STR, "note": STR, "textFormatRuns": ["TextFormatRun"],
        "dataValidation": "DataValidationRule", "pivotTable": ANY, "dataSourceTable": ANY,
        "dataSourceFormula": ANY, "chipRuns": ANY,
    },
    "RowData": {"values": ["CellData"]},
    "GridProperties": {"rowCount": INT, "columnCount": INT, "frozenRowCount": INT,
                       "frozenColumnCount": INT, "hideGridlines": BOOL,
                       "rowGroupControlAfter": BOOL, "columnGroupControlAfter": BOOL},
    "SheetProperties": {
        "sheetId": INT, "title": STR, "index": INT, "sheetType": _enum("SheetType"),
        "gridProperties": "GridProperties", "hidden": BOOL, "tabColor": "Color",
        "tabColorStyle": "ColorStyle", "rightToLeft": BOOL, "dataSourceSheetProperties": ANY,
    },
    "SpreadsheetProperties": {
        "title": STR, "locale": STR, "autoRecalc": _enum("RecalculationInterval"),
        "timeZone": STR, "defaultFormat": "CellFormat", "iterativeCalculationSettings": ANY,
        "spreadsheetTheme": ANY, "importFunctionsExternalUrlAccessAllowed": BOOL,
    },
    "DimensionProperties": {"hiddenByFilter": BOOL, "hiddenByUser": BOOL, "pixelSize": INT,
                            "developerMetadata": ANY, "dataSourceColumnReference": ANY},
    "BooleanRule": {"condition": "BooleanCondition", "format": "CellFormat"},
    "ConditionalFormatRule": {"ranges": ["GridRange"], "booleanRule": "BooleanRule",
                              "gradientRule": ANY},
    "Editors": {"users": [STR], "groups": [STR], "domainUsersCanEdit": BOOL},
    "ProtectedRange": {
        "protectedRangeId": INT, "range": "GridRange", "namedRangeId": STR, "description": STR,
        "warningOnly": BOOL, "requestingUserCanEdit": BOOL, "unprotectedRanges": ["GridRange"],
        "editors": "Editors", "tableId": STR,
    },
    "NamedRange": {"namedRangeId": STR, "name": STR, "range": "GridRange"},
    "EmbeddedChart": {"chartId": INT, "spec": ANY, "position": ANY, "border": ANY},
    "SortSpec": {"dimensionIndex": INT, "sortOrder": _enum("SortOrder"),
                 "foregroundColor": "Color", "backgroundColor": "Color",
                 "foregroundColorStyle": "ColorStyle", "backgroundColorStyle": "ColorStyle",
                 "dataSourceColumnReference": ANY},
    "BasicFilter": {"range": "GridRange", "sortSpecs": ["SortSpec"], "criteria": ANY,
                    "filterSpecs": ANY, "tableId": STR},
    # Requests
    "addSheet": {"properties": "SheetProperties"},
    "deleteSheet": {"sheetId": INT},
    "duplicateSheet": {"sourceSheetId": INT, "insertSheetIndex": INT, "newSheetId": INT,
                       "newSheetName": STR},
    "updateSheetProperties": {"properties": "SheetProperties", "fields": STR},
    "updateSpreadsheetProperties": {"properties": "SpreadsheetProperties", "fields": STR},
    "updateCells": {"rows": ["RowData"], "fields": STR, "start": "GridCoordinate",
                    "range": "GridRange"},
    "repeatCell": {"range": "GridRange", "cell": "CellData", "fields": STR},
    "updateBorders": {"range": "GridRange", "top": "Border", "bottom": "Border",
                      "left": "Border", "right": "Border", "innerHorizontal": "Border",
                      "innerVertical": "Border"},
    "setDataValidation": {"range": "GridRange", "rule": "DataValidationRule",
                          "filteredRowsIncluded": BOOL},
    "insertDimension": {"range": "DimensionRange", "inheritFromBefore": BOOL},
    "appendDimension": {"sheetId": INT, "dimension": _enum("Dimension"), "length": INT},
    "deleteDimension": {"range": "DimensionRange"},
    "updateDimensionProperties": {"range": "DimensionRange", "properties": "DimensionProperties",
                                  "fields": STR, "dataSourceSheetRange": ANY},
    "autoResizeDimensions": {"dimensions": "DimensionRange", "dataSourceSheetDimensions": ANY},
    "addDimensionGroup": {"range": "DimensionRange"},
    "deleteDimensionGroup": {"range": "DimensionRange"},
    "addConditionalFormatRule": {"rule": "ConditionalFormatRule", "index": INT},
    "deleteConditionalFormatRule": {"sheetId": INT, "index": INT},
    "updateConditionalFormatRule": {"index": INT, "sheetId": INT, "newIndex": INT,
                                    "rule": "ConditionalFormatRule"},
    "addProtectedRange": {"protectedRange": "ProtectedRange"},
    "deleteProtectedRange": {"protectedRangeId": INT},
    "addChart": {"chart": "EmbeddedChart"},
    "deleteEmbeddedObject": {"objectId": INT},
    "addNamedRange": {"namedRange": "NamedRange"},
    "deleteNamedRange": {"namedRangeId": STR},
    "updateNamedRange": {"namedRange": "NamedRange", "fields": STR},
    "mergeCells": {"range": "GridRange", "mergeType": _enum("MergeType")},
    "unmergeCells": {"range": "GridRange"},
    "sortRange": {"range": "GridRange", "sortSpecs": ["SortSpec"]},
    "setBasicFilter": {"filter": "BasicFilter"},
    "clearBasicFilter": {"sheetId": INT, "tableId": STR},
    "copyPaste": {"source": "GridRange", "destination": "GridRange",
                  "pasteType": _enum("PasteType"), "pasteOrientation": _enum("PasteOrientation")},
    "cutPaste": {"source": "GridRange", "destination": "GridCoordinate",
                 "pasteType": _enum("PasteType")},
    # Bodies of the values methods and of batchUpdate itself.
    "ValueRange": {"range": STR, "majorDimension": _enum("Dimension"), "values": ANY},
    "BatchUpdateValuesRequest": {
        "valueInputOption": _enum("ValueInputOption"), "data": ["ValueRange"],
        "includeValuesInResponse": BOOL, "responseValueRenderOption": _enum("ValueRenderOption"),
        "responseDateTimeRenderOption": _enum("DateTimeRenderOption"),
    },
    "BatchClearValuesRequest": {"ranges": [STR]},
    "BatchUpdateSpreadsheetRequest": {"requests": ANY, "includeSpreadsheetInResponse": BOOL,
                                      "responseRanges": [STR], "responseIncludeGridData": BOOL},
}


def snake(name: str) -> str:
    """camelCase -> snake_case, as Google names fields in error paths."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _violation(field: str, message: str) -> ApiError:
    return ApiError(400, message, "INVALID_ARGUMENT", details=[{
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        "fieldViolations": [{"field": field, "description": message}],
    }])


def _unknown(name: str, path: str) -> ApiError:
    where = f" at '{path}'" if path else ""
    return _violation(path, f'Invalid JSON payload received. Unknown name "{name}"{where}: '
                            "Cannot find field.")


def _bad_value(path: str, kind: str, value: Any) -> ApiError:
    shown = f'"{value}"' if isinstance(value, str) else str(value).lower() \
        if isinstance(value, bool) else str(value)
    return _violation(path, f"Invalid value at '{path}' ({kind}), {shown}")


def check(message: str, value: Any, path: str) -> None:
    """Raise ApiError if ``value`` is not a valid ``message`` (unknown field, bad enum or type)."""
    if value is None:
        return
    fields = MESSAGES[message]
    if not isinstance(value, dict):
        raise _bad_value(path, f"type.googleapis.com/google.apps.sheets.v4.{message}", value)
    for name, sub in value.items():
        if name not in fields:
            raise _unknown(name, path)
        child = f"{path}.{snake(name)}" if path else snake(name)
        _check_field(fields[name], sub, child)


def _check_field(spec: Any, value: Any, path: str) -> None:
    if value is None or spec == ANY:
        return
    if isinstance(spec, list):
        if not isinstance(value, list):
            raise _bad_value(path, "type.googleapis.com/google.protobuf.ListValue", value)
        for i, item in enumerate(value):
            _check_field(spec[0], item, f"{path}[{i}]")
        return
    if isinstance(spec, tuple):
        allowed = _ENUMS[spec[1]]
        if not isinstance(value, str) or value not in allowed:
            raise _bad_value(path, f"type.googleapis.com/google.apps.sheets.v4.{spec[1]}", value)
        return
    if spec == INT:
        ok = (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, str) and re.fullmatch(r"-?\d+", value) is not None
        ) or (isinstance(value, float) and value == int(value))
        if not ok:
            raise _bad_value(path, "TYPE_INT32", value)
        return
    if spec == NUM:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _bad_value(path, "TYPE_DOUBLE", value)
        return
    if spec == STR:
        if not isinstance(value, str):
            raise _bad_value(path, "TYPE_STRING", value)
        return
    if spec == BOOL:
        if not isinstance(value, bool):
            raise _bad_value(path, "TYPE_BOOL", value)
        return
    check(spec, value, path)


def check_batch_request(index: int, request: dict[str, Any]) -> None:
    """Check one entry of batchUpdate's ``requests`` whose kind the fake implements."""
    for kind, body in request.items():
        if kind in MESSAGES:
            check(kind, body, f"requests[{index}].{snake(kind)}")
