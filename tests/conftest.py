"""Shared fixtures: a tracker on every backend, and LibreOffice availability."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sheetcrm.backends.base import Backend
from sheetcrm.backends.memory import MemoryBackend

BACKENDS = ["memory", "excel", "google"]


def make_backend(kind: str, tmp_path: Path) -> Backend:
    """A fresh, not yet initialised backend of the given kind."""
    if kind == "memory":
        return MemoryBackend()
    if kind == "excel":
        from sheetcrm.backends.excel import ExcelBackend

        return ExcelBackend(tmp_path / "tracker.xlsx")
    if kind == "google":
        from sheetcrm.backends.google import GoogleBackend
        from tests.fake_sheets import FakeSheets

        fake = FakeSheets()
        key = fake.create_spreadsheet("Tracker")
        backend = GoogleBackend(fake.url(key), client=fake.client(),
                                account_email=fake.service_account_email)
        backend.fake = fake  # type: ignore[attr-defined]  # for tests that inspect requests
        return backend
    raise ValueError(kind)


@pytest.fixture(params=BACKENDS)
def new_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """An empty backend of each kind, for the behavioural suite."""
    return make_backend(request.param, tmp_path)


@pytest.fixture
def backend_factory(tmp_path: Path) -> Callable[[str], Backend]:
    """Build a backend by kind name."""
    return lambda kind: make_backend(kind, tmp_path)


def soffice() -> str | None:
    """The LibreOffice binary, if installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="session")
def libreoffice() -> Iterator[str]:
    """Path to headless LibreOffice; CI installs it, so a missing one fails there."""
    path = soffice()
    if path is None or shutil.which("pdftoppm") is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice or pdftoppm is missing: .ci/run should have installed them")
        pytest.skip("LibreOffice (soffice) and pdftoppm are needed: apt-get install "
                    "libreoffice-calc-nogui poppler-utils")
    yield path
