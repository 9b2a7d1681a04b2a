"""Exporters: the tracker's results as text for people or data for other programs.

One module per format, each with ``refresh(label, evaluation) -> str`` and
``report(label, months) -> str``.  A new format is a new module and one line
in :data:`EXPORTERS`.  (The offline Excel copy of a Google tracker is a
tracker in its own right: see :mod:`sheetcrm.sync`.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType

from ..errors import InputError
from ..results import Evaluation
from ..summary import MonthFigures
from . import json, text


@dataclass(frozen=True)
class Exporter:
    """The functions one format provides."""

    #: ``refresh(label, evaluation, details)``; details say how the backend wrote, or None.
    refresh: Callable[[str, Evaluation, Mapping[str, str] | None], str]
    report: Callable[[str, Sequence[MonthFigures]], str]


def _exporter(module: ModuleType) -> Exporter:
    return Exporter(refresh=module.refresh, report=module.report)


#: Format name -> its exporter.
EXPORTERS: dict[str, Exporter] = {"text": _exporter(text), "json": _exporter(json)}


def get(name: str) -> Exporter:
    """The exporter for a format name."""
    try:
        return EXPORTERS[name]
    except KeyError:
        raise InputError(f"There is no {name!r} format: use one of "
                         + ", ".join(EXPORTERS)) from None
