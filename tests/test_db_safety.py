"""What the storage layer promises an operator: no user data in logs, nothing undone by power loss."""
from __future__ import annotations

import logging
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError

from storage.db import commit, create_engine, create_sessionmaker, create_sync_engine, durable, sqlite_url
from storage.evidence_store import EvidenceStore, original_key, thumbnail_key
from storage.models import User
from sqlalchemy.engine import make_url
from testkit import images
from testkit.botkit import texts
from testkit.worlds import NEAR_E001, ZHANG, harness, world  # noqa: F401 - fixtures used below
from testkit.visitflow import Walk, to_card

SECRET_NAME = "张秘密"
SECRET_USERNAME = "secret_handle_42"


async def test_a_failing_statement_logs_no_user_data(sessionmaker, caplog):  # noqa: ANN001
    """The engine's error (what aiogram and our loggers print with the traceback) names the
    statement but not the values a person gave."""
    now = datetime(2026, 3, 16, tzinfo=timezone.utc)
    row = dict(telegram_id=1, full_name=SECRET_NAME, username=SECRET_USERNAME, created_at=now,
               failed_starts=0)
    async with sessionmaker() as session:
        await session.execute(insert(User).values(**row))
        with pytest.raises(IntegrityError) as caught:
            await session.execute(insert(User).values(**{**row, "id": 1}))  # the same primary key
    with caplog.at_level(logging.ERROR):
        logging.getLogger("tepai.test").error("handling failed", exc_info=caught.value)
    assert "INSERT INTO users" in caplog.text  # the statement is still there to debug by
    assert SECRET_NAME not in caplog.text and SECRET_USERNAME not in caplog.text


def test_the_scheduler_engine_hides_parameters_too(tmp_path):  # noqa: ANN001
    engine = create_sync_engine(f"sqlite:///{tmp_path / 'jobs.db'}")
    try:
        assert engine.hide_parameters
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- power loss


@pytest.fixture
def synced(monkeypatch) -> set[int]:  # noqa: ANN001
    """The inodes our code fsyncs (files and directories), recorded on the way to the real fsync."""
    inodes: set[int] = set()
    real = os.fsync

    def fsync(fd: int) -> None:
        inodes.add(os.fstat(fd).st_ino)
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return inodes


def test_evidence_files_and_their_directories_are_on_disk_when_stored(tmp_path, synced):  # noqa: ANN001
    """Before the store returns (so before any row naming a file can be written, let alone
    committed), each file and each directory entry leading to it has been synced."""
    store = EvidenceStore(tmp_path / "evidence")
    facts = store.put_image(images.jpeg(3))
    doc = store.put_document(b"%PDF-1.4 minutes of the meeting", "minutes.pdf")
    paths = [store.root / key for key in (original_key(facts.sha256, facts.ext), thumbnail_key(facts.sha256),
                                          original_key(doc.sha256, "pdf"))]
    for path in paths:
        assert path.stat().st_ino in synced, f"{path} not synced"
        for directory in (path.parent, path.parent.parent):  # .../ab/ and originals/ (both new)
            assert directory.stat().st_ino in synced, f"{directory} not synced"


async def test_a_stored_visit_is_on_disk_when_its_commit_returns(tmp_path, synced):  # noqa: ANN001
    """SQLite runs synchronous=NORMAL (a commit reaches the WAL but not the disk); a commit marked
    durable also syncs the WAL, as synchronous=FULL would for that commit alone."""
    database = tmp_path / "tepai.db"
    engine = create_engine(sqlite_url(database))
    try:
        sessionmaker = create_sessionmaker(engine)
        async with sessionmaker() as session:
            await session.execute(text("CREATE TABLE t (x)"))
            await commit(session)
            wal = Path(f"{database}-wal").stat().st_ino
            assert wal not in synced  # an ordinary commit: no fsync of ours
            await session.execute(text("INSERT INTO t VALUES (1)"))
            durable(session)
            await commit(session)
        assert wal in synced
    finally:
        await engine.dispose()


async def test_confirming_a_visit_syncs_its_commit(harness, world, database_url, synced):  # noqa: ANN001, F811
    if make_url(database_url).get_backend_name() != "sqlite":
        pytest.skip("PostgreSQL's commits are durable already (synchronous_commit=on)")
    walk = Walk(harness, ZHANG)
    await to_card(walk, "阳泉华鑫耐火材料有限公司", images.jpeg(5), NEAR_E001)
    synced.clear()
    assert "已记录" in "".join(texts(await walk.press("✅ 确认提交")))
    assert Path(f"{make_url(database_url).database}-wal").stat().st_ino in synced
