"""Free loopback ports for servers a test or a benchmark starts, in a range of its own (engineers
working side by side on one machine each use their own range)."""
from __future__ import annotations

import socket


def free_ports(ports: range, count: int) -> list[int]:
    """`count` ports of `ports` nobody listens on now."""
    found = []
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
