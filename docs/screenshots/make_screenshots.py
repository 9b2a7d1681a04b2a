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
#: The Summary's printed pages after the first: the charts below its tables.
CHARTS = "summary-charts.png"
#: Sharp enough to read a landscape A4 page scaled to fit its width.
DPI = 130
MARGIN = 10
MAX_BYTES = 300_000


def _cut(page: Path) -> Image.Image:
    """``page`` cut to its printed content plus a margin."""
    box = lo.content_box(page)
    if box is None:
        raise SystemExit(f"{page} is blank: LibreOffice printed nothing for this tab")
    with Image.open(page) as image:
        left, top, right, bottom = box
        return image.convert("RGB").crop((max(0, left - MARGIN), max(0, top - MARGIN),
                                          min(image.width, right + MARGIN),
                                          min(image.height, bottom + MARGIN)))


def crop(pages: list[Path], dest: Path) -> tuple[int, int]:
    """Cut ``pages`` to their content, one under another; save with a small palette."""
    cuts = [_cut(page) for page in pages]
    cut = Image.new("RGB", (max(c.width for c in cuts), sum(c.height for c in cuts)), "white")
    y = 0
    for part in cuts:
        cut.paste(part, (0, y))
        y += part.height
    # 256 colours keep the fills exact and the text smooth at a third of the size.
    cut.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(dest, optimize=True)
    return cut.size


def main() -> None:
    """Build the demo, render the three tabs and write the PNGs."""
    with tempfile.TemporaryDirectory(prefix="sheetcrm-shots-") as tmp:
        work = Path(tmp)
        tracker = work / "demo-tracker.xlsx"
        build_demo(ExcelBackend(tracker), now=NOW)
        # Each tab's own print set-up (landscape, one page wide, headers repeated).
        pages = lo.render(tracker, list(SHOTS), work / "render", dpi=DPI, gridlines=True,
                          headings=True, clock=NOW, own_page_setup=True)
        shots = [(name, pages[tab][:1]) for tab, name in SHOTS.items()]
        # The Summary's charts are below its tables, on the pages after the first.
        shots.append((CHARTS, pages["Summary"][1:]))
        for name, chosen in shots:
            dest = HERE / name
            width, height = crop(chosen, dest)
            size = dest.stat().st_size
            print(f"{dest.relative_to(ROOT)}: {width}x{height} px, {size // 1000} KB")
            if size > MAX_BYTES:
                raise SystemExit(f"{dest} is over {MAX_BYTES // 1000} KB: lower DPI")


if __name__ == "__main__":
    main()
