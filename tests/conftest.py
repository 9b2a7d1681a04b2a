"""Shared fixtures: a tracker on every backend, and LibreOffice availability.

The helpers behind them live in the ``tests.helpers`` package.  Every test marked
``libreoffice`` is also marked ``slow``, and they all run on one xdist worker, so the
module-scoped LibreOffice conversions in test_libreoffice.py are made once, not per worker.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sheetcrm.backends.base import Backend
from tests.helpers.libreoffice import find_soffice
from tests.helpers.trackers import BACKENDS, make_backend


@pytest.hookimpl(tryfirst=True)  # before -m deselects and xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """LibreOffice tests are slow, and share one worker (``--dist loadgroup``)."""
    for item in items:
        if item.get_closest_marker("libreoffice") is not None:
            item.add_marker(pytest.mark.slow)
            item.add_marker(pytest.mark.xdist_group("libreoffice"))


@pytest.fixture(params=BACKENDS)
def new_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """An empty backend of each kind, for the behavioural suite."""
    return make_backend(request.param, tmp_path)


@pytest.fixture
def backend_factory(tmp_path: Path) -> Callable[[str], Backend]:
    """Build a backend by kind name."""
    return lambda kind: make_backend(kind, tmp_path)


@pytest.fixture(scope="session")
def libreoffice() -> Iterator[str]:
    """Path to headless LibreOffice; CI installs it, so a missing one fails there."""
    path = find_soffice()
    if path is None or shutil.which("pdftoppm") is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice or pdftoppm is missing: .ci/run should have installed them")
        pytest.skip("LibreOffice (soffice) and pdftoppm are needed: apt-get install "
                    "libreoffice-calc-nogui poppler-utils")
    yield path
