"""`tepai backup` / `tepai restore`: the SQLite database (copied with SQLite's online backup, so a
running bot need not stop) and the evidence folder, in one .tar.gz."""
from __future__ import annotations

import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from storage.blobs import DirectoryBlobs

DATABASE_NAME = "tepai.db"
EVIDENCE_NAME = "evidence"


class BackupError(Exception):
    """`key` names a catalogue text (cli.backup_<key>)."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key, self.values = key, values


Report = Callable[[int, int], object]  # (done, total): the command line's progress bar


def _reporting(items: list, progress: Report) -> Iterator:
    """Each item in turn, reporting how many went before (a tar member is written or extracted
    when the next one is asked for, so the count follows the work)."""
    progress(0, len(items))
    for done, item in enumerate(items):
        yield item
        progress(done + 1, len(items))


def backup(database: Path, evidence: Path | None, archive: Path, progress: Report = lambda done, total: None) -> int:
    """Write the archive; returns how many evidence files it holds (`evidence` None: the database
    alone). `progress` is told the evidence files archived so far."""
    if not database.is_file():
        raise BackupError("no_database", path=database)
    archive.parent.mkdir(parents=True, exist_ok=True)
    files = 0
    with tempfile.TemporaryDirectory() as work:
        copy = Path(work) / DATABASE_NAME
        source, target = sqlite3.connect(database), sqlite3.connect(copy)
        try:
            source.backup(target)  # consistent even while the bot writes
        finally:
            target.close()
            source.close()
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(copy, arcname=DATABASE_NAME)
            # The store's keys, not every file: uploads on their way (staging/, .tmp-…) and /readyz's
            # probes come and go while the bot runs, and are no evidence.
            keys = list(DirectoryBlobs(evidence).keys()) if evidence is not None else []
            for key in _reporting(keys, progress):
                tar.add(evidence / key, arcname=f"{EVIDENCE_NAME}/{key}")
                files += 1
    return files


def restore(archive: Path, database: Path, evidence: Path, *, force: bool,
            progress: Report = lambda done, total: None) -> int:
    """Put the archive's database and evidence in place; refuses to overwrite without `force`.
    `progress` is told the archive's files extracted so far."""
    if not archive.is_file():
        raise BackupError("no_archive", path=archive)
    if database.exists() and not force:
        raise BackupError("exists", path=database)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            names = tar.getnames()
            if DATABASE_NAME not in names:
                raise BackupError("not_a_backup", path=archive)
            members = [m for m in tar.getmembers()
                       if m.name == DATABASE_NAME or m.name.startswith(f"{EVIDENCE_NAME}/")]
            with tempfile.TemporaryDirectory(dir=database.parent if database.parent.exists() else None) as work:
                # filter="data": no paths outside the folder
                tar.extractall(work, members=_reporting(members, progress), filter="data")
                database.parent.mkdir(parents=True, exist_ok=True)
                for suffix in ("-wal", "-shm"):  # a stale journal must not be replayed onto the copy
                    Path(f"{database}{suffix}").unlink(missing_ok=True)
                Path(work, DATABASE_NAME).replace(database)
                files = 0
                for path in sorted(Path(work, EVIDENCE_NAME).rglob("*")):
                    if path.is_file():
                        target = evidence / path.relative_to(Path(work, EVIDENCE_NAME))
                        target.parent.mkdir(parents=True, exist_ok=True)
                        shutil.move(path, target)  # the evidence folder may be on another file system
                        files += 1
    except (tarfile.TarError, EOFError) as exc:
        raise BackupError("not_a_backup", path=archive) from exc
    return files
