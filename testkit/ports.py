"""Free loopback ports for servers a test or a benchmark starts, in a range of its own (engineers
working side by side on one machine each use their own range)."""
from __future__ import annotations

import os
import socket

TEST_PORTS = range(21500, 21600)  # for a test's servers, unless it names a range of its own


def _this_workers(ports: range) -> list[int]:
    """Under pytest-xdist, the ports of the range whose number modulo the worker count is this
    worker's number: two test files running side by side then never pick the same port, as one
    picked a port "nobody listens on" that the other's server took a moment later (seen as rare
    failures). By the port's number, not its place in the range, so that the shares of two
    workers asking in different ranges (overlapping, or starting at other numbers) are apart too."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    if not worker.startswith("gw") or count < 2:
        return list(ports)
    return [port for port in ports if port % count == int(worker[2:]) % count]


def free_ports(ports: range, count: int) -> list[int]:
    """`count` ports of `ports` nobody listens on now (under pytest-xdist, of this worker's share)."""
    found = []
    for port in _this_workers(ports):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    raise RuntimeError(f"fewer than {count} free ports in {ports.start}-{ports.stop - 1}")


def free_port(first: int = TEST_PORTS.start, last: int = TEST_PORTS.stop - 1) -> int:
    return free_ports(range(first, last + 1), 1)[0]
