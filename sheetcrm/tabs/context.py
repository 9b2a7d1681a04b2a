"""What an owned tab is built from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..model import Settings
from ..results import Evaluation
from ..template import Template


@dataclass(frozen=True)
class TabContext:
    """Everything a tab module may use to build its content."""

    template: Template
    settings: Settings
    #: The refresh's results; None while ``init`` makes the tracker.
    evaluation: Evaluation | None = None
    #: Template column key -> its column letter on this tracker's Enquiries tab.
    letters: Mapping[str, str] = field(default_factory=dict)
    #: The row of the last enquiry (0 before the first refresh).
    last_row: int = 0
