"""The dossier's map (services/maps.py): a far location is clipped to the edge instead of squashing
the rest, a true scale bar, counties outlined and named, map tiles from TEPAI_MAP_TILES when they can
be fetched (a local tile server here) and a plain map when they cannot."""
from __future__ import annotations

import io
import logging
import math
import re
from datetime import datetime, timezone

import pytest
from aiohttp import web
from PIL import Image

from domain.evidence import Point, distance_m
from locales import Translator
from services.assessment import assess
from services.dossier import build
from services.maps import Site, Spot, fetch_basemap, frame_for, visit_map
from storage.repositories import Repos
from testkit.ports import TEST_PORTS, free_ports
from testkit.years import AS_OF, seeded  # noqa: F401

T = Translator("zh")
SITE = Site(37.8570, 113.5830, "阳泉华鑫耐火材料有限公司", "城区")
NEAR = [Spot(SITE.lat + dy, SITE.lon + dx, False, "城区") for dy, dx in
        ((0.001, 0.001), (-0.0012, 0.0008), (0.0015, -0.002), (-0.002, -0.001), (0.0005, 0.0025))]
FAR = Spot(SITE.lat + 0.36, SITE.lon, True, "城区")  # about 40 km north
GENERATED = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)


def circles(svg: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)"', svg)]


def test_a_far_location_is_clipped_to_the_edge_and_does_not_squash_the_rest() -> None:
    svg = visit_map(T, [SITE], [*NEAR, FAR], near_m=1000)
    near = circles(svg)
    assert len(near) == len(NEAR)  # the far one is not a dot somewhere in a corner
    xs, ys = [p[0] for p in near], [p[1] for p in near]
    assert max(xs) - min(xs) > 150 and max(ys) - min(ys) > 100  # spread over the map, not a clump
    assert "距企业 40 公里" in svg and "1 处定位在图外" in svg
    arrow = re.search(r'<g transform="translate\(([\d.]+),([\d.]+)\) rotate\((-?\d+)\)">', svg)
    assert arrow is not None and float(arrow.group(2)) < 20 and int(arrow.group(3)) == -90  # at the top, pointing up
    # The same points without the far one frame the same way.
    assert circles(visit_map(T, [SITE], NEAR, near_m=1000)) == near


def test_the_scale_bar_is_true_to_the_ground() -> None:
    east = Site(SITE.lat, SITE.lon + 0.02, "阳泉恒通智能装备有限公司", "矿区")
    svg = visit_map(T, [SITE, east], [], near_m=1000)
    bar = re.search(r'<path d="M[\d.]+,[\d.]+ v4 h([\d.]+) v-4"', svg)
    label = re.search(r'<g class="scale">.*?<text[^>]*>([\d.]+) (米|公里)</text>', svg)
    metres = float(label.group(1)) * (1000 if label.group(2) == "公里" else 1)
    squares = [float(x) + 4 for x in re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="8" height="8"', svg)]
    ground = distance_m(Point(SITE.lat, SITE.lon), Point(east.lat, east.lon))
    per_metre_bar = float(bar.group(1)) / metres
    per_metre_sites = abs(squares[1] - squares[0]) / ground
    assert math.isclose(per_metre_bar, per_metre_sites, rel_tol=0.01)


def test_counties_are_outlined_and_named() -> None:
    other = Site(37.95, 113.40, "阳泉晋阳煤化工有限公司", "矿区")
    svg = visit_map(T, [SITE, other], [*NEAR, Spot(other.lat + 0.001, other.lon, False, "矿区")])
    assert re.findall(r'stroke-dasharray="5 3"/><text[^>]*>([^<]+)</text>', svg) == ["城区", "矿区"]


def test_nothing_to_draw_gives_an_empty_frame() -> None:
    svg = visit_map(T, [], [])
    assert svg.startswith("<svg") and "<circle" not in svg and "scale" not in svg


class TileServer:
    """Where the local tile server listens, the paths it was asked for, and a port nobody listens on."""

    def __init__(self) -> None:
        self.port, self.closed_port = free_ports(TEST_PORTS, 2)
        self.asked: list[str] = []

    def template(self, under: str = "tiles", port: int | None = None) -> str:
        return f"http://127.0.0.1:{port or self.port}/{under}/{{z}}/{{x}}/{{y}}.png"


@pytest.fixture
async def tile_server():  # noqa: ANN201
    """A local tile server: a small PNG for any /z/x/y.png, and a 404 under /missing/."""
    server = TileServer()

    async def tile(request: web.Request) -> web.Response:
        server.asked.append(request.path)
        out = io.BytesIO()
        Image.new("RGB", (256, 256), (200, 220, 200)).save(out, "PNG")
        return web.Response(body=out.getvalue(), content_type="image/png")

    app = web.Application()
    app.router.add_get("/tiles/{z}/{x}/{y}.png", tile)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", server.port).start()
    try:
        yield server
    finally:
        await runner.cleanup()


async def test_map_tiles_are_drawn_under_the_points_when_configured(tile_server) -> None:  # noqa: ANN001
    template = tile_server.template()
    basemap = await fetch_basemap(template, [SITE], [*NEAR, FAR], near_m=1000)
    assert basemap is not None and basemap[1] == "127.0.0.1"
    assert 1 <= len(tile_server.asked) <= 16
    zoom = {int(p.split("/")[2]) for p in tile_server.asked}
    assert len(zoom) == 1 and 13 <= zoom.pop() <= 18  # street level, framed on the near points
    with Image.open(io.BytesIO(basemap[0])) as picture:
        assert picture.format == "JPEG" and picture.size == (680 * 2, 320 * 2)
    svg = visit_map(T, [SITE], [*NEAR, FAR], near_m=1000, basemap=basemap)
    assert '<image x="0" y="0"' in svg and "底图：127.0.0.1" in svg
    assert svg.index("<image") < svg.index("<circle")  # under the points


async def test_without_reachable_tiles_the_map_is_plain(tile_server, caplog) -> None:  # noqa: ANN001
    caplog.set_level(logging.WARNING)
    missing = tile_server.template("missing")  # 404
    closed = tile_server.template(port=tile_server.closed_port)  # nothing listens
    assert await fetch_basemap(missing, [SITE], NEAR) is None
    assert await fetch_basemap(closed, [SITE], NEAR, timeout_s=3) is None
    assert sum("map tiles unavailable" in r.message for r in caplog.records) == 2
    svg = visit_map(T, [SITE], NEAR, basemap=None)
    assert "<image" not in svg and "底图" not in svg and len(circles(svg)) == len(NEAR)


def test_frame_keeps_every_enterprise() -> None:
    other = Site(37.95, 113.40, "远处的企业", "矿区")
    frame, outside = frame_for([SITE, other], NEAR, 680, 320)
    assert outside == [] and all(frame.inside(*frame.xy(s.lat, s.lon)) for s in (SITE, other))


async def test_the_dossier_draws_its_map_on_the_tiles_it_is_given(seeded, policy, tile_server) -> None:  # noqa: ANN001, F811
    template = tile_server.template()
    async with seeded.sessionmaker() as session:
        repos = Repos(session)
        result = await assess(repos, policy, 2026, AS_OF)
        with_tiles = await build(repos, policy, seeded.store, T, result, "C001", GENERATED, map_tiles=template)
        plain = await build(repos, policy, seeded.store, T, result, "C001", GENERATED)
    assert tile_server.asked and '<image x="0" y="0"' in with_tiles.html and "底图：127.0.0.1" in with_tiles.html
    assert "<image" not in plain.html and "底图" not in plain.html
