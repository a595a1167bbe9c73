"""Where evidence bytes live: a directory on this machine, or a bucket of S3-compatible object
storage (AWS S3, MinIO, Aliyun OSS, Tencent COS), chosen by TEPAI_EVIDENCE_URL. Both hold the same
keys (`originals/ab/<sha256>.<ext>`, `thumbs/ab/<sha256>.jpg`), written once and never changed, so
a key names its bytes everywhere and `tepai evidence migrate` copies one into the other as it is.

The calls block (file system or network): callers run them in threads, as they already did for
decoding. The bucket is reached with obstore (object_store, the Rust client behind Apache Arrow
and Delta Lake): one small wheel, path-style or virtual-hosted addressing, and no credentials or
ACLs of its own making, so every object stays private (no public-read ACL, no URL handed out).
"""
from __future__ import annotations

import os
import stat
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit


class Blobs(Protocol):
    """Write-once keyed bytes. `where` names the store in messages (never a secret)."""

    where: str

    def stage(self, data: bytes) -> object:
        """Start keeping bytes whose key is not known yet (a slow part may overlap other work)."""

    def place(self, staged: object, key: str) -> None:
        """Keep what `stage` started under `key`; durable when it returns. If it raises, what was
        staged is still there for `discard`."""

    def discard(self, staged: object) -> None: ...

    def put(self, key: str, data: bytes, replace: bool = False) -> None:
        """Keep `data` under `key` unless the key is there already (or `replace`: write it all the
        same, to mend a damaged copy); durable when it returns."""

    def get(self, key: str) -> bytes | None: ...

    def size(self, key: str) -> int | None:
        """The stored size, or None when nothing is stored under `key`."""

    def delete(self, key: str) -> None: ...

    def keys(self) -> Iterator[str]:
        """Every key stored (not the store's own scratch files)."""


# --------------------------------------------------------------------------- a directory


class DirectoryBlobs:
    """Files under `root`. Every file is on disk before `put`/`place` returns: its bytes are
    fsynced before the rename that places it, and its directory (with any directory made for it)
    after, so the `stored_files` row naming it, committed later, never outlives it through a
    power loss."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.where = str(root)

    def _path(self, key: str) -> Path:
        return self.root / key

    def stage(self, data: bytes) -> Path:
        staging = self.root / "staging"
        staging.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=staging, prefix=".up-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())  # here, overlapping the caller's other work, not after it
        return Path(tmp)

    def place(self, staged: object, key: str) -> None:
        """Move a staged (synced) file to its key (atomic), and sync the directory that now names
        it; drop it if that file already exists."""
        assert isinstance(staged, Path)
        path = self._path(key)
        if path.exists():
            staged.unlink(missing_ok=True)
            return
        _make_dirs(path.parent)
        os.replace(staged, path)
        _fsync_dir(path.parent)

    def discard(self, staged: object) -> None:
        assert isinstance(staged, Path)
        staged.unlink(missing_ok=True)

    def put(self, key: str, data: bytes, replace: bool = False) -> None:
        path = self._path(key)
        if path.exists() and not replace:
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

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            return None

    def size(self, key: str) -> int | None:
        # As `get`: only a missing file is None; a disk that cannot be read (a path through a
        # file, no permission) raises, and is not taken for lost evidence.
        try:
            found = self._path(key).stat()
        except FileNotFoundError:
            return None
        return found.st_size if stat.S_ISREG(found.st_mode) else None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            key = path.relative_to(self.root).as_posix()
            # not the staging folder, temporary files or /readyz's probes
            if path.is_file() and not key.startswith("staging/") and not any(p.startswith(".") for p in key.split("/")):
                yield key


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


# --------------------------------------------------------------------------- a bucket


@dataclass(frozen=True)
class S3Access:
    """How to reach the bucket (TEPAI_S3_*): `endpoint` for anything but AWS itself (MinIO,
    https://oss-cn-beijing.aliyuncs.com, https://cos.ap-beijing.myqcloud.com); path-style
    addressing unless `virtual_hosted` (OSS and COS want bucket.host). Without a key and secret
    the client reads AWS_* variables or the machine's role, as the AWS tools do."""

    endpoint: str | None = None
    access_key: str | None = None
    secret_key: str | None = field(default=None, repr=False)  # never in a log line or a traceback's repr
    region: str = "us-east-1"
    virtual_hosted: bool = False
    timeout_s: float = 30.0


BUCKET_SEEN_S = 60.0


class S3Blobs:
    """Objects under `prefix` in one bucket. A PUT that returned is durable (S3's guarantee), so
    staging is nothing: the bytes are kept in memory until their key is known."""

    def __init__(self, bucket: str, prefix: str, access: S3Access) -> None:
        from obstore.store import S3Store

        config: dict[str, object] = {"region": access.region,
                                     "virtual_hosted_style_request": access.virtual_hosted}
        if access.endpoint:
            config["endpoint"] = access.endpoint
        if access.access_key and access.secret_key:
            config["access_key_id"] = access.access_key
            config["secret_access_key"] = access.secret_key
        timeout = timedelta(seconds=access.timeout_s)
        self._store = S3Store(
            bucket, prefix=prefix or None, config=config,
            client_options={"allow_http": bool(access.endpoint and access.endpoint.startswith("http://")),
                            "timeout": timeout, "connect_timeout": timedelta(seconds=min(access.timeout_s, 10))},
            retry_config={"max_retries": 3, "backoff": {"init_backoff": timedelta(milliseconds=100)},
                          "retry_timeout": timeout})
        self.where = f"s3://{bucket}/{prefix}".rstrip("/")
        self._bucket_seen = -BUCKET_SEEN_S  # when a listing last showed the bucket exists

    def stage(self, data: bytes) -> bytes:
        return data

    def place(self, staged: object, key: str) -> None:
        assert isinstance(staged, bytes)
        self.put(key, staged)

    def discard(self, staged: object) -> None:
        pass

    def put(self, key: str, data: bytes, replace: bool = False) -> None:
        import obstore

        if not replace and self.size(key) == len(data):  # content-addressed: a key holds its bytes
            return
        obstore.put(self._store, key, data)

    def get(self, key: str) -> bytes | None:
        import obstore

        try:
            return bytes(obstore.get(self._store, key).bytes())
        except FileNotFoundError:
            return self._missing()

    def size(self, key: str) -> int | None:
        import obstore

        try:
            return obstore.head(self._store, key)["size"]
        except FileNotFoundError:
            return self._missing()

    def _missing(self) -> None:
        """S3 answers 404 for a missing object and for a missing bucket alike. A wrong bucket name
        must not read as lost files (the sender would give up on their messages for good), so a
        miss is believed once a listing shows the bucket is there (remembered for a minute);
        otherwise the listing's error is raised."""
        import obstore

        if time.monotonic() - self._bucket_seen > BUCKET_SEEN_S:
            next(iter(obstore.list(self._store, prefix=".readyz/", chunk_size=1)), None)
            self._bucket_seen = time.monotonic()
        return None

    def delete(self, key: str) -> None:
        import obstore

        obstore.delete(self._store, key)

    def keys(self) -> Iterator[str]:
        import obstore

        for batch in obstore.list(self._store):
            for meta in batch:
                yield meta["path"]


class BadEvidenceUrl(ValueError):
    pass


def directory_of(url: str) -> Path | None:
    """The directory a path or `file:///path` names; None for `s3://bucket/prefix`."""
    parts = urlsplit(url)
    if parts.scheme == "s3":
        if not parts.netloc:
            raise BadEvidenceUrl(url)
        return None
    if parts.scheme == "file":
        return Path(parts.path)
    if parts.scheme and len(parts.scheme) > 1:  # not a Windows drive letter
        raise BadEvidenceUrl(url)
    return Path(url)


def open_blobs(url: str, access: S3Access) -> Blobs:
    """`s3://bucket/prefix` → a bucket; a path or `file:///path` → a directory."""
    directory = directory_of(url)
    if directory is not None:
        return DirectoryBlobs(directory)
    parts = urlsplit(url)
    return S3Blobs(parts.netloc, parts.path.strip("/"), access)
