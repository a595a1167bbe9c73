"""Looking at rendered PDFs from tests: their text, their fonts, and page images under the test
output folder (build/test-output, or TEPAI_TEST_OUTPUT) for a person to look at."""
from __future__ import annotations

import os
import re
import subprocess
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


def render_pages(pdf: bytes, stem: str, first: int = 1, last: int = 3, dpi: int = 70) -> list[Path]:
    """Pages first..last as PNG files OUTPUT/<stem>-<n>.png, to look at (and to show in docs)."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for old in OUTPUT.glob(f"{stem}-*.png"):
        old.unlink()
    source = OUTPUT / f"{stem}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(first), "-l", str(last), str(source),
                    str(OUTPUT / stem)], check=True, timeout=120)
    return sorted(OUTPUT.glob(f"{stem}-*.png"))
