"""Small SVG charts for dossiers: monthly activity bars and a map of visit points. No libraries:
the SVG is a few shapes, embedded in the HTML and drawn by WeasyPrint in the PDF."""
from __future__ import annotations

from html import escape


def _svg_open(width: int, height: int, font: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" class="chart" font-family="{escape(font)}">')


def monthly_bars(counts: list[int], labels: list[str], width: int = 520, height: int = 160,
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


def visit_map(sites: list[tuple[float, float, str]], points: list[tuple[float, float, bool]],
              width: int = 520, height: int = 260, font: str = "sans-serif") -> str:
    """Enterprises (squares, named) and visit locations (dots; red when flagged far), projected
    equirectangularly into the box around them."""
    all_points = [(lat, lon) for lat, lon, _ in sites] + [(lat, lon) for lat, lon, _ in points]
    parts = [_svg_open(width, height, font),
             f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f4f7fa" stroke="#ccd"/>']
    if not all_points:
        parts.append("</svg>")
        return "".join(parts)
    lats = [p[0] for p in all_points]
    lons = [p[1] for p in all_points]
    span_lat = max(max(lats) - min(lats), 0.01)
    span_lon = max(max(lons) - min(lons), 0.01)
    margin = 24

    def xy(lat: float, lon: float) -> tuple[float, float]:
        x = margin + (lon - min(lons)) / span_lon * (width - 2 * margin)
        y = height - margin - (lat - min(lats)) / span_lat * (height - 2 * margin)
        return x, y

    for lat, lon, far in points:
        x, y = xy(lat, lon)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{"#c0392b" if far else "#27ae60"}" '
                     'fill-opacity="0.8"/>')
    for lat, lon, name in sites:
        x, y = xy(lat, lon)
        parts.append(f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="#1f4e79"/>')
        # Names near the right edge go to the left of their square, so they stay on the map.
        anchor, dx = ("end", -7) if x > width * 0.6 else ("start", 7)
        parts.append(f'<text x="{x + dx:.1f}" y="{y + 3:.1f}" font-size="9" text-anchor="{anchor}">'
                     f'{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)
