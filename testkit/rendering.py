"""Looking at rendered PDFs from tests: their text, their fonts, and page images under the test
output folder (build/test-output, or TEPAI_TEST_OUTPUT) for a person to look at."""
from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

from testkit.databases import ROOT

OUTPUT = Path(os.environ.get("TEPAI_TEST_OUTPUT") or ROOT / "build" / "test-output")


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True,
                          timeout=60).stdout.decode("utf-8")


def pdf_pages(pdf: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True, timeout=60).stdout
    return int(re.search(rb"^Pages:\s+(\d+)", info, re.M).group(1))


def pdf_fonts(pdf: bytes) -> set[str]:
    """The embedded fonts' family names, without the subset prefix and style ('WenQuanYi-Micro-Hei')."""
    listing = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True, timeout=60).stdout
    names = set()
    for line in listing.decode("utf-8", "replace").splitlines()[2:]:
        name = line.split()[0].split("+", 1)[-1]
        names.add(re.sub(r"-(Bold|Italic|Oblique|BoldItalic|BoldOblique|Regular)$", "", name))
    return names


def page_with(pdf: bytes, needle: str) -> int:
    """The first page (1-based) whose text holds `needle`."""
    pages = pdf_text(pdf).split("\f")
    return next(n for n, text in enumerate(pages, start=1) if needle in text)


def render_page(pdf: bytes, page: int, name: str, dpi: int = 70) -> Path:
    """One page as OUTPUT/<name>.png, to look at (and to show in docs/outputs.md)."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    source = OUTPUT / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile",
                    str(source), str(OUTPUT / name)], check=True, timeout=120)
    source.unlink()
    return OUTPUT / f"{name}.png"


def spreadsheet_pdf(path: Path) -> bytes:
    """A workbook's print preview: LibreOffice Calc (headless) prints it to PDF with the print
    set-up the workbook carries (orientation, fit to width, repeated rows, header and footer)."""
    with tempfile.TemporaryDirectory(prefix="tepai-soffice-") as work:
        # A profile of its own: parallel runs (and a desktop LibreOffice) would fight over one.
        profile = Path(work, "profile").as_uri()
        subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", work, str(path)], check=True, capture_output=True, timeout=180)
        return Path(work, f"{path.stem}.pdf").read_bytes()
