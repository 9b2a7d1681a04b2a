"""Exporters: the tracker's results as text for people or data for other programs.

One module per format, each with ``refresh(label, evaluation) -> str``,
``report(label, months, figures=None) -> str``, ``fleet(action, outcomes) -> str``
(the closing table of ``refresh --all``) and ``trackers(outcomes) -> str``
(``list``).  A new format is a new module and one line in :data:`EXPORTERS`.
(The offline Excel copy of a Google tracker is a tracker in its own right:
see :mod:`sheetcrm.sync`.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol

from ..errors import InputError
from ..outcomes import TrackerOutcome
from ..results import Evaluation
from ..summary import MonthFigures
from . import json, text


@dataclass(frozen=True)
class Exporter:
    """The functions one format provides."""

    #: ``refresh(label, evaluation, details)``; details say how the backend wrote, or None.
    refresh: Callable[[str, Evaluation, Mapping[str, str] | None], str]
    report: ReportFunction
    #: ``refresh --all`` / ``report --all``: (action, outcomes) -> the closing table.
    fleet: Callable[[str, Sequence[TrackerOutcome]], str]
    #: ``list``: the configured trackers and when each was last refreshed.
    trackers: Callable[[Sequence[TrackerOutcome]], str]


class ReportFunction(Protocol):
    """``report(label, months, figures=None)``: tracker-wide figures (sales cycle, win back)."""

    def __call__(self, label: str, months: Sequence[MonthFigures],
                 figures: Mapping[str, Any] | None = None, /) -> str:
        """The report as text."""
        ...


def _exporter(module: ModuleType) -> Exporter:
    return Exporter(refresh=module.refresh, report=module.report, fleet=module.fleet,
                    trackers=module.trackers)


#: Format name -> its exporter.
EXPORTERS: dict[str, Exporter] = {"text": _exporter(text), "json": _exporter(json)}


def get(name: str) -> Exporter:
    """The exporter for a format name."""
    try:
        return EXPORTERS[name]
    except KeyError:
        raise InputError(f"There is no {name!r} format: use one of "
                         + ", ".join(EXPORTERS)) from None
