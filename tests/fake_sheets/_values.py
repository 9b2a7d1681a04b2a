"""Cell values: how typed input is stored and how stored values are rendered.

Google keeps a cell's ``userEnteredValue`` (one of stringValue, numberValue,
boolValue, formulaValue) and its ``userEnteredFormat.numberFormat``; what the
values API returns is derived from those.  This module does the same, for the
subset of Google's behaviour documented in ``docs/fake-sheets.md``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import struct
from collections.abc import Mapping
from typing import Any

EPOCH = dt.datetime(1899, 12, 30)

#: Locales whose typed dates are read day first (everything else is month first).
_DAY_FIRST_PREFIXES = ("en_GB", "en_AU", "en_NZ", "en_IE", "en_IN", "en_ZA", "en_KE",
                       "en_UG", "en_TZ", "en_RW", "fr", "de", "es", "it", "pt", "nl",
                       "sw", "rw")

DATE_TYPES = ("DATE", "TIME", "DATE_TIME")

#: Error literals as typed or shown -> ErrorValue.type.
ERRORS = {
    "#NULL!": "NULL_VALUE",
    "#DIV/0!": "DIVIDE_BY_ZERO",
    "#VALUE!": "VALUE",
    "#REF!": "REF",
    "#NAME?": "NAME",
    "#NUM!": "NUM",
    "#N/A": "N_A",
    "#ERROR!": "ERROR",
}
ERROR_TEXT = {v: k for k, v in ERRORS.items()}


def day_first(locale: str) -> bool:
    """True if ``locale`` reads 02/01/2020 as 2 January."""
    if locale.startswith("en_US") or locale in ("en", "en_CA_US"):
        return False
    return locale.startswith(_DAY_FIRST_PREFIXES)


# ------------------------------------------------------------------ numbers in JSON


def json_number(x: float) -> int | float:
    """A double as Google's JSON writes it: integral values without a fraction."""
    if math.isfinite(x) and x == int(x) and abs(x) < 2**53:
        return int(x)
    return x


def float32(x: float) -> float:
    """The shortest decimal that survives a round trip through float32 (how colours come back)."""
    packed = struct.pack("<f", x)
    target = float(struct.unpack("<f", packed)[0])
    for digits in range(1, 10):
        candidate = float(f"{target:.{digits}g}")
        if struct.pack("<f", candidate) == packed:
            return candidate
    return target


# ------------------------------------------------------------------ input

_NUMBER = re.compile(
    r"^(?P<sign>[+-]?)(?P<int>\d{1,3}(?:,\d{3})+|\d*)(?P<frac>\.\d*)?(?P<exp>[eE][+-]?\d+)?"
    r"(?P<pct>%?)$"
)
_ISO_DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](.+))?$")
_SLASH_DATE = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{2}|\d{4})(?:\s+(.+))?$")
_SHORT_DATE = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})$")
_MONTH_NAMES = {
    name[:3].lower(): i + 1
    for i, name in enumerate(["January", "February", "March", "April", "May", "June", "July",
                              "August", "September", "October", "November", "December"])
}
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[ -]([A-Za-z]{3,9})\.?[ -](\d{4})(?:\s+(.+))?$")
_MONTH_DAY_YEAR = re.compile(r"^([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{4})(?:\s+(.+))?$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*([AaPp][Mm])?$")


def _parse_time(text: str) -> tuple[float, bool, bool] | None:
    """'09:40' -> (fraction of a day, has seconds, twelve-hour)."""
    m = _TIME.match(text.strip())
    if not m:
        return None
    h, mi = int(m.group(1)), int(m.group(2))
    s = int(m.group(3) or 0)
    frac = float("0." + m.group(4)) if m.group(4) else 0.0
    ampm = m.group(5)
    if ampm:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if ampm.lower() == "pm" else 0)
    if h > 23 or mi > 59 or s > 59:
        return None
    return (h * 3600 + mi * 60 + s + frac) / 86400, m.group(3) is not None, bool(ampm)


def _serial(y: int, mo: int, d: int) -> float | None:
    try:
        day = dt.date(y, mo, d)
    except ValueError:
        return None
    return float((day - EPOCH.date()).days)


def _parse_date(text: str, locale: str) -> tuple[float, dict[str, str]] | None:
    """Typed date or date-time -> (serial, numberFormat), or None if it is not one."""
    m = _ISO_DATE.match(text)
    if m:
        serial = _serial(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if serial is None:
            return None
        if m.group(4) is None:
            return serial, {"type": "DATE", "pattern": "yyyy-mm-dd"}
        t = _parse_time(m.group(4))
        if t is None:
            return None
        pattern = "yyyy-mm-dd " + ("h:mm:ss am/pm" if t[2] else "h:mm:ss" if t[1] else "h:mm")
        return serial + t[0], {"type": "DATE_TIME", "pattern": pattern}
    m = _SLASH_DATE.match(text)
    if m:
        a, sep, b, y = int(m.group(1)), m.group(2), int(m.group(3)), m.group(4)
        year = int(y) if len(y) == 4 else (2000 + int(y) if int(y) < 30 else 1900 + int(y))
        d, mo = (a, b) if day_first(locale) else (b, a)
        serial = _serial(year, mo, d)
        if serial is None:
            return None
        yfmt = "yyyy" if len(y) == 4 else "yy"
        date_pattern = (
            f"d{sep}m{sep}{yfmt}" if day_first(locale) else f"m{sep}d{sep}{yfmt}"
        )
        if m.group(5) is None:
            return serial, {"type": "DATE", "pattern": date_pattern}
        t = _parse_time(m.group(5))
        if t is None:
            return None
        tp = "h:mm:ss am/pm" if t[2] else "h:mm:ss" if t[1] else "h:mm"
        return serial + t[0], {"type": "DATE_TIME", "pattern": f"{date_pattern} {tp}"}
    m = _SHORT_DATE.match(text)
    if m and m.group(2) != ".":
        # No year: Google takes the current one, as the Sheets UI does.
        a, b = int(m.group(1)), int(m.group(3))
        d, mo = (a, b) if day_first(locale) else (b, a)
        serial = _serial(dt.date.today().year, mo, d)
        if serial is None:
            return None
        sep = m.group(2)
        return serial, {"type": "DATE", "pattern": f"d{sep}m" if day_first(locale)
                        else f"m{sep}d"}
    named = _DAY_MONTH_YEAR.match(text)
    order = "dmy"
    if named is None:
        named = _MONTH_DAY_YEAR.match(text)
        order = "mdy"
    if named is not None:
        first, second, year_text, rest = named.groups()
        day_text, month_text = (first, second) if order == "dmy" else (second, first)
        month = _MONTH_NAMES.get(month_text[:3].lower())
        full = month_text.lower() in (n.lower() for n in _MONTHS)
        if month is None or (len(month_text) > 3 and not full):
            return None
        serial = _serial(int(year_text), month, int(day_text))
        if serial is None:
            return None
        mon = "mmmm" if len(month_text) > 3 else "mmm"
        pattern = f"d {mon} yyyy" if order == "dmy" else f"{mon} d, yyyy"
        if rest is None:
            return serial, {"type": "DATE", "pattern": pattern}
        t = _parse_time(rest)
        if t is None:
            return None
        tp = "h:mm:ss am/pm" if t[2] else "h:mm:ss" if t[1] else "h:mm"
        return serial + t[0], {"type": "DATE_TIME", "pattern": f"{pattern} {tp}"}
    t = _parse_time(text)
    if t is not None:
        tp = "h:mm:ss am/pm" if t[2] else "h:mm:ss" if t[1] else "h:mm"
        return t[0], {"type": "TIME", "pattern": tp}
    return None


def parse_user_entered(
    text: str, locale: str, *, as_text: bool = False
) -> tuple[dict[str, Any] | None, dict[str, str] | None]:
    """A string typed into a cell -> (userEnteredValue or None to clear, detected numberFormat).

    ``as_text`` is set when the cell is formatted as plain text (``@``): then,
    as in the Sheets UI, nothing is converted.
    """
    if text == "":
        return None, None
    if as_text:
        return {"stringValue": text}, None
    if text.startswith("'"):
        return {"stringValue": text[1:]}, None
    if text.startswith("=") and len(text) > 1:
        return {"formulaValue": text}, None
    stripped = text.strip()
    if stripped.upper() in ERRORS:
        # Typing #N/A or #REF! makes an error cell, as in the Sheets UI.
        return {"errorValue": {"type": ERRORS[stripped.upper()]}}, None
    if stripped.upper() in ("TRUE", "FALSE"):
        return {"boolValue": stripped.upper() == "TRUE"}, None
    m = _NUMBER.match(stripped)
    if m and (m.group("int") or (m.group("frac") or "") not in ("", ".")):
        digits = m.group("int").replace(",", "") or "0"
        number = float(m.group("sign") + digits + (m.group("frac") or "") + (m.group("exp") or ""))
        decimals = len((m.group("frac") or ".")[1:])
        fmt: dict[str, str] | None = None
        if m.group("pct"):
            number /= 100
            places = "." + "0" * decimals if decimals else ""
            fmt = {"type": "PERCENT", "pattern": f"0{places}%"}
        elif "," in m.group("int"):
            places = "." + "0" * decimals if decimals else ""
            fmt = {"type": "NUMBER", "pattern": f"#,##0{places}"}
        elif m.group("exp"):
            fmt = {"type": "SCIENTIFIC", "pattern": "0.00E+00"}
        return {"numberValue": number}, fmt
    date = _parse_date(stripped, locale)
    if date is not None:
        return {"numberValue": date[0]}, date[1]
    return {"stringValue": text}, None


def raw_value(value: Any) -> dict[str, Any] | None:
    """A JSON value sent with valueInputOption=RAW -> userEnteredValue (None clears)."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):
        return {"numberValue": float(value)}
    if value == "":
        return None
    return {"stringValue": str(value)}


# ------------------------------------------------------------------ formulas

_TOKEN = re.compile(
    r'\s*(?:(?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)|"(?P<str>(?:[^"]|"")*)"'
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_.]*)|(?P<op>\S))"
)


class _Unsupported(Exception):
    pass


class DivisionByZero(Exception):
    """A formula divided by zero (Google shows #DIV/0!)."""


def evaluate_formula(formula: str) -> float | str | None:
    """Evaluate what the fake can: arithmetic and ``&`` on literals, and HYPERLINK(url, label).

    Anything else (functions, cell references) gives None: the fake does not
    pretend to compute it.
    """
    tokens: list[tuple[str, Any]] = []
    text = formula[1:]
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            if text[pos:].strip() == "":
                break
            return None
        pos = m.end()
        if m.group("num") is not None:
            tokens.append(("num", float(m.group("num"))))
        elif m.group("str") is not None:
            tokens.append(("str", m.group("str").replace('""', '"')))
        elif m.group("name") is not None:
            tokens.append(("name", m.group("name").upper()))
        elif m.group("op") is not None:
            if m.group("op") not in "+-*/^(),&":
                return None
            tokens.append(("op", m.group("op")))
    i = 0

    def peek() -> tuple[str, Any] | None:
        return tokens[i] if i < len(tokens) else None

    def is_op(symbols: str) -> bool:
        tok = peek()
        return tok is not None and tok[0] == "op" and tok[1] in symbols

    def take() -> tuple[str, Any]:
        nonlocal i
        tok = tokens[i]
        i += 1
        return tok

    def number(v: float | str) -> float:
        if isinstance(v, str):
            raise _Unsupported
        return v

    def concat() -> float | str:
        value = add()
        while is_op("&"):
            take()
            rhs = add()
            value = _text(value) + _text(rhs)
        return value

    def add() -> float | str:
        value = mul()
        while is_op("+-"):
            op = take()[1]
            rhs = number(mul())
            value = number(value) + rhs if op == "+" else number(value) - rhs
        return value

    def mul() -> float | str:
        value = power()
        while is_op("*/"):
            op = take()[1]
            rhs = number(power())
            if op == "/" and rhs == 0:
                raise DivisionByZero
            value = number(value) * rhs if op == "*" else number(value) / rhs
        return value

    def power() -> float | str:
        value = unary()
        while is_op("^"):
            take()
            value = number(value) ** number(unary())
        return value

    def unary() -> float | str:
        if is_op("+-"):
            op = take()[1]
            v = number(unary())
            return -v if op == "-" else v
        tok = peek()
        if tok is None:
            raise _Unsupported
        if tok == ("op", "("):
            take()
            inner = concat()
            if not is_op(")"):
                raise _Unsupported
            take()
            return inner
        if tok[0] in ("num", "str"):
            take()
            return tok[1]  # type: ignore[no-any-return]
        if tok == ("name", "HYPERLINK"):
            take()
            args = call_args()
            if not 1 <= len(args) <= 2:
                raise _Unsupported
            return args[-1]
        raise _Unsupported

    def call_args() -> list[float | str]:
        if not is_op("("):
            raise _Unsupported
        take()
        args = [concat()]
        while is_op(","):
            take()
            args.append(concat())
        if not is_op(")"):
            raise _Unsupported
        take()
        return args

    try:
        if not tokens:
            return None
        result = concat()
        if i != len(tokens):
            return None
        return result
    except (_Unsupported, IndexError, OverflowError):
        return None


def _text(value: float | str) -> str:
    return value if isinstance(value, str) else general_number(value)


# ------------------------------------------------------------------ effective values

NOT_EVALUATED = {"errorValue": {"type": "N_A", "message": "Formula not evaluated by the fake."}}


def effective_value(uev: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """userEnteredValue -> effectiveValue (formulas evaluated as far as the fake can)."""
    if uev is None:
        return None
    if "formulaValue" in uev:
        try:
            result = evaluate_formula(uev["formulaValue"])
        except DivisionByZero:
            return {"errorValue": {"type": "DIVIDE_BY_ZERO",
                                   "message": "Function DIVIDE parameter 2 cannot be zero."}}
        if result is None:
            return dict(NOT_EVALUATED)
        if isinstance(result, str):
            return {"stringValue": result}
        return {"numberValue": result}
    return dict(uev)


# ------------------------------------------------------------------ rendering


def general_number(x: float) -> str:
    """A number in Google's automatic format: up to 10 significant digits."""
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    text = f"{x:.10g}"
    if "e" in text:
        mantissa, exp = text.split("e")
        sign = "-" if exp.startswith("-") else "+"
        return f"{mantissa}E{sign}{int(exp.lstrip('+-'))}"
    return text


def _date_parts(serial: float) -> dt.datetime:
    # Round to the millisecond first so 0.1-day fractions do not print as 02:23:59.
    ms = round(serial * 86400 * 1000)
    return EPOCH + dt.timedelta(milliseconds=ms)


_DATE_TOKEN = re.compile(
    r'"[^"]*"|\\.|am/pm|AM/PM|a/p|A/P|[dD]+|[mM]+|[yY]+|[hH]+|[sS]+(?:\.0+)?|\[[^\]]*\]|.',
)

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def format_date(serial: float, pattern: str) -> str:
    """Render a serial with a date/time pattern (d, m, y, h, s, am/pm tokens)."""
    when = _date_parts(serial)
    tokens = _DATE_TOKEN.findall(pattern)
    kinds: list[str] = []
    for tok in tokens:
        low = tok.lower()
        if low[:1] in ("d", "y", "h", "s") and low.strip("dyhs.0") == "":
            kinds.append(low[0])
        elif low[:1] == "m" and set(low) == {"m"}:
            kinds.append("m")
        else:
            kinds.append("")
    twelve = any(t.lower() in ("am/pm", "a/p") for t in tokens)
    out: list[str] = []
    for i, tok in enumerate(tokens):
        kind = kinds[i]
        low = tok.lower()
        if kind == "m":
            before = next((k for k in reversed(kinds[:i]) if k), "")
            after = next((k for k in kinds[i + 1 :] if k), "")
            if (before == "h" or after == "s") and len(low) <= 2:
                out.append(f"{when.minute:0{len(low)}d}")
            elif len(low) <= 2:
                out.append(f"{when.month:0{len(low)}d}")
            elif len(low) == 3:
                out.append(_MONTHS[when.month - 1][:3])
            elif len(low) == 5:
                out.append(_MONTHS[when.month - 1][0])
            else:
                out.append(_MONTHS[when.month - 1])
        elif kind == "d":
            if len(low) <= 2:
                out.append(f"{when.day:0{len(low)}d}")
            elif len(low) == 3:
                out.append(_DAYS[when.weekday()][:3])
            else:
                out.append(_DAYS[when.weekday()])
        elif kind == "y":
            out.append(f"{when.year % 100:02d}" if len(low) <= 2 else f"{when.year:04d}")
        elif kind == "h":
            hour = when.hour
            if twelve:
                hour = hour % 12 or 12
            out.append(f"{hour:0{len(low)}d}")
        elif kind == "s":
            width = len(low.split(".")[0])
            out.append(f"{when.second:0{width}d}")
            if "." in low:
                places = len(low.split(".")[1])
                frac = when.microsecond / 1e6
                out.append("." + f"{frac:.{places}f}"[2:])
        elif low in ("am/pm",):
            out.append("AM" if when.hour < 12 else "PM")
        elif low == "a/p":
            out.append("A" if when.hour < 12 else "P")
        elif tok.startswith('"'):
            out.append(tok[1:-1])
        elif tok.startswith("\\"):
            out.append(tok[1:])
        elif tok.startswith("["):
            continue
        else:
            out.append(tok)
    return "".join(out)


_LITERAL = re.compile(r'"([^"]*)"|\[\$([^\]-]*)[^\]]*\]|\\(.)')


def format_number(x: float, pattern: str) -> str:
    """Render a number with a simple numeric pattern: 0, 0.00, #,##0, 0%, literals, [$UGX]."""
    section = pattern.split(";")[0]
    if len(pattern.split(";")) > 1 and x < 0:
        section = pattern.split(";")[1]
        x = -x
    if section.strip() in ("", "General", "@"):
        return general_number(x)
    literal_parts: list[str] = []

    def keep(m: re.Match[str]) -> str:
        literal_parts.append(m.group(1) or m.group(2) or m.group(3) or "")
        return f"\x00{len(literal_parts) - 1}\x00"

    body = _LITERAL.sub(keep, section)
    percent = "%" in body
    if percent:
        x *= 100
    num = re.search(r"[#0,]*\.?[0#]*", body)
    core = ""
    for m in re.finditer(r"[#0][#0,]*(?:\.[0#]*)?|\.[0#]+", body):
        core = m.group(0)
        break
    del num
    if not core:
        return general_number(x)
    int_part, _, frac_part = core.partition(".")
    decimals = len(frac_part)
    grouping = "," in int_part
    min_int = int_part.replace(",", "").count("0")
    rounded = round(abs(x), decimals)
    text = f"{rounded:,.{decimals}f}" if grouping else f"{rounded:.{decimals}f}"
    whole, dot, frac = text.partition(".")
    digits_only = whole.replace(",", "")
    if len(digits_only) < min_int:
        digits_only = digits_only.zfill(min_int)
        whole = f"{int(digits_only):,}".zfill(min_int) if grouping else digits_only
    elif min_int == 0 and digits_only == "0":
        whole = ""
    text = whole + (dot + frac if decimals else "")
    if x < 0 and rounded != 0:
        text = "-" + text
    result = body.replace(core, text, 1)
    for i, lit in enumerate(literal_parts):
        result = result.replace(f"\x00{i}\x00", lit)
    return result


def default_pattern(fmt_type: str, locale: str) -> str:
    """The pattern Google uses for a numberFormat type given without one."""
    dfirst = day_first(locale)
    return {
        "DATE": "dd/mm/yyyy" if dfirst else "m/d/yyyy",
        "TIME": "hh:mm:ss" if dfirst else "h:mm:ss am/pm",
        "DATE_TIME": "dd/mm/yyyy hh:mm:ss" if dfirst else "m/d/yyyy h:mm:ss",
        "NUMBER": "#,##0.00",
        "PERCENT": "0.00%",
        "CURRENCY": "#,##0.00",
        "SCIENTIFIC": "0.00E+00",
    }.get(fmt_type, "")


def formatted_value(
    ev: Mapping[str, Any] | None, number_format: Mapping[str, Any] | None, locale: str
) -> str:
    """effectiveValue + numberFormat -> the text Google shows in the cell."""
    if ev is None:
        return ""
    if "stringValue" in ev:
        return str(ev["stringValue"])
    if "boolValue" in ev:
        return "TRUE" if ev["boolValue"] else "FALSE"
    if "errorValue" in ev:
        return ERROR_TEXT.get(str(ev["errorValue"].get("type")), "#ERROR!")
    x = float(ev["numberValue"])
    if not number_format:
        return general_number(x)
    ftype = str(number_format.get("type", ""))
    pattern = str(number_format.get("pattern") or default_pattern(ftype, locale))
    if ftype in DATE_TYPES:
        return format_date(x, pattern)
    if ftype == "TEXT":
        return general_number(x)
    if ftype == "SCIENTIFIC":
        return f"{x:.2E}".replace("E+0", "E+").replace("E-0", "E-")
    return format_number(x, pattern)


def render(
    ev: Mapping[str, Any] | None,
    uev: Mapping[str, Any] | None,
    number_format: Mapping[str, Any] | None,
    locale: str,
    value_render: str,
    datetime_render: str,
) -> Any:
    """One cell as the values API returns it under the given render options."""
    if ev is None and uev is None:
        return ""
    if value_render == "FORMATTED_VALUE":
        return formatted_value(ev, number_format, locale)
    if value_render == "FORMULA" and uev is not None and "formulaValue" in uev:
        return uev["formulaValue"]
    if ev is None:
        return ""
    if "numberValue" in ev:
        ftype = (number_format or {}).get("type")
        if datetime_render == "FORMATTED_STRING" and ftype in DATE_TYPES:
            return formatted_value(ev, number_format, locale)
        return json_number(float(ev["numberValue"]))
    if "errorValue" in ev:
        return ERROR_TEXT.get(str(ev["errorValue"].get("type")), "#ERROR!")
    if "boolValue" in ev:
        return bool(ev["boolValue"])
    return ev.get("stringValue", "")
