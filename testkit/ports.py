"""Free loopback ports for servers a test starts, in a range of its own (engineers working side by
side on one machine each use their own range)."""
from __future__ import annotations

import socket


def free_port(first: int = 21500, last: int = 21599) -> int:
    for port in range(first, last + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {first}-{last}")
