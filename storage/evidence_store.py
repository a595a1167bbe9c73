"""The evidence store (photo store): originals kept content-addressed (SHA-256), images with a
thumbnail, in a directory or a bucket (storage.blobs). Everything that reads or writes evidence —
the chat's uploads, the dossiers' photos, the console's photo pages, the outbox's documents,
`/readyz` — goes through this one interface.

What a file is (domain.uploads) is read while its original is hashed and staged; `keep_image` runs
at most `decodes_at_once` decodes at a time, so a burst of uploads cannot multiply the memory one
decode holds. Keys are built from the hash only, never from anything a user sent. Every object is
durable before its facts are returned, so the `stored_files` row naming it, committed later,
never outlives it.

A failure of the store itself (a disk error, a bucket unreachable) is raised as
`EvidenceUnavailable` (an OSError, so callers that retry on I/O errors retry) after `on_error` was
told which operation failed (the `tepai_evidence_store_errors_total` series); a missing object is
not a failure of the store: reads return None.
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from domain.uploads import MAX_BYTES, DocumentFacts, ImageFacts, UploadRejected, document_ext, inspect_image
from storage.blobs import Blobs, DirectoryBlobs

__all__ = ["DECODES_AT_ONCE", "MAX_BYTES", "EvidenceStore", "EvidenceUnavailable", "UploadRejected",
           "original_key", "thumbnail_key"]

DECODES_AT_ONCE = 2  # full-size decodes in flight per store; more uploads wait their turn
_IO_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="evidence-io")
T = TypeVar("T")


class EvidenceUnavailable(OSError):
    """The store could not be read or written (not: the object is not there)."""

    def __init__(self, operation: str, where: str, cause: BaseException) -> None:
        super().__init__(f"evidence store {where}: {operation} failed: {type(cause).__name__}: {cause}")
        self.operation, self.where = operation, where


def original_key(sha256: str, ext: str) -> str:
    _check_hash(sha256)
    if not ext.isalnum():
        raise ValueError("not a file extension")
    return f"originals/{sha256[:2]}/{sha256}.{ext}"


def thumbnail_key(sha256: str) -> str:
    _check_hash(sha256)
    return f"thumbs/{sha256[:2]}/{sha256}.jpg"


class EvidenceStore:
    """`where`: a directory (a Path) or any `Blobs`; `on_error(operation)` counts failures."""

    def __init__(self, where: Path | Blobs, decodes_at_once: int = DECODES_AT_ONCE,
                 on_error: Callable[[str], None] | None = None) -> None:
        self.blobs: Blobs = DirectoryBlobs(where) if isinstance(where, Path) else where
        self._on_error = on_error
        # Its own few threads: an upload waits in this pool's queue (bytes only, no pixels) instead
        # of decoding alongside every other upload in the loop's default executor.
        self._decoders = ThreadPoolExecutor(max_workers=decodes_at_once, thread_name_prefix="evidence-decode")

    @property
    def where(self) -> str:
        return self.blobs.where

    @property
    def root(self) -> Path | None:
        """The directory, for a store on this machine's disk; None for a bucket."""
        return self.blobs.root if isinstance(self.blobs, DirectoryBlobs) else None

    def _call(self, operation: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except UploadRejected:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever the disk or the client raised
            if self._on_error is not None:
                self._on_error(operation)
            raise EvidenceUnavailable(operation, self.where, exc) from exc

    # ----------------------------------------------------------------------- writing

    async def keep_image(self, data: bytes) -> ImageFacts:
        """`put_image` off the event loop, at most `decodes_at_once` at a time."""
        return await asyncio.get_running_loop().run_in_executor(self._decoders, self.put_image, data)

    async def keep_document(self, data: bytes, file_name: str | None) -> DocumentFacts:
        return await asyncio.to_thread(self.put_document, data, file_name)

    def put_image(self, data: bytes) -> ImageFacts:
        """Check, analyse and keep an image; storing the same bytes twice keeps one copy.

        Hashing and staging the original (both release the GIL) overlap with the decode.
        """
        if len(data) > MAX_BYTES:
            raise UploadRejected("too_big")
        staging = _IO_POOL.submit(self._stage, data)
        try:
            inspected = inspect_image(data)
        except BaseException:
            try:
                _, staged = staging.result()
                self.blobs.discard(staged)
            except EvidenceUnavailable:
                pass  # the picture's own fault is the one to report
            raise
        sha256, staged = staging.result()
        facts = ImageFacts(sha256=sha256, size_bytes=len(data), **inspected)
        # The original and the thumbnail at once: two round trips to a bucket overlap.
        original = _IO_POOL.submit(self._call, "write", lambda: self._place(staged, original_key(sha256, facts.ext)))
        try:
            self._call("write", lambda: self.blobs.put(thumbnail_key(sha256), facts.thumbnail_jpeg))
        finally:
            original.result()
        return facts

    def _place(self, staged: object, key: str) -> None:
        try:
            self.blobs.place(staged, key)
        except BaseException:
            with contextlib.suppress(OSError):  # the placing's failure is the one to report
                self.blobs.discard(staged)
            raise

    def _stage(self, data: bytes) -> tuple[str, object]:
        return hashlib.sha256(data).hexdigest(), self._call("write", lambda: self.blobs.stage(data))

    def put_document(self, data: bytes, file_name: str | None) -> DocumentFacts:
        facts = DocumentFacts(hashlib.sha256(data).hexdigest(), document_ext(data, file_name), len(data))
        self._call("write", lambda: self.blobs.put(original_key(facts.sha256, facts.ext), data))
        return facts

    # ----------------------------------------------------------------------- reading

    def original(self, sha256: str, ext: str) -> bytes | None:
        key = original_key(sha256, ext)
        return self._call("read", lambda: self.blobs.get(key))

    def thumbnail(self, sha256: str) -> bytes | None:
        key = thumbnail_key(sha256)
        return self._call("read", lambda: self.blobs.get(key))

    async def read_original(self, sha256: str, ext: str) -> bytes | None:
        return await asyncio.to_thread(self.original, sha256, ext)

    async def read_thumbnail(self, sha256: str) -> bytes | None:
        return await asyncio.to_thread(self.thumbnail, sha256)

    async def read_thumbnails(self, hashes: Iterable[str]) -> dict[str, bytes]:
        """Those of `hashes` that have a thumbnail, a few reads at a time."""
        wanted = list(dict.fromkeys(hashes))
        found = await asyncio.gather(*(asyncio.to_thread(self.thumbnail, h) for h in wanted))
        return {h: data for h, data in zip(wanted, found, strict=True) if data is not None}

    async def has_original(self, sha256: str, ext: str) -> bool:
        key = original_key(sha256, ext)
        return await asyncio.to_thread(self._call, "read", lambda: self.blobs.size(key)) is not None

    # ----------------------------------------------------------------------- readiness

    async def check(self) -> None:
        """Write, read back and delete a small object; raises EvidenceUnavailable."""
        key = f".readyz/{secrets.token_hex(8)}"
        probe = secrets.token_bytes(16)

        def round_trip() -> None:
            self._call("write", lambda: self.blobs.put(key, probe))
            try:
                if self._call("read", lambda: self.blobs.get(key)) != probe:
                    self._call("read", _raise_mismatch)
            finally:
                self._call("delete", lambda: self.blobs.delete(key))

        await asyncio.to_thread(round_trip)


def _raise_mismatch() -> None:
    raise OSError("read back other bytes than written")


def _check_hash(sha256: str) -> None:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256 hex digest")
