"""The dossier's map of where a commissioner served: enterprises and visit locations in Web Mercator
(so map tiles line up), framed on the enterprises and the visits near them. A location far from
every enterprise is not allowed to squash the rest: it is clipped to the frame's edge with its
distance. A scale bar, and each county's enterprises and visits outlined and named. Map tiles
(TEPAI_MAP_TILES, a {z}/{x}/{y} URL template) are fetched when configured; without them, or when
they cannot be fetched, the map is drawn on a plain background."""
from __future__ import annotations

import asyncio
import base64
import io
import logging
import math
from dataclasses import dataclass
from html import escape
from statistics import median
from urllib.parse import urlsplit

import aiohttp

from domain.evidence import Point, distance_m
from locales import Translator

log = logging.getLogger(__name__)

EARTH_M = 6378137.0
WORLD_M = 2 * math.pi * EARTH_M
MIN_SPAN_M = 600  # the frame shows at least this much ground
MAX_TILES = 16
TILE_PX = 256


@dataclass(frozen=True)
class Site:
    lat: float
    lon: float
    name: str
    county: str | None


@dataclass(frozen=True)
class Spot:
    lat: float
    lon: float
    far: bool  # flagged as too far from the enterprise
    county: str | None  # the enterprise's


def _mercator(lat: float, lon: float) -> tuple[float, float]:
    lat = max(min(lat, 85.0), -85.0)
    return EARTH_M * math.radians(lon), EARTH_M * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


@dataclass(frozen=True)
class Frame:
    """A rectangle of Mercator metres drawn into width × height pixels (y grows downwards)."""

    left: float
    top: float
    scale: float  # pixels per Mercator metre
    width: int
    height: int

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        mx, my = _mercator(lat, lon)
        return (mx - self.left) * self.scale, (self.top - my) * self.scale

    def inside(self, x: float, y: float, margin: float = 0) -> bool:
        return margin <= x <= self.width - margin and margin <= y <= self.height - margin


def frame_for(sites: list[Site], spots: list[Spot], width: int, height: int,
              near_m: float = 1000) -> tuple[Frame, list[Spot]]:
    """The frame around the enterprises and the visits near them (within `near_m`, the policy's
    radius, or three times the typical distance), and the visits left outside."""
    anchors = [Point(s.lat, s.lon) for s in sites] or [Point(s.lat, s.lon) for s in spots]
    gaps = [min(distance_m(a, Point(s.lat, s.lon)) for a in anchors) for s in spots]
    limit = max(near_m, 3 * median(gaps)) if gaps else near_m
    near = [s for s, gap in zip(spots, gaps) if gap <= limit]
    outside = [s for s, gap in zip(spots, gaps) if gap > limit]
    shown = [_mercator(p.lat, p.lon) for p in anchors] + [_mercator(s.lat, s.lon) for s in near]
    xs, ys = [p[0] for p in shown], [p[1] for p in shown]
    mid_lat = sum(p.lat for p in anchors) / len(anchors)
    stretch = 1 / math.cos(math.radians(mid_lat))  # Mercator metres per ground metre here
    span_x = max(max(xs) - min(xs), MIN_SPAN_M * stretch) * 1.25
    span_y = max(max(ys) - min(ys), MIN_SPAN_M * stretch * height / width) * 1.25
    scale = min(width / span_x, height / span_y)
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return Frame(cx - width / 2 / scale, cy + height / 2 / scale, scale, width, height), outside


def _edge(frame: Frame, x: float, y: float, margin: float) -> tuple[float, float]:
    """Where the line from the frame's centre towards (x, y) leaves the frame (less a margin)."""
    cx, cy = frame.width / 2, frame.height / 2
    dx, dy = x - cx, y - cy
    t = min((cx - margin) / abs(dx) if dx else math.inf, (cy - margin) / abs(dy) if dy else math.inf)
    return cx + dx * t, cy + dy * t


def _nice_length(metres: float) -> float:
    """The largest 1, 2 or 5 × 10^k metres not above `metres`."""
    power = 10 ** math.floor(math.log10(metres))
    return max(step * power for step in (1, 2, 5) if step * power <= metres)


def _scale_bar(t: Translator, frame: Frame, mid_lat: float) -> str:
    ground_per_px = math.cos(math.radians(mid_lat)) / frame.scale
    length = _nice_length(ground_per_px * frame.width / 4)
    px = length / ground_per_px
    label = t("dossier.map_km", n=f"{length / 1000:g}") if length >= 1000 else t("dossier.map_m", n=f"{length:g}")
    x, y = 12, frame.height - 14
    return (f'<g class="scale"><rect x="{x - 4}" y="{y - 14}" width="{px + 8 + 6 * len(label):.1f}" height="20" '
            f'fill="#ffffff" fill-opacity="0.75"/>'
            f'<path d="M{x},{y - 4} v4 h{px:.1f} v-4" fill="none" stroke="#333" stroke-width="1.5"/>'
            f'<text x="{x + px + 4:.1f}" y="{y + 1}" font-size="9">{escape(label)}</text></g>')


def _county_areas(frame: Frame, sites: list[Site], spots: list[Spot]) -> list[str]:
    """Each county's enterprises and visits in the frame, outlined and named."""
    out = []
    for county in sorted({s.county for s in sites if s.county}):
        pts = [frame.xy(s.lat, s.lon) for s in sites if s.county == county]
        pts += [xy for xy in (frame.xy(s.lat, s.lon) for s in spots if s.county == county) if frame.inside(*xy)]
        left, right = max(min(p[0] for p in pts) - 16, 2), min(max(p[0] for p in pts) + 16, frame.width - 2)
        top, bottom = max(min(p[1] for p in pts) - 22, 2), min(max(p[1] for p in pts) + 16, frame.height - 2)
        out.append(f'<rect x="{left:.1f}" y="{top:.1f}" width="{right - left:.1f}" height="{bottom - top:.1f}" rx="10" '
                   'fill="#1f4e79" fill-opacity="0.05" stroke="#1f4e79" stroke-opacity="0.45" stroke-dasharray="5 3"/>'
                   f'<text x="{left + 6:.1f}" y="{top + 13:.1f}" font-size="11" fill="#1f4e79" fill-opacity="0.8">'
                   f'{escape(county)}</text>')
    return out


def visit_map(t: Translator, sites: list[Site], spots: list[Spot], *, width: int = 680, height: int = 320,
              near_m: float = 1000, font: str = "sans-serif", basemap: tuple[bytes, str] | None = None) -> str:
    """The map as inline SVG. `basemap`: a JPEG of the frame's tiles and the tile host, to credit."""
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'class="chart map" font-family="{escape(font)}">',
             f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f4f7fa" stroke="#ccd"/>']
    if not sites and not spots:
        return "".join([*parts, "</svg>"])
    frame, outside = frame_for(sites, spots, width, height, near_m)
    if basemap is not None:
        image, host = basemap
        parts.append(f'<image x="0" y="0" width="{width}" height="{height}" preserveAspectRatio="none" '
                     f'href="data:image/jpeg;base64,{base64.b64encode(image).decode("ascii")}"/>')
    parts += _county_areas(frame, sites, spots)
    for s in spots:
        if s in outside:
            continue
        x, y = frame.xy(s.lat, s.lon)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{"#c0392b" if s.far else "#27ae60"}" '
                     'fill-opacity="0.85" stroke="#fff" stroke-width="0.6"/>')
    anchors = [Point(a.lat, a.lon) for a in sites] or [Point(s.lat, s.lon) for s in spots]
    for s in outside:  # clipped to the edge, pointing outwards, with how far away it is
        x, y = _edge(frame, *frame.xy(s.lat, s.lon), margin=10)
        angle = math.atan2(y - height / 2, x - width / 2)
        km = min(distance_m(a, Point(s.lat, s.lon)) for a in anchors) / 1000
        dx, dy = math.cos(angle), math.sin(angle)
        anchor = "end" if dx > 0.5 else "start" if dx < -0.5 else "middle"
        parts.append(f'<g transform="translate({x:.1f},{y:.1f}) rotate({math.degrees(angle):.0f})">'
                     '<path d="M6,0 L-5,-5 L-5,5 Z" fill="#c0392b"/></g>'
                     f'<text x="{x - dx * 12:.1f}" y="{y - dy * 14 + 3:.1f}" font-size="8" fill="#c0392b" '
                     f'text-anchor="{anchor}">{escape(t("dossier.map_away", km=f"{km:.1f}" if km < 10 else f"{km:.0f}"))}'
                     '</text>')
    for s in sites:
        x, y = frame.xy(s.lat, s.lon)
        parts.append(f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="#1f4e79" stroke="#fff"/>')
        # Names near the right edge go to the left of their square; a white band keeps them legible.
        label_w = sum(9 if ord(ch) > 0x2E80 else 5 for ch in s.name) + 4
        left = x - 7 - label_w if x > width * 0.6 else x + 5
        parts.append(f'<rect x="{left:.1f}" y="{y - 7:.1f}" width="{label_w}" height="13" fill="#fff" '
                     f'fill-opacity="0.8"/><text x="{left + 2:.1f}" y="{y + 3:.1f}" font-size="9">{escape(s.name)}</text>')
    mid_lat = sum(a.lat for a in anchors) / len(anchors)
    parts.append(_scale_bar(t, frame, mid_lat))
    if outside:
        # Bottom right, where no arrow points from the centre's edge to a corner label.
        parts.append(f'<text x="{width - 6}" y="{height - 16}" font-size="9" text-anchor="end" fill="#c0392b">'
                     f'{escape(t("dossier.map_outside", n=len(outside)))}</text>')
    if basemap is not None:
        parts.append(f'<text x="{width - 4}" y="{height - 4}" font-size="7" text-anchor="end" fill="#555">'
                     f'{escape(t("dossier.map_tiles_from", host=basemap[1]))}</text>')
    parts.append("</svg>")
    return "".join(parts)


async def fetch_basemap(template: str, sites: list[Site], spots: list[Spot], *, width: int = 680,
                        height: int = 320, near_m: float = 1000, timeout_s: float = 10) -> tuple[bytes, str] | None:
    """The frame's map tiles as one JPEG (twice the map's pixels, for print), or None when there is
    nothing to frame or a tile cannot be had: the map is then drawn without them."""
    if not sites and not spots:
        return None
    frame, _ = frame_for(sites, spots, width, height, near_m)
    zoom = max(1, min(18, math.ceil(math.log2(frame.scale * 2 * WORLD_M / TILE_PX))))
    while True:
        px_per_m = TILE_PX * 2 ** zoom / WORLD_M
        x0 = (frame.left + WORLD_M / 2) * px_per_m
        y0 = (WORLD_M / 2 - frame.top) * px_per_m
        x1, y1 = x0 + width / frame.scale * px_per_m, y0 + height / frame.scale * px_per_m
        tiles = [(tx, ty) for tx in range(int(x0 // TILE_PX), int(x1 // TILE_PX) + 1)
                 for ty in range(int(y0 // TILE_PX), int(y1 // TILE_PX) + 1)]
        if len(tiles) <= MAX_TILES or zoom == 1:
            break
        zoom -= 1
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as session:
            async def get(tx: int, ty: int) -> bytes:
                url = template.replace("{s}", "a").format(z=zoom, x=tx, y=ty)
                async with session.get(url) as response:
                    response.raise_for_status()
                    return await response.read()

            images = await asyncio.gather(*(get(tx, ty) for tx, ty in tiles))
        picture = await asyncio.to_thread(_compose, dict(zip(tiles, images)), (x0, y0, x1, y1), width * 2, height * 2)
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError, ValueError, KeyError) as exc:
        log.warning("map tiles unavailable (%s): drawing the map without them", exc)
        return None
    return picture, urlsplit(template).hostname or ""


def _compose(tiles: dict[tuple[int, int], bytes], box: tuple[float, float, float, float], width: int,
             height: int) -> bytes:
    from PIL import Image

    xs, ys = [k[0] for k in tiles], [k[1] for k in tiles]
    canvas = Image.new("RGB", ((max(xs) - min(xs) + 1) * TILE_PX, (max(ys) - min(ys) + 1) * TILE_PX), "#f4f7fa")
    for (tx, ty), data in tiles.items():
        with Image.open(io.BytesIO(data)) as tile:
            canvas.paste(tile.convert("RGB").resize((TILE_PX, TILE_PX)),
                         ((tx - min(xs)) * TILE_PX, (ty - min(ys)) * TILE_PX))
    left, top = min(xs) * TILE_PX, min(ys) * TILE_PX
    crop = canvas.crop((round(box[0] - left), round(box[1] - top), round(box[2] - left), round(box[3] - top)))
    out = io.BytesIO()
    crop.resize((width, height)).save(out, "JPEG", quality=80)
    return out.getvalue()
