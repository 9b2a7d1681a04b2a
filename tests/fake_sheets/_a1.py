"""A1 notation as the Sheets API reads and writes it.

A range is held as a :class:`Span`: half-open, zero-based row and column
bounds, ``None`` for an unbounded side (``A:C`` has no row bounds).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ENDPOINT = re.compile(r"^\$?([A-Za-z]{0,3})\$?([0-9]*)$")
_PLAIN_TITLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CELL_LIKE = re.compile(r"^[A-Za-z]{1,3}[0-9]+$")
_R1C1_LIKE = re.compile(r"^[Rr][0-9]*[Cc][0-9]*$")


class A1Error(ValueError):
    """The text is not a range Google would parse."""


def col_letters(index: int) -> str:
    """Zero-based column index -> letters (0 -> A, 26 -> AA)."""
    index += 1
    out = ""
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def col_index(letters: str) -> int:
    """Letters -> zero-based column index (A -> 0)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def quote_title(title: str) -> str:
    """A sheet title as Google writes it in a returned range (quoted only when needed)."""
    if (
        _PLAIN_TITLE.match(title)
        and not _CELL_LIKE.match(title)
        and not _R1C1_LIKE.match(title)
        and title.upper() not in ("TRUE", "FALSE")
    ):
        return title
    return "'" + title.replace("'", "''") + "'"


@dataclass(frozen=True)
class Span:
    """Zero-based, half-open bounds; ``None`` means unbounded on that side."""

    row0: int | None
    row1: int | None
    col0: int | None
    col1: int | None

    def clamp(self, rows: int, cols: int) -> tuple[int, int, int, int]:
        """Concrete bounds inside a grid of ``rows`` x ``cols``."""
        return (
            0 if self.row0 is None else self.row0,
            rows if self.row1 is None else self.row1,
            0 if self.col0 is None else self.col0,
            cols if self.col1 is None else self.col1,
        )

    @property
    def is_single_cell(self) -> bool:
        """True for a one-cell range such as ``B2``."""
        return (
            self.row0 is not None
            and self.col0 is not None
            and self.row1 == self.row0 + 1
            and self.col1 == self.col0 + 1
        )


WHOLE = Span(None, None, None, None)


def split_sheet(text: str) -> tuple[str | None, str | None]:
    """Split ``'My tab'!A1:B2`` into (title, cells); either part may be None."""
    if text.startswith("'"):
        i = 1
        title = ""
        while True:
            j = text.find("'", i)
            if j < 0:
                raise A1Error(text)
            if text[j + 1 : j + 2] == "'":
                title += text[i:j] + "'"
                i = j + 2
                continue
            title += text[i:j]
            rest = text[j + 1 :]
            break
        if rest == "":
            return title, None
        if not rest.startswith("!"):
            raise A1Error(text)
        return title, rest[1:]
    if "!" in text:
        title, cells = text.rsplit("!", 1)
        return title, cells
    return None, text


def _endpoint(text: str) -> tuple[int | None, int | None]:
    m = _ENDPOINT.match(text)
    if not m or (not m.group(1) and not m.group(2)):
        raise A1Error(text)
    col = col_index(m.group(1)) if m.group(1) else None
    row = int(m.group(2)) - 1 if m.group(2) else None
    if row is not None and row < 0:
        raise A1Error(text)
    return row, col


def parse_cells(text: str) -> Span:
    """Parse the cell part of a range: ``A1``, ``A1:B2``, ``A:C``, ``1:3``, ``A2:Z``, ``A1:1``."""
    text = text.strip()
    if ":" not in text:
        row, col = _endpoint(text)
        if row is None or col is None:
            # Google rejects a bare column ("A") or row ("3") without a colon.
            raise A1Error(text)
        return Span(row, row + 1, col, col + 1)
    left, right = text.split(":", 1)
    r0, c0 = _endpoint(left)
    r1, c1 = _endpoint(right)
    # Only the end may be open in one dimension (A2:Z, A1:1); a start with no row
    # or column must match an end with none (A:C, 1:3).
    if (r0 is None) != (r1 is None) and r0 is None:
        raise A1Error(text)
    if (c0 is None) != (c1 is None) and c0 is None:
        raise A1Error(text)
    if r0 is not None and r1 is not None and r1 < r0:
        r0, r1 = r1, r0
    if c0 is not None and c1 is not None and c1 < c0:
        c0, c1 = c1, c0
    return Span(
        r0,
        None if r1 is None else r1 + 1,
        c0,
        None if c1 is None else c1 + 1,
    )


def looks_like_cells(text: str) -> bool:
    """True if ``text`` parses as the cell part of a range."""
    try:
        parse_cells(text)
    except A1Error:
        return False
    return True


def format_cells(row0: int, row1: int, col0: int, col1: int) -> str:
    """Concrete bounds -> ``A1:B2`` (or ``B2`` for one cell)."""
    start = f"{col_letters(col0)}{row0 + 1}"
    if row1 - row0 == 1 and col1 - col0 == 1:
        return start
    return f"{start}:{col_letters(col1 - 1)}{row1}"


def format_range(title: str, row0: int, row1: int, col0: int, col1: int) -> str:
    """Concrete bounds on a tab -> ``Sheet1!A1:B2`` as Google returns it."""
    return f"{quote_title(title)}!{format_cells(row0, row1, col0, col1)}"
