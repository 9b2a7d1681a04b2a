"""Request bodies, queries and field masks checked as Google checks them.

Google rejects a misspelt field or enum value with 400 "Invalid JSON payload
received" before doing anything.  A fake that ignored unknown fields would let
a typo such as ``userEnteredFromat`` pass silently, so every body is checked
against Google's own discovery document for Sheets v4 (``sheets.v4.json``,
shipped with google-api-python-client, a test-only dependency): every message,
chart specs included, every enum, every query parameter and every ``fields``
mask.  Only the names of enum types in messages are kept by hand (the
document does not name them).  Fields typed ``any`` are accepted unchecked.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import googleapiclient

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

# --------------------------------------------------------------------------- discovery

#: Google's own description of the Sheets v4 API, as google-api-python-client ships it.
DISCOVERY_PATH = (Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"
                  / "sheets.v4.json")
DISCOVERY: dict[str, Any] = json.loads(DISCOVERY_PATH.read_text(encoding="utf-8"))
_SCHEMAS: dict[str, Any] = DISCOVERY["schemas"]


def _enum_name(values: tuple[str, ...], where: str) -> str:
    """The enum's type name for messages: the hand-named one it matches, else ``where``."""
    for name, known in _ENUMS.items():
        if set(known) <= set(values):
            return name
    _ENUMS[where] = values
    return where


def _spec(prop: dict[str, Any], where: str) -> Any:
    """A discovery property as a spec: INT, NUM, STR, BOOL, ANY, [spec], enum or schema id."""
    if "$ref" in prop:
        return prop["$ref"]
    kind = prop.get("type")
    if kind == "array":
        return [_spec(prop.get("items", {"type": "any"}), where)]
    if kind == "string" and "enum" in prop:
        return _enum(_enum_name(tuple(prop["enum"]), where))
    if kind == "string":
        # int64 fields travel as strings; Google also takes a number for them.
        return ANY if prop.get("format") == "int64" else STR
    if kind == "integer":
        return INT
    if kind == "number":
        return NUM
    if kind == "boolean":
        return BOOL
    return ANY  # "any", or an object of free keys


def _messages() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, schema in _SCHEMAS.items():
        out[name] = {p: _spec(v, f"{name}.{p}")
                     for p, v in schema.get("properties", {}).items()}
    # Each entry of batchUpdate's requests is a Request; name its kinds as they are sent.
    for kind, prop in _SCHEMAS["Request"]["properties"].items():
        out[kind] = out[prop["$ref"]]
    return out


#: Message name (a schema id, or a batchUpdate request kind) -> field -> spec.
MESSAGES: dict[str, dict[str, Any]] = _messages()

#: The message each update request's ``fields`` mask is written against.
MASKED: dict[str, str] = {
    "updateCells": "CellData", "repeatCell": "CellData",
    "updateSheetProperties": "SheetProperties",
    "updateSpreadsheetProperties": "SpreadsheetProperties",
    "updateDimensionProperties": "DimensionProperties", "updateNamedRange": "NamedRange",
    "updateProtectedRange": "ProtectedRange", "updateBanding": "BandedRange",
    "updateFilterView": "FilterView", "updateSlicerSpec": "SlicerSpec",
    "updateEmbeddedObjectPosition": "EmbeddedObjectPosition",
    "updateEmbeddedObjectBorder": "EmbeddedObjectBorder",
    "updateDeveloperMetadata": "DeveloperMetadata", "updateDimensionGroup": "DimensionGroup",
    "updateDataSource": "DataSource", "updateTable": "Table",
}


def check_mask(message: str, mask: Any, where: str) -> str | None:
    """The first name in a parsed ``fields`` mask that ``message`` has no field for, else None.

    ``where`` prefixes the name in the answer (``sheets.propertes``).
    """
    fields = MESSAGES.get(message)
    if fields is None:
        return None
    for name, sub in mask.items():
        if name == "*":
            continue
        spec = fields.get(name)
        if spec is None:
            return f"{where}{name}"
        while isinstance(spec, list):
            spec = spec[0]
        if sub:
            if not isinstance(spec, str) or spec not in MESSAGES:
                return f"{where}{name}.{next(iter(sub))}"
            bad = check_mask(spec, sub, f"{where}{name}.")
            if bad is not None:
                return bad
    return None


def check_query(method: str, query: list[tuple[str, str]]) -> None:
    """Check a query string against the discovery document's parameters for ``method``.

    ``method`` is the fake's kind ("spreadsheets.get", "values.batchGet"...).
    An unknown parameter or a bad enum value is a 400, as at Google.
    """
    node: Any = DISCOVERY
    parts = method.split(".")
    if parts[0] == "values":
        parts = ["spreadsheets", *parts]
    try:
        for part in parts[:-1]:
            node = node["resources"][part]
        params = {**DISCOVERY["parameters"], **node["methods"][parts[-1]]["parameters"]}
    except KeyError:
        return
    for name, value in query:
        spec = params.get(name)
        if spec is None:
            raise ApiError(400, f'Invalid JSON payload received. Unknown name "{name}": '
                                "Cannot bind query parameter. Field '"
                                f"{name}' could not be found in request message.",
                           "INVALID_ARGUMENT")
        if "enum" in spec and value not in spec["enum"]:
            raise ApiError(400, f"Invalid value at '{snake(name)}' "
                                f'(type.googleapis.com/google.apps.sheets.v4.{name}), "{value}"',
                           "INVALID_ARGUMENT")
        if spec.get("type") == "boolean" and value.lower() not in ("true", "false", "1", "0"):
            raise ApiError(400, f"Invalid value at '{snake(name)}' (TYPE_BOOL), \"{value}\"",
                           "INVALID_ARGUMENT")


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
