"""Helpers shared by the tests (not tests themselves).

* :mod:`tests.helpers.clock`: a fake clock, a retry policy that never waits, Kampala moments.
* :mod:`tests.helpers.trackers`: trackers on each backend, and hand-built tab contents.
* :mod:`tests.helpers.cli`: running the CLI and checking its one-line errors.
* :mod:`tests.helpers.google`: Google backends on the fake Sheets API, and fake credentials.
* :mod:`tests.helpers.xlsx`: an .xlsx file's cells read straight from its sheet XML.
* :mod:`tests.helpers.libreoffice`: headless LibreOffice (also used by docs/screenshots).

Fixtures that many test files share are in ``tests/conftest.py``.
"""
