"""The evidence store (photo store): originals kept content-addressed (SHA-256) under the data
dir, images with a thumbnail. What a file is (domain.uploads) is read while its original is
hashed and staged; `EvidenceStore.keep_image` runs at most `decodes_at_once` decodes at a time,
so a burst of uploads cannot multiply the memory one decode holds. Paths are built from the hash
only, never from anything a user sent.

Every file is on disk before its path is returned: its bytes are fsynced before the rename that
places it, and its directory (with any directory made for it) after, so the `stored_files` row
naming it, committed later, never outlives it through a power loss.
"""
from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from domain.uploads import MAX_BYTES, DocumentFacts, ImageFacts, UploadRejected, document_ext, inspect_image

DECODES_AT_ONCE = 2  # full-size decodes in flight per store; more uploads wait their turn
_IO_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="evidence-io")


class EvidenceStore:
    def __init__(self, root: Path, decodes_at_once: int = DECODES_AT_ONCE) -> None:
        self.root = root
        # Its own few threads: an upload waits in this pool's queue (bytes only, no pixels) instead
        # of decoding alongside every other upload in the loop's default executor.
        self._decoders = ThreadPoolExecutor(max_workers=decodes_at_once, thread_name_prefix="evidence-decode")

    async def keep_image(self, data: bytes) -> ImageFacts:
        """`put_image` off the event loop, at most `decodes_at_once` at a time."""
        return await asyncio.get_running_loop().run_in_executor(self._decoders, self.put_image, data)

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
            f.flush()
            os.fsync(f.fileno())  # here, overlapping the decode, not after it
        return digest, Path(tmp)

    def put_document(self, data: bytes, file_name: str | None) -> DocumentFacts:
        facts = DocumentFacts(hashlib.sha256(data).hexdigest(), document_ext(data, file_name), len(data))
        _write_once(self.original_path(facts.sha256, facts.ext), data)
        return facts


def _check_hash(sha256: str) -> None:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256 hex digest")


def _place(tmp: Path, path: Path) -> None:
    """Move a staged (synced) file to its content address (atomic), and sync the directory that
    now names it; drop it if that file already exists."""
    if path.exists():
        tmp.unlink(missing_ok=True)
        return
    _make_dirs(path.parent)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _write_once(path: Path, data: bytes) -> None:
    if path.exists():
        return
    _make_dirs(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # atomic: a reader never sees half a file
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _make_dirs(directory: Path) -> None:
    """`mkdir -p`, syncing the parent of each directory made (a new directory is an entry in it)."""
    if directory.is_dir():
        return
    _make_dirs(directory.parent)
    try:
        directory.mkdir()
    except FileExistsError:  # made meanwhile by another upload
        return
    _fsync_dir(directory.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
