"""The evidence store (photo store): originals kept content-addressed (SHA-256) under the data
dir, images with a thumbnail. What a file is (domain.uploads) is read while its original is
hashed and staged. Paths are built from the hash only, never from anything a user sent.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from domain.uploads import MAX_BYTES, DocumentFacts, ImageFacts, UploadRejected, document_ext, inspect_image

_IO_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="evidence-io")


class EvidenceStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def original_path(self, sha256: str, ext: str) -> Path:
        _check_hash(sha256)
        return self.root / "originals" / sha256[:2] / f"{sha256}.{ext}"

    def thumbnail_path(self, sha256: str) -> Path:
        _check_hash(sha256)
        return self.root / "thumbs" / sha256[:2] / f"{sha256}.jpg"

    def put_image(self, data: bytes) -> ImageFacts:
        """Check, analyse and keep an image; storing the same bytes twice keeps one copy.

        Hashing and writing the original (both release the GIL) overlap with the decode.
        """
        if len(data) > MAX_BYTES:
            raise UploadRejected("too_big")
        staging = _IO_POOL.submit(self._stage, data)
        try:
            inspected = inspect_image(data)
        except BaseException:
            _, tmp = staging.result()
            tmp.unlink(missing_ok=True)
            raise
        sha256, tmp = staging.result()
        facts = ImageFacts(sha256=sha256, size_bytes=len(data), **inspected)
        _place(tmp, self.original_path(sha256, facts.ext))
        _write_once(self.thumbnail_path(sha256), facts.thumbnail_jpeg)
        return facts

    def _stage(self, data: bytes) -> tuple[str, Path]:
        digest = hashlib.sha256(data).hexdigest()
        staging = self.root / "staging"
        staging.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=staging, prefix=".up-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return digest, Path(tmp)

    def put_document(self, data: bytes, file_name: str | None) -> DocumentFacts:
        facts = DocumentFacts(hashlib.sha256(data).hexdigest(), document_ext(data, file_name), len(data))
        _write_once(self.original_path(facts.sha256, facts.ext), data)
        return facts


def _check_hash(sha256: str) -> None:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256 hex digest")


def _place(tmp: Path, path: Path) -> None:
    """Move a staged file to its content address (atomic); drop it if that file already exists."""
    if path.exists():
        tmp.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, path)


def _write_once(path: Path, data: bytes) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)  # atomic: a reader never sees half a file
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
