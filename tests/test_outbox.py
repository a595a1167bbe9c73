"""The outbox and its one sender against a local Bot API server that enforces Telegram's rules."""
from __future__ import annotations

import asyncio
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select

from bot.factory import create_bot
from domain.policy import load_policy
from messages.outbox import Outgoing, enqueue, evidence_document
from scheduler.sender import OutboxSender
from storage.db import create_engine, create_sessionmaker
from storage.evidence_store import EvidenceStore
from storage.models import Enterprise, OutboxMessage, RoleGrant, User
from storage.repositories import Repos
from testkit.botkit import BOT_TOKEN
from testkit.images import PDF
from testkit.fakes.rate_limited_api import RateLimitedBotApi

ZONE = ZoneInfo("Asia/Shanghai")
POLICY = load_policy("yangquan")


async def make_users(sessionmaker, clock, count: int) -> list[User]:  # noqa: ANN001
    async with sessionmaker() as session:
        await session.execute(insert(User), [
            {"telegram_id": 500_000 + i, "full_name": f"用户{i}", "created_at": clock.now(), "failed_starts": 0}
            for i in range(count)])
        await session.commit()
        return list((await session.scalars(select(User).order_by(User.id))).all())


async def queue_all(sessionmaker, clock, users: list[User], kind: str = "notice") -> None:  # noqa: ANN001
    async with sessionmaker() as session:
        repos = Repos(session)
        for user in users:
            await enqueue(repos, clock, POLICY, ZONE, Outgoing(f"{kind}:{user.id}", user, f"第 {user.id} 条通知"))
        await repos.commit()


@pytest.fixture
async def api():
    server = RateLimitedBotApi(per_second=10_000)
    url = await server.start()
    bot = create_bot(BOT_TOKEN, api_server=url)
    yield server, bot
    await bot.session.close()
    await server.stop()


async def statuses(sessionmaker) -> dict[str, int]:  # noqa: ANN001
    async with sessionmaker() as session:
        rows = await session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
        return dict(rows.all())


async def test_same_key_is_queued_once(sessionmaker, clock) -> None:
    [user] = await make_users(sessionmaker, clock, 1)
    for _ in range(3):
        await queue_all(sessionmaker, clock, [user])
    assert await statuses(sessionmaker) == {"pending": 1}


async def test_crash_mid_fan_out_then_restart_sends_each_once(sessionmaker, clock, api) -> None:
    server, bot = api
    users = await make_users(sessionmaker, clock, 1000)
    await queue_all(sessionmaker, clock, users)
    first = OutboxSender(sessionmaker, bot, clock, POLICY, ZONE, per_second=5000, per_chat_interval=0)
    task = asyncio.create_task(first.run_once())
    while sum(server.received.values()) < 300:
        await asyncio.sleep(0.01)
    task.cancel()  # the sender dies part way through the batch
    with pytest.raises(asyncio.CancelledError):
        await task
    # The old sender is gone once what it handed to Telegram is marked (its deliveries are shielded):
    # only then does the new one start, as after a restart.
    for _ in range(200):
        if (await statuses(sessionmaker)).get("sent", 0) == sum(server.received.values()):
            break
        await asyncio.sleep(0.05)
    partial = sum(server.received.values())
    assert 300 <= partial < 1000
    second = OutboxSender(sessionmaker, bot, clock, POLICY, ZONE, per_second=5000, per_chat_interval=0)
    await second.run_once()
    assert len(server.received) == 1000 and set(server.received.values()) == {1}
    assert await statuses(sessionmaker) == {"sent": 1000}


async def test_retry_after_is_honoured_and_nothing_is_lost(sessionmaker, clock, api) -> None:
    server, bot = api
    server.per_second = 40  # Telegram's limit here; the sender is configured too fast
    server.busy_calls = {3}  # a 429 even when a loaded machine sends slower than the limit
    users = await make_users(sessionmaker, clock, 100)
    await queue_all(sessionmaker, clock, users)
    sender = OutboxSender(sessionmaker, bot, clock, POLICY, ZONE, per_second=200, per_chat_interval=0)
    await sender.run_once()
    assert server.too_many > 0 and sender.stats["retry_after"] == server.too_many
    assert len(server.received) == 100 and set(server.received.values()) == {1}


async def test_blocked_user_is_unreachable_and_their_county_admin_told_once(sessionmaker, clock, api) -> None:
    server, bot = api
    blocked, admin = await make_users(sessionmaker, clock, 2)
    async with sessionmaker() as session:
        enterprise = Enterprise(code="E1", name="某企业", county="城区")
        session.add(enterprise)
        await session.flush()
        session.add_all([
            RoleGrant(user_id=blocked.id, role="enterprise", subject_key=f"enterprise:{enterprise.id}",
                      enterprise_id=enterprise.id, display_name="李明", subject_name="某企业",
                      granted_at=clock.now()),
            RoleGrant(user_id=admin.id, role="county", subject_key="county:城区", county="城区",
                      display_name="王敏", subject_name="城区", granted_at=clock.now()),
        ])
        await session.commit()
    server.forbidden = {blocked.telegram_id}
    await queue_all(sessionmaker, clock, [blocked], kind="a")
    await queue_all(sessionmaker, clock, [blocked], kind="b")
    sender = OutboxSender(sessionmaker, bot, clock, POLICY, ZONE, per_second=1000, per_chat_interval=0)
    await sender.run_once()
    await sender.run_once()
    assert server.received == {admin.telegram_id: 1}
    async with sessionmaker() as session:
        assert (await session.get(User, blocked.id)).unreachable_at is not None
    assert await statuses(sessionmaker) == {"unreachable": 2, "sent": 1}


async def test_server_errors_are_retried_with_backoff(sessionmaker, clock, api) -> None:
    server, bot = api
    server.server_errors = 1
    [user] = await make_users(sessionmaker, clock, 1)
    await queue_all(sessionmaker, clock, [user])
    sender = OutboxSender(sessionmaker, bot, clock, POLICY, ZONE, per_second=1000, per_chat_interval=0)
    assert await sender.run_once() == 0  # 502: kept for later
    assert await sender.run_once() == 0  # not due yet
    clock.advance(timedelta(seconds=3))
    assert await sender.run_once() == 1
    assert server.received == {user.telegram_id: 1}


async def test_batches_fetched_ahead_send_each_message_once_in_order(sessionmaker, clock, api) -> None:
    """With a batch of 4, the next batch is read while the last of the current one goes out; a
    message that fails with a 502 meanwhile comes back once it is due, whatever its id."""
    server, bot = api
    server.server_errors = 1  # the first message fails once and is kept for later
    users = await make_users(sessionmaker, clock, 23)
    await queue_all(sessionmaker, clock, users)
    sender = OutboxSender(sessionmaker, bot, clock, POLICY, ZONE, per_second=10_000, per_chat_interval=0,
                          batch=4)
    assert await sender.run_once() == 22
    assert len(server.received) == 22 and set(server.received.values()) == {1}
    assert await statuses(sessionmaker) == {"sent": 22, "pending": 1}
    clock.advance(timedelta(seconds=3))
    assert await sender.run_once() == 1
    assert len(server.received) == 23 and set(server.received.values()) == {1}


async def test_per_chat_interval_spaces_one_chats_messages(sessionmaker, clock, api) -> None:
    server, bot = api
    [user] = await make_users(sessionmaker, clock, 1)
    await queue_all(sessionmaker, clock, [user], kind="x")
    await queue_all(sessionmaker, clock, [user], kind="y")
    sender = OutboxSender(sessionmaker, bot, clock, POLICY, ZONE, per_second=1000, per_chat_interval=0.3)
    loop = asyncio.get_running_loop()
    start = loop.time()
    assert await sender.run_once() == 2
    assert loop.time() - start >= 0.29


def test_rate_limiter_is_a_sliding_window_with_per_chat_spacing() -> None:
    from scheduler.sender import RateLimiter

    clock = [100.0]
    limiter = RateLimiter(per_second=3, per_chat_interval=1.0, now=lambda: clock[0], window=1.0)
    for chat in (1, 2, 3):
        assert limiter.ready_at(chat) <= clock[0]
        limiter.taken(chat)
    assert limiter.ready_at(4) == 101.0  # a fourth in the same second waits for the window
    assert limiter.ready_at(1) == 101.0  # and chat 1 for its own interval
    clock[0] = 100.5
    limiter.pause(2.0)  # RetryAfter
    assert limiter.ready_at(4) == 102.5
    clock[0] = 103.0
    assert limiter.ready_at(4) <= clock[0]  # the window has moved on


async def until_received(server, count: int, sender: asyncio.Task, timeout: float = 60) -> None:  # noqa: ANN001
    """Wait until the server took `count` messages; fail (not hang) if the sender stopped or stalled."""
    async def poll() -> None:
        while sum(server.received.values()) < count:
            if sender.done():
                raise AssertionError(f"the sender stopped early: {sender.result() if not sender.exception() else sender.exception()!r}")
            await asyncio.sleep(0.01)
    await asyncio.wait_for(poll(), timeout)


# --- two senders on one database: claims ------------------------------------------------------

async def test_two_senders_on_one_database_send_each_message_once(sessionmaker, clock, api, database_url) -> None:
    """Two processes that both believe they may send (one's lease lapsed a moment ago): each row
    is claimed by one of them, so none goes out twice. Each has its own engine, as a process would;
    the second starts while the first is under way (without claims it sent the same rows again)."""
    server, bot = api
    users = await make_users(sessionmaker, clock, 300)
    await queue_all(sessionmaker, clock, users)
    other_engine = create_engine(database_url)
    try:
        first, second = (OutboxSender(maker, bot, clock, POLICY, ZONE, per_second=60, per_chat_interval=0, batch=20,
                                      owner=owner)
                         for maker, owner in ((sessionmaker, "host-a:1:aa"),
                                              (create_sessionmaker(other_engine), "host-b:2:bb")))
        running = asyncio.create_task(first.run_once())
        await until_received(server, 20, running)  # five seconds of sending in all
        counts = [*await asyncio.gather(second.run_once(), running)]
    finally:
        await other_engine.dispose()
    assert len(server.received) == 300 and set(server.received.values()) == {1}
    assert sum(counts) == 300 and min(counts) > 0, counts  # both sent, never the same row
    assert await statuses(sessionmaker) == {"sent": 300}


async def test_a_claim_takes_at_most_its_limit_oldest_first(sessionmaker, clock) -> None:
    """As `id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)` PostgreSQL claimed every due row."""
    users = await make_users(sessionmaker, clock, 50)
    await queue_all(sessionmaker, clock, users)
    now, until = clock.now(), clock.now() + timedelta(minutes=2)
    async with sessionmaker() as session:
        first = await Repos(session).outbox.claim("a", now, until, limit=20)
        second = await Repos(session).outbox.claim("b", now, until, limit=20)
        await session.commit()
    assert [r.id for r in first] == sorted(r.id for r in first) and len(first) == 20
    assert len(second) == 20 and min(r.id for r in second) > max(r.id for r in first)
    assert {r.claimed_by for r in first} == {"a"} and {r.claimed_by for r in second} == {"b"}


async def test_a_claimed_row_waits_for_its_claim_to_lapse(sessionmaker, clock, api) -> None:
    server, bot = api
    users = await make_users(sessionmaker, clock, 3)
    await queue_all(sessionmaker, clock, users)
    crashed = OutboxSender(sessionmaker, bot, clock, POLICY, ZONE, owner="host-a:1:aa")
    assert len(await crashed.claims.take(10)) == 3  # claimed, then the process was killed
    other = OutboxSender(sessionmaker, bot, clock, POLICY, ZONE, per_second=1000, per_chat_interval=0,
                         owner="host-b:2:bb")
    assert await other.run_once() == 0 and not server.received
    clock.advance(crashed.claims.ttl + timedelta(seconds=1))
    assert await other.run_once() == 3
    assert len(server.received) == 3 and set(server.received.values()) == {1}


async def test_no_message_starts_when_its_claim_would_lapse_on_the_way(sessionmaker, clock, api) -> None:
    """A send is only started while the claim outlasts the longest call and its mark; else the
    row is let go for the next round (a stalled sender must not send what another may take)."""
    server, bot = api
    [user] = await make_users(sessionmaker, clock, 1)
    await queue_all(sessionmaker, clock, [user])
    sender = OutboxSender(sessionmaker, bot, clock, POLICY, ZONE, per_second=1000, per_chat_interval=0,
                          owner="host-a:1:aa")
    [row] = await sender.claims.take(10)
    clock.advance(sender.claims.ttl - sender.claims.needs_left)  # the event loop stalled this long
    assert await sender._deliver(row) == "claim_lapsing"
    assert not server.received
    async with sessionmaker() as session:
        assert (await session.get(OutboxMessage, row.id)).status == "pending"


async def test_a_stopped_sender_lets_go_of_what_it_had_not_started(sessionmaker, clock, api) -> None:
    server, bot = api
    users = await make_users(sessionmaker, clock, 200)
    await queue_all(sessionmaker, clock, users)
    sender = OutboxSender(sessionmaker, bot, clock, POLICY, ZONE, per_second=200, per_chat_interval=0, batch=50,
                          owner="host-a:1:aa")
    task = asyncio.create_task(sender.run_once())
    await until_received(server, 20, task)
    task.cancel()  # the lease was lost
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(200):  # what was on its way is marked
        if (await statuses(sessionmaker)).get("sent", 0) == sum(server.received.values()):
            break
        await asyncio.sleep(0.05)
    async with sessionmaker() as session:
        claimed = (await session.scalars(select(OutboxMessage.id).where(
            OutboxMessage.status == "pending", OutboxMessage.claimed_by.is_not(None)))).all()
    assert claimed == []  # the clock has not moved: without the release these would wait two minutes


# --- messages with attachments: each part once ------------------------------------------------

async def queue_with_documents(sessionmaker, clock, user: User, documents: list[dict]) -> None:  # noqa: ANN001
    async with sessionmaker() as session:
        repos = Repos(session)
        await enqueue(repos, clock, POLICY, ZONE, Outgoing(f"report:{user.id}", user, "季度报告", documents=tuple(documents)))
        await repos.commit()


async def test_a_failed_attachment_is_sent_again_alone(sessionmaker, clock, api, tmp_path) -> None:
    """Text, then two files; the second file meets a 502. The retry sends that file only: the
    text and the first file reached the recipient already (they used to go again on every retry)."""
    server, bot = api
    [user] = await make_users(sessionmaker, clock, 1)
    files = []
    for name in ("照片1.jpg", "照片2.jpg"):
        (tmp_path / name).write_bytes(b"\xff\xd8" + name.encode())
        files.append({"path": str(tmp_path / name), "name": name})
    await queue_with_documents(sessionmaker, clock, user, files)
    server.fail_calls = {3}  # the second document
    sender = OutboxSender(sessionmaker, bot, clock, POLICY, ZONE, per_second=1000, per_chat_interval=0)
    assert await sender.run_once() == 0
    async with sessionmaker() as session:
        row = (await session.scalars(select(OutboxMessage))).one()
        assert (row.status, row.parts_sent, row.attempts) == ("pending", 2, 1)
    clock.advance(timedelta(seconds=3))
    assert await sender.run_once() == 1
    assert server.delivered == [("sendMessage", user.telegram_id, "季度报告"),
                                ("sendDocument", user.telegram_id, "照片1.jpg"),
                                ("sendDocument", user.telegram_id, "照片2.jpg")]
    assert await statuses(sessionmaker) == {"sent": 1}


async def test_a_missing_attachment_fails_for_good_and_tells_the_bureau(sessionmaker, clock, api, tmp_path) -> None:
    server, bot = api
    recipient, bureau = await make_users(sessionmaker, clock, 2)
    async with sessionmaker() as session:
        session.add(RoleGrant(user_id=bureau.id, role="bureau", subject_key="bureau", display_name="赵局",
                              subject_name="市科技局", granted_at=clock.now()))
        await session.commit()
    (tmp_path / "kept.pdf").write_bytes(b"%PDF-1.4")
    await queue_with_documents(sessionmaker, clock, recipient, [
        {"path": str(tmp_path / "kept.pdf"), "name": "kept.pdf"},
        {"path": str(tmp_path / "evidence" / "lost.jpg"), "name": "现场照片.jpg"}])
    sender = OutboxSender(sessionmaker, bot, clock, POLICY, ZONE, per_second=1000, per_chat_interval=0)
    for _ in range(5):  # rounds, hours apart: no retry loop
        await sender.run_once()
        clock.advance(timedelta(hours=1))
    assert server.received == {bureau.telegram_id: 1}  # the recipient got nothing half-sent
    async with sessionmaker() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == recipient.id))
    assert (row.status, row.attempts, row.parts_sent) == ("failed", 0, 0)
    assert "lost.jpg" in row.last_error
    [(_, _, notice)] = server.delivered
    assert f"#{row.id}" in notice and "用户0" in notice and "lost.jpg" in notice and "尚未收到任何内容" in notice


async def test_evidence_documents_are_read_through_the_evidence_store(sessionmaker, clock, api,  # noqa: ANN001
                                                                      evidence_blobs) -> None:
    """A report's files are named by content address and read from the store (a directory or a
    bucket) by the sender, whichever process it runs in; a store that cannot be read now is
    retried later, not failed for good."""
    server, bot = api
    first, second = await make_users(sessionmaker, clock, 2)
    store = EvidenceStore(evidence_blobs)
    doc = store.put_document(PDF, "纪要.pdf")
    await queue_with_documents(sessionmaker, clock, first, [evidence_document(doc.sha256, doc.ext, "纪要.pdf")])
    sender = OutboxSender(sessionmaker, bot, clock, POLICY, ZONE, per_second=1000, per_chat_interval=0, evidence=store)
    assert await sender.run_once() == 1
    assert server.delivered[-1] == ("sendDocument", first.telegram_id, "纪要.pdf")

    failures: list[str] = []
    if store.root is not None:  # a folder under a file: every read fails (not "no such file")
        blocker = store.root.parent / "blocked"
        blocker.write_bytes(b"")
        broken = EvidenceStore(blocker / "evidence", on_error=failures.append)
    else:  # a bucket behind a port nobody listens on
        from storage.blobs import S3Access, S3Blobs
        from testkit.ports import free_port
        from testkit.s3 import ACCESS

        broken = EvidenceStore(S3Blobs("gone", "ev", S3Access(endpoint=f"http://127.0.0.1:{free_port()}",
                                                              timeout_s=1, **ACCESS)), on_error=failures.append)
    await queue_with_documents(sessionmaker, clock, second, [evidence_document(doc.sha256, doc.ext, "纪要.pdf")])
    cut_off = OutboxSender(sessionmaker, bot, clock, POLICY, ZONE, per_second=1000, per_chat_interval=0,
                           evidence=broken)
    assert await cut_off.run_once() == 0
    async with sessionmaker() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == second.id))
    assert (row.status, row.attempts, row.parts_sent) == ("pending", 1, 0)
    assert failures == ["read"]


async def test_a_messages_documents_are_read_one_at_a_time_as_they_go(sessionmaker, clock, api, tmp_path) -> None:
    """A report carries up to five files of up to 20 MB each, and the sender has several messages on
    their way at once: each document is read from the store when its turn comes, not all of them
    before the text (which held a whole report in memory per recipient)."""
    from storage.blobs import DirectoryBlobs

    server, bot = api
    [user] = await make_users(sessionmaker, clock, 1)
    sent_before_read: list[int] = []

    class Watched(DirectoryBlobs):  # the real folder store, noting how far the message was at each read
        def get(self, key: str) -> bytes | None:
            sent_before_read.append(len(server.delivered))
            return super().get(key)

    store = EvidenceStore(Watched(tmp_path / "evidence"))
    docs = [store.put_document(PDF + bytes([n]), f"附件{n}.pdf") for n in range(3)]
    await queue_with_documents(sessionmaker, clock, user,
                               [evidence_document(d.sha256, d.ext, f"附件{n}.pdf") for n, d in enumerate(docs)])
    sender = OutboxSender(sessionmaker, bot, clock, POLICY, ZONE, per_second=1000, per_chat_interval=0, evidence=store)
    assert await sender.run_once() == 1
    assert [kind for kind, _, _ in server.delivered] == ["sendMessage", "sendDocument", "sendDocument", "sendDocument"]
    assert sent_before_read == [1, 2, 3]  # after the text, after the first file, after the second
