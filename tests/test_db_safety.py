"""What the database layer promises an operator: no user data in logs."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from storage.db import create_sync_engine
from storage.models import User

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
