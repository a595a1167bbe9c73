"""Free loopback ports for servers a test or a benchmark starts, in a range of its own (engineers
working side by side on one machine each use their own range)."""
from __future__ import annotations

import os
import socket


def _this_workers(ports: range) -> range:
    """Under pytest-xdist, every count-th port of the range, from this worker's number on: two
    test files running side by side then never pick the same port, as one picked a port "nobody
    listens on" that the other's server took a moment later (seen as rare failures)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    if not worker.startswith("gw") or count < 2:
        return ports
    return ports[int(worker[2:]) % count::count]


def free_ports(ports: range, count: int) -> list[int]:
    """`count` ports of `ports` nobody listens on now (under pytest-xdist, of this worker's share)."""
    found = []
    ports = _this_workers(ports)
    for port in ports:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    raise RuntimeError(f"fewer than {count} free ports in {ports.start}-{ports.stop - 1}")


def free_port(first: int = 21500, last: int = 21599) -> int:
    return free_ports(range(first, last + 1), 1)[0]
