"""`tepai evidence migrate`: copy every object of one store into another (a directory into a
bucket), each read back and its SHA-256 compared with the source's after the upload. Run it again
after a break, or after the bot stored more: objects already there with the right bytes are
skipped, a wrong one is written again. An original whose own bytes no longer match the SHA-256 in
its name is reported, not copied: a damaged file must not become the bucket's only copy."""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from storage.blobs import Blobs

COPIES_AT_ONCE = 8  # object stores answer each request in tens of ms: overlap them


@dataclass
class Migration:
    total: int = 0
    copied: int = 0
    present: int = 0  # already there with the right bytes
    mismatched: list[tuple[str, str]] = field(default_factory=list)  # (key, "source" | "target")

    @property
    def ok(self) -> bool:
        return not self.mismatched


def _digest(data: bytes | None) -> str | None:
    return hashlib.sha256(data).hexdigest() if data is not None else None


def _named_digest(key: str) -> str | None:
    """The SHA-256 an original's key names (thumbnails are named after their original)."""
    if not key.startswith("originals/"):
        return None
    return key.rsplit("/", 1)[-1].split(".", 1)[0]


def copy_one(source: Blobs, target: Blobs, key: str) -> str:
    """"copied", "present", "source" (the source's bytes are damaged) or "target" (read back wrong)."""
    data = source.get(key)
    if data is None:
        return "source"  # gone since it was listed
    digest = _digest(data)
    if (named := _named_digest(key)) is not None and named != digest:
        return "source"
    if _digest(target.get(key)) == digest:
        return "present"
    target.put(key, data, replace=True)
    return "copied" if _digest(target.get(key)) == digest else "target"


def migrate(source: Blobs, target: Blobs, progress: Callable[[Migration], None] | None = None) -> Migration:
    result = Migration()
    with ThreadPoolExecutor(max_workers=COPIES_AT_ONCE, thread_name_prefix="evidence-migrate") as pool:
        keys = list(source.keys())
        for key, outcome in zip(keys, pool.map(lambda k: copy_one(source, target, k), keys), strict=True):
            result.total += 1
            if outcome == "copied":
                result.copied += 1
            elif outcome == "present":
                result.present += 1
            else:
                result.mismatched.append((key, outcome))
            if progress is not None:
                progress(result)
    return result
