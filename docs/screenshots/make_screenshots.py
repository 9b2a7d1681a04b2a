"""Make the screenshots in docs/screen.md from the demo tracker, as LibreOffice draws it.

    python docs/screenshots/make_screenshots.py

It builds the demo tracker at a fixed moment, prints the Enquiries, Today and
Summary tabs with headless LibreOffice (the same pipeline as
tests/test_libreoffice.py: PDF, then PNG with pdftoppm), crops each to what is
on the page and writes enquiries.png, today.png and summary.png beside this
file.  LibreOffice's clock is set to the same moment with faketime, so the red
and amber rows and the live counts match the demo's own "now" whatever the day
the pictures are made.

Needs soffice, pdftoppm and faketime:
apt-get install libreoffice-calc-nogui poppler-utils faketime
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))  # the checkout's sheetcrm and its LibreOffice harness

from sheetcrm.backends.excel import ExcelBackend  # noqa: E402
from sheetcrm.demo import DEMO_SETTINGS, build_demo  # noqa: E402
from tests.helpers import libreoffice as lo  # noqa: E402

#: The demo's moment: a Monday morning in Kampala (the same as docs/cli.md uses).
NOW = dt.datetime(2026, 11, 23, 11, 0, tzinfo=ZoneInfo(DEMO_SETTINGS.timezone))
#: Tab -> file written beside this script.
SHOTS = {"Enquiries": "enquiries.png", "Today": "today.png", "Summary": "summary.png"}
#: Sharp enough to read a landscape A4 page scaled to fit its width.
DPI = 130
MARGIN = 10
MAX_BYTES = 300_000


def crop(page: Path, dest: Path) -> tuple[int, int]:
    """Cut ``page`` to its printed content plus a margin; save it with a small palette."""
    box = lo.content_box(page)
    if box is None:
        raise SystemExit(f"{page} is blank: LibreOffice printed nothing for this tab")
    with Image.open(page) as image:
        left, top, right, bottom = box
        cut = image.convert("RGB").crop((max(0, left - MARGIN), max(0, top - MARGIN),
                                         min(image.width, right + MARGIN),
                                         min(image.height, bottom + MARGIN)))
    # 256 colours keep the fills exact and the text smooth at a third of the size.
    cut.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(dest, optimize=True)
    return cut.size


def main() -> None:
    """Build the demo, render the three tabs and write the PNGs."""
    with tempfile.TemporaryDirectory(prefix="sheetcrm-shots-") as tmp:
        work = Path(tmp)
        tracker = work / "demo-tracker.xlsx"
        build_demo(ExcelBackend(tracker), now=NOW)
        pages = lo.render(tracker, list(SHOTS), work / "render", dpi=DPI, gridlines=True,
                          headings=True, clock=NOW)
        for tab, name in SHOTS.items():
            if len(pages[tab]) > 1:
                print(f"note: the {tab} tab prints on {len(pages[tab])} pages; "
                      "the screenshot shows the first")
            dest = HERE / name
            width, height = crop(pages[tab][0], dest)
            size = dest.stat().st_size
            print(f"{dest.relative_to(ROOT)}: {width}x{height} px, {size // 1000} KB")
            if size > MAX_BYTES:
                raise SystemExit(f"{dest} is over {MAX_BYTES // 1000} KB: lower DPI")


if __name__ == "__main__":
    main()
