"""Drive headless LibreOffice for the tests and the docs screenshots (helpers, not tests).

Every call runs ``soffice`` with a fresh, throwaway user profile, so runs never
collide with each other or with a LibreOffice the developer has open, and
nothing depends on ~/.config.  The profile is seeded so that LibreOffice
recalculates every formula on load and uses British English number formats.
``TZ`` is set to the tracker's time zone, so NOW() and TODAY() read the clock
the way the owner's computer in Kampala would; ``clock`` (with faketime) starts
that clock at a chosen moment instead, for pictures that must not change.

Failures raise :class:`AssertionError` carrying soffice's own output, because
these helpers only run under pytest or the screenshot script.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import signal
import subprocess
import tempfile
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
from PIL import Image, ImageChops

#: Seconds any one soffice or pdftoppm call may take before it is killed.
TIMEOUT = 120.0
#: The tracker's default time zone; NOW() in LibreOffice follows TZ.
DEFAULT_TZ = "Africa/Kampala"
#: CSV of every tab (LibreOffice 7.2+): comma, double quote, UTF-8, first line 1,
#: en-GB, text not forced to be quoted, detect special numbers, values *as shown*
#: (so dates read dd/mm/yyyy hh:mm as the owner sees them), no formulas, keep
#: spaces, and -1 = one file per tab, named <stem>-<Tab>.csv.
CSV_EVERY_TAB = "csv:Text - txt - csv (StarCalc):44,34,76,1,,2057,false,true,true,false,false,-1"

# 0 = always recalculate on load (LibreOffice's default, 1, never does for .xlsx
# files that carry cached values; openpyxl writes none, but a LibreOffice copy does).
_PROFILE_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" \
oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" \
oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" \
oor:op="fuse"><value>en-GB</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" \
oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""


def find_soffice() -> str | None:
    """The LibreOffice binary on PATH, if installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def soffice_path() -> str:
    """The LibreOffice binary on PATH, or an AssertionError saying how to install it."""
    found = find_soffice()
    if found is None:
        raise AssertionError("soffice is not installed: apt-get install libreoffice-calc-nogui")
    return found


def _run(cmd: Sequence[str], *, timeout: float, env: dict[str, str] | None = None,
         what: str) -> subprocess.CompletedProcess[str]:
    """Run a command in its own process group, killing the whole group on timeout."""
    # soffice starts soffice.bin as a child: killing only the parent would leave it running.
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=env, start_new_session=True) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            raise AssertionError(
                f"{what} took longer than {timeout:g} s and was stopped.\n"
                f"command: {' '.join(cmd)}\nstdout: {out}\nstderr: {err}"
            ) from None
    result = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    if result.returncode != 0:
        raise AssertionError(
            f"{what} failed with exit code {result.returncode}.\n"
            f"command: {' '.join(cmd)}\nstdout: {out}\nstderr: {err}"
        )
    return result


def _faketime(clock: dt.datetime, tz: str) -> list[str]:
    """The command prefix that starts LibreOffice's clock at ``clock`` (libfaketime)."""
    binary = shutil.which("faketime")
    if binary is None:
        raise AssertionError("faketime is not installed: apt-get install faketime")
    local = clock.astimezone(ZoneInfo(tz)) if clock.tzinfo else clock
    # "@" starts the clock there and lets it run, so LibreOffice's timers still work.
    return [binary, "-f", local.strftime("@%Y-%m-%d %H:%M:%S")]


def run_soffice(args: Sequence[str], *, soffice: str | None = None, timeout: float = TIMEOUT,
                tz: str = DEFAULT_TZ,
                clock: dt.datetime | None = None) -> subprocess.CompletedProcess[str]:
    """Run headless soffice with ``args`` in a fresh private profile that is removed after.

    ``clock`` (needs faketime) makes NOW() start at that moment instead of the
    real time, for pictures that must not change with the day they are made.
    """
    binary = soffice or soffice_path()
    prefix = _faketime(clock, tz) if clock is not None else []
    with tempfile.TemporaryDirectory(prefix="sheetcrm-lo-profile-") as profile:
        user = Path(profile) / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(_PROFILE_SETTINGS, encoding="utf-8")
        env = {**os.environ, "TZ": tz, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8",
               "HOME": profile}
        cmd = [*prefix, binary, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless",
               "--invisible", "--nologo", "--nodefault", "--nolockcheck", "--norestore",
               *args]
        return _run(cmd, timeout=timeout, env=env, what="LibreOffice")


def convert(sources: Path | Sequence[Path], fmt: str, outdir: Path, *,
            soffice: str | None = None, tz: str = DEFAULT_TZ,
            clock: dt.datetime | None = None) -> list[Path]:
    """Convert workbooks in one LibreOffice start: ``fmt`` is pdf, xlsx, csv or a filter string.

    ``csv`` writes every tab, one file each (``<stem>-<Tab>.csv``).  Returns
    the files written, sorted.  ``outdir`` must not hold the sources (an xlsx
    copy would overwrite its original).
    """
    files = [sources] if isinstance(sources, Path) else list(sources)
    if not files:
        raise AssertionError("convert() needs at least one file")
    outdir.mkdir(parents=True, exist_ok=True)
    for src in files:
        if not src.is_file():
            raise AssertionError(f"{src} does not exist")
        if src.resolve().parent == outdir.resolve():
            raise AssertionError(f"convert the copy into another folder than {src.parent}")
    target = {"csv": CSV_EVERY_TAB, "pdf": "pdf", "xlsx": "xlsx:Calc MS Excel 2007 XML"}.get(
        fmt, fmt)
    suffix = target.split(":", 1)[0]
    before = set(outdir.iterdir())
    result = run_soffice(["--convert-to", target, "--outdir", str(outdir),
                          *(str(f) for f in files)], soffice=soffice, tz=tz, clock=clock)
    written = sorted(set(outdir.iterdir()) - before)
    for src in files:
        expected = (outdir / f"{src.stem}.{suffix}",)
        if suffix == "csv" and target == CSV_EVERY_TAB:
            ok = any(p.name.startswith(f"{src.stem}-") and p.suffix == ".csv" for p in written)
        else:
            ok = expected[0].is_file()
        if not ok:
            raise AssertionError(
                f"LibreOffice wrote no {suffix} for {src.name}.\n"
                f"stdout: {result.stdout}\nstderr: {result.stderr}"
            )
    return written


def export_tabs(xlsx: Path, outdir: Path, *, soffice: str | None = None,
                tz: str = DEFAULT_TZ) -> dict[str, list[list[str]]]:
    """Every tab of ``xlsx`` as LibreOffice shows it: tab name -> rows of text."""
    written = convert(xlsx, "csv", outdir, soffice=soffice, tz=tz)
    prefix = f"{xlsx.stem}-"
    tabs: dict[str, list[list[str]]] = {}
    for path in written:
        if path.suffix == ".csv" and path.name.startswith(prefix):
            with path.open(newline="", encoding="utf-8-sig") as handle:
                tabs[path.stem[len(prefix):]] = list(csv.reader(handle))
    return tabs


def roundtrip(xlsx: Path, outdir: Path, *, soffice: str | None = None,
              tz: str = DEFAULT_TZ) -> Path:
    """The workbook opened, recalculated and saved as .xlsx by LibreOffice."""
    convert(xlsx, "xlsx", outdir, soffice=soffice, tz=tz)
    return outdir / f"{xlsx.stem}.xlsx"


def load_values(xlsx: Path) -> Any:
    """An openpyxl workbook of the values a spreadsheet application last computed."""
    return openpyxl.load_workbook(xlsx, data_only=True)


def zip_names(path: Path) -> list[str]:
    """The parts inside an .xlsx file."""
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


# ------------------------------------------------------------------ rendering


def print_copy(xlsx: Path, dest: Path, sheet: str, *, landscape: bool = True,
               fit_width: bool = True, gridlines: bool = False,
               headings: bool = False, own_page_setup: bool = False) -> Path:
    """A copy of ``xlsx`` that prints only ``sheet``, set up for the page; the original stays.

    ``own_page_setup`` keeps the tab's own print set-up (orientation, fit to width, rows
    repeated on every page) instead of ``landscape`` and ``fit_width``.
    """
    with warnings.catch_warnings():
        # A rendering copy only: openpyxl's notes on what it does not read do not matter here.
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(xlsx)
    if sheet not in wb.sheetnames:
        raise AssertionError(f"{xlsx.name} has no tab {sheet!r}: it has {wb.sheetnames}")
    for ws in wb.worksheets:
        ws.sheet_state = "visible" if ws.title == sheet else "hidden"
    ws = wb[sheet]
    wb.active = wb.sheetnames.index(sheet)
    ws.sheet_view.tabSelected = True
    for other in wb.worksheets:
        if other is not ws:
            other.sheet_view.tabSelected = False
    if not own_page_setup:
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = "landscape" if landscape else "portrait"
    if fit_width and not own_page_setup:
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
    ws.print_options.gridLines = gridlines
    ws.print_options.headings = headings  # column letters and row numbers, as on screen
    dest.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dest)
    return dest


def pdf_to_pngs(pdf: Path, outdir: Path, *, dpi: int = 60) -> list[Path]:
    """One PNG per page of ``pdf`` (pdftoppm), in page order."""
    binary = shutil.which("pdftoppm")
    if binary is None:
        raise AssertionError("pdftoppm is not installed: apt-get install poppler-utils")
    outdir.mkdir(parents=True, exist_ok=True)
    root = outdir / pdf.stem
    _run([binary, "-r", str(dpi), "-png", str(pdf), str(root)], timeout=TIMEOUT,
         what="pdftoppm")
    pages = sorted(outdir.glob(f"{pdf.stem}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    if not pages:
        raise AssertionError(f"pdftoppm wrote no pages for {pdf}")
    return pages


def render(xlsx: Path, sheets: Iterable[str], workdir: Path, *, dpi: int = 60,
           landscape: bool = True, fit_width: bool = True, gridlines: bool = False,
           headings: bool = False, soffice: str | None = None,
           tz: str = DEFAULT_TZ, clock: dt.datetime | None = None,
           own_page_setup: bool = False) -> dict[str, list[Path]]:
    """Each tab in ``sheets`` printed by LibreOffice to PDF, then to PNG pages.

    All tabs go through one LibreOffice start.  Returns tab -> page images.
    """
    names = list(sheets)
    copies = []
    for i, sheet in enumerate(names):
        copies.append(print_copy(xlsx, workdir / "copies" / f"tab{i}.xlsx", sheet,
                                 landscape=landscape, fit_width=fit_width,
                                 gridlines=gridlines, headings=headings,
                                 own_page_setup=own_page_setup))
    convert(copies, "pdf", workdir / "pdf", soffice=soffice, tz=tz, clock=clock)
    return {
        sheet: pdf_to_pngs(workdir / "pdf" / f"{copy.stem}.pdf", workdir / "png", dpi=dpi)
        for sheet, copy in zip(names, copies, strict=True)
    }


# ------------------------------------------------------------------ pixels


def hex_rgb(colour: str) -> tuple[int, int, int]:
    """'#F4C7C3' -> (244, 199, 195)."""
    text = colour.lstrip("#")
    return (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16))


def _mask(png: Path, colour: str, tolerance: int) -> tuple[bytes, int, int]:
    """A byte per pixel, 255 where the pixel is ``colour`` (within ``tolerance``), else 0."""
    rgb = hex_rgb(colour)
    with Image.open(png) as image:
        channels = image.convert("RGB").split()
        width, height = image.size
    masks = [band.point(lambda v, c=c: 255 if abs(v - c) <= tolerance else 0)
             for band, c in zip(channels, rgb, strict=True)]
    mask = ImageChops.darker(ImageChops.darker(masks[0], masks[1]), masks[2])
    return mask.tobytes(), width, height


def colour_rows(png: Path, colour: str, *, tolerance: int = 6,
                min_pixels: int = 20) -> list[int]:
    """The y coordinates of pixel rows with at least ``min_pixels`` pixels of ``colour``."""
    data, width, height = _mask(png, colour, tolerance)
    return [y for y in range(height)
            if data.count(255, y * width, (y + 1) * width) >= min_pixels]


def colour_bands(png: Path, colour: str, *, tolerance: int = 6,
                 min_pixels: int = 20) -> list[tuple[int, int]]:
    """Runs of consecutive pixel rows holding ``colour``, as (first y, last y) inclusive.

    A highlighted spreadsheet row shows as one band; two highlighted rows with
    an unhighlighted row between them show as two bands.  Raise ``min_pixels``
    to ignore a single coloured cell and find only rows coloured across.
    """
    bands: list[tuple[int, int]] = []
    for y in colour_rows(png, colour, tolerance=tolerance, min_pixels=min_pixels):
        if bands and y == bands[-1][1] + 1:
            bands[-1] = (bands[-1][0], y)
        else:
            bands.append((y, y))
    return bands


def colour_box(png: Path, colour: str, *, rows: range | None = None,
               tolerance: int = 6) -> tuple[int, int, int, int] | None:
    """The (left, top, right, bottom) box around the pixels of ``colour``, within ``rows``."""
    data, width, height = _mask(png, colour, tolerance)
    left, right, top, bottom = width, -1, height, -1
    for y in rows if rows is not None else range(height):
        line = data[y * width:(y + 1) * width]
        first = line.find(255)
        if first < 0:
            continue
        left = min(left, first)
        right = max(right, line.rfind(255))
        top = min(top, y)
        bottom = max(bottom, y)
    if right < 0:
        return None
    return (left, top, right + 1, bottom + 1)


def content_box(png: Path, *, background: tuple[int, int, int] = (255, 255, 255),
                tolerance: int = 8) -> tuple[int, int, int, int] | None:
    """The (left, top, right, bottom) box around everything that is not background."""
    with Image.open(png) as image:
        rgb_image = image.convert("RGB")
        width, height = rgb_image.size
        bg = Image.new("RGB", (width, height), background)
        diff = ImageChops.difference(rgb_image, bg).convert("L")
        mask = diff.point(lambda v: 255 if v > tolerance else 0)
        box = mask.getbbox()
    return None if box is None else (box[0], box[1], box[2], box[3])
