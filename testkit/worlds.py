"""The bot tests' shared world: the example programme imported, a Dispatcher harness on it, the
people who use it, and helpers to read what each of them received."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from domain.records import Kind
from domain.roles import Role
from services import onboarding
from services.importer import import_file
from services.reminders import reminders_tick
from storage.evidence_store import EvidenceStore
from storage.models import OutboxMessage, Visit
from storage.repositories import Repos
from testkit import images
from testkit.botkit import Harness, Person, texts
from testkit.databases import EXAMPLES
from testkit.visitflow import Walk, to_card

ZHANG = Person(1001, "伟", "张")  # C001: agreements with E001 and E005
WANG = Person(1002, "芳", "王")  # C002: one agreement, with E002
LI_MING = Person(4001, "明", "李")  # contact of E001
ADMIN = Person(3003, "敏", "王")
BUREAU_ADMIN = Person(3001, "建国", "周")
E001 = (37.8612, 113.5791)
NEAR_E001 = (37.8615, 113.5795)  # about 50 m away
E002 = (37.8702, 113.5512)
TODAY_LOCAL = datetime(2026, 3, 16, 9, 30)  # the clock fixture: 10:00 in Shanghai
SHANGHAI = ZoneInfo("Asia/Shanghai")
ZERO = {"report": 0, "overdue": 0, "escalated": 0, "pace": 0, "ending": 0}  # reminders_tick: nothing due


@pytest.fixture
async def world(sessionmaker, clock, tmp_path):  # noqa: ANN001
    async with sessionmaker() as session:
        repos = Repos(session)
        for kind in ("units", "enterprises", "commissioners", "agreements"):
            assert (await import_file(repos, clock, EXAMPLES / f"{kind}.csv", Kind(kind), "test")).ok
        await repos.commit()
    return sessionmaker, EvidenceStore(tmp_path / "evidence")


def build(world, policy, clock) -> Harness:  # noqa: ANN001
    sessionmaker, store = world
    return Harness.build(sessionmaker=sessionmaker, policy=policy, clock=clock, zone=ZoneInfo("Asia/Shanghai"),
                         evidence_store=store)


@pytest.fixture
async def harness(world, policy, clock) -> Harness:  # noqa: ANN001
    h = build(world, policy, clock)
    for person, role, code in ((ZHANG, Role.COMMISSIONER, "C001"), (WANG, Role.COMMISSIONER, "C002"),
                               (LI_MING, Role.ENTERPRISE, "E001"), (ADMIN, Role.COUNTY, "城区")):
        await h.send(person, f"/start {await invite(world[0], clock, role, code)}")
    return h


@pytest.fixture
async def bureau(harness, world, clock) -> Person:  # noqa: ANN001
    await harness.send(BUREAU_ADMIN, f"/start {await invite(world[0], clock, Role.BUREAU, '市科技局')}")
    return BUREAU_ADMIN


async def invite(sessionmaker, clock, role: Role, code: str) -> str:  # noqa: ANN001
    async with sessionmaker() as session:
        repos = Repos(session)
        new = await onboarding.create_invite(repos, clock, await onboarding.resolve_target(repos, role, code), "t")
        await repos.commit()
    return new.token


def inbox(h: Harness, person: Person) -> Walk:
    """A walk over everything the bot sent `person` so far (drained notices too), to press on."""
    return Walk(h, person, [r for r in h.session.requests if getattr(r, "chat_id", None) == person.id])


async def drained_inbox(harness, person: Person) -> Walk:  # noqa: ANN001
    """What one person has received so far (the outbox delivered), as a Walk to press buttons in."""
    await harness.drain()
    return inbox(harness, person)


def received(h: Harness, person: Person, since: int = 0) -> list[str]:
    """Texts sent to `person`, from request number `since` on (the welcome after /start is earlier)."""
    return texts([r for r in h.session.requests[since:] if getattr(r, "chat_id", None) == person.id])


async def logged_visit(harness) -> int:  # noqa: ANN001
    """ZHANG logs an on-site visit to E001; its id."""
    walk = Walk(harness, ZHANG)
    await to_card(walk, "阳泉华鑫耐火材料有限公司", images.jpeg(80), NEAR_E001)
    await walk.press("✅ 确认提交")
    async with harness.sessionmaker() as session:
        return await session.scalar(select(Visit.id).order_by(Visit.id.desc()))


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


async def remind(w, clock, policy, at: datetime | None = None) -> dict[str, int]:  # noqa: ANN001
    """Move the clock (if told) and run the reminders job once, committing as the job does."""
    if at is not None:
        clock.set(at)
    async with w[0]() as session:
        repos = Repos(session)
        counts = await reminders_tick(repos, clock, policy, SHANGHAI)
        await repos.commit()
    return counts


async def queued(w, person: Person | None = None, prefix: str = "") -> list[OutboxMessage]:  # noqa: ANN001
    async with w[0]() as session:
        stmt = select(OutboxMessage).where(OutboxMessage.key.startswith(prefix)).order_by(OutboxMessage.id)
        if person is not None:
            stmt = stmt.where(OutboxMessage.chat_id == person.id)
        return list((await session.scalars(stmt)).all())


async def stored_visits(world) -> list[Visit]:  # noqa: ANN001
    async with world[0]() as session:
        return list((await session.scalars(select(Visit).order_by(Visit.id))).all())


async def finish_on_site(walk: Walk, location=NEAR_E001, **location_kw) -> list[str]:  # noqa: ANN001
    location_kw.setdefault("accuracy", 10.0)  # what the phone's "send my location" carries
    await walk.press("✅ 完成")
    await walk.feed(walk.harness.location(walk.person, *location, **location_kw))
    return texts(await walk.press("✅ 确认提交"))
