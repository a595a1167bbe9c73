"""Updates Tepai could not handle, kept as JSON lines beside the database (not in it: they are
written when the database is what failed), so an operator can see and replay what people sent."""
from __future__ import annotations

import json
import os
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

FILE_NAME = "failed-updates.jsonl"


class FailedUpdates:
    def __init__(self, directory: Path) -> None:
        self.path = directory / FILE_NAME
        self._lock = threading.Lock()

    def record(self, update: dict[str, Any], error: str, at: datetime) -> None:
        """Append one update, synced to disk: it is the only copy once polling confirmed it."""
        line = json.dumps({"at": at.isoformat(), "error": error, "update": update}, ensure_ascii=False,
                          default=str)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line + "\n")
                f.flush()
                os.fsync(f.fileno())

    def read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line]
