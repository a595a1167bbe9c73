"""Test servers' ports: picked when a test runs through testkit/ports.py, never written down, and
under pytest-xdist each worker's apart from the others' whatever ranges two test files ask in."""
from __future__ import annotations

import re
from itertools import combinations

import pytest

from testkit.databases import ROOT
from testkit.ports import free_ports

# Where a test would name a port it listens on or connects to.
PORT_WRITTEN = re.compile(r'(?:127\.0\.0\.1|localhost):(\d+)|"--port",\s*"(\d+)"|\bport\s*=\s*(\d+)'
                          r'|^[A-Z_]*(?:PORT|LISTEN)[A-Z_]*\s*=\s*(\d+)', re.MULTILINE)
# The shared PostgreSQL and Redis the scripts start; below 10000, the examples a setting is
# written with (a self-hosted Bot API on 8081), which nothing here listens on or connects to.
SHARED = {5432, 21479}
EXAMPLES_BELOW = 10_000


def test_no_test_writes_down_a_port() -> None:
    written = []
    for path in sorted([*(ROOT / "tests").rglob("*.py"), *(ROOT / "testkit").rglob("*.py")]):
        for match in PORT_WRITTEN.finditer(path.read_text(encoding="utf-8")):
            port = int(next(group for group in match.groups() if group))
            if port >= EXAMPLES_BELOW and port not in SHARED:
                written.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert written == []


@pytest.mark.parametrize("count", [2, 3])
def test_two_workers_never_pick_the_same_port_even_from_other_ranges(monkeypatch, count) -> None:  # noqa: ANN001
    ranges = [range(21500, 21600), range(21550, 21600), range(21501, 21560)]
    picked = {}
    for worker in range(count):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", f"gw{worker}")
        monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", str(count))
        picked[worker] = {port for ports in ranges for port in free_ports(ports, 5)}
    for a, b in combinations(picked, 2):
        assert picked[a].isdisjoint(picked[b])
