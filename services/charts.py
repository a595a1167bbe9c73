"""Small SVG charts for dossiers: monthly activity bars (the map is services.maps). No libraries:
the SVG is a few shapes, embedded in the HTML and drawn by WeasyPrint in the PDF."""
from __future__ import annotations

from html import escape


def _svg_open(width: int, height: int, font: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" class="chart" font-family="{escape(font)}">')


def monthly_bars(counts: list[int], labels: list[str], width: int = 680, height: int = 160,
                 font: str = "sans-serif") -> str:
    top = max(max(counts, default=0), 1)
    pad_left, pad_bottom, pad_top = 28, 22, 12
    bar_area = width - pad_left - 8
    step = bar_area / max(len(counts), 1)
    parts = [_svg_open(width, height, font),
             f'<line x1="{pad_left}" y1="{height - pad_bottom}" x2="{width - 4}" y2="{height - pad_bottom}" '
             'stroke="#999" stroke-width="1"/>']
    usable = height - pad_bottom - pad_top
    for i, (count, label) in enumerate(zip(counts, labels)):
        h = usable * count / top
        x = pad_left + i * step + step * 0.15
        y = height - pad_bottom - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" fill="#2f6fad"/>')
        if count:
            parts.append(f'<text x="{x + step * 0.35:.1f}" y="{y - 2:.1f}" font-size="9" text-anchor="middle">{count}</text>')
        parts.append(f'<text x="{x + step * 0.35:.1f}" y="{height - 8}" font-size="9" text-anchor="middle">'
                     f'{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
