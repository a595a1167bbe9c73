"""Onboarding and bot basics, through a real Dispatcher on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from aiogram.methods import AnswerCallbackQuery, SetMyCommands
from sqlalchemy import func, select

from domain.records import Kind
from domain.roles import Role
from services import onboarding
from services.importer import import_file
from storage.evidence_store import EvidenceStore
from storage.models import Commissioner, DispatchingUnit, Enterprise, Invite, RoleGrant, User
from storage.repositories import Repos
from testkit.botkit import Harness, Person, alerts, texts
from testkit.databases import EXAMPLES

ZHANG = Person(1001, "伟", "张")
STRANGER = Person(2002, "Mallory")
ADMIN = Person(3003, "敏", "王")


@pytest.fixture
async def seeded(sessionmaker, clock):  # noqa: ANN001
    async with sessionmaker() as session:
        repos = Repos(session)
        for kind in ("units", "enterprises", "commissioners", "agreements"):
            report = await import_file(repos, clock, EXAMPLES / f"{kind}.csv", Kind(kind), "test")
            assert report.ok, report.problems
        await repos.commit()
    return sessionmaker


@pytest.fixture
def harness(seeded, policy, clock, tmp_path) -> Harness:  # noqa: ANN001
    return Harness.build(sessionmaker=seeded, policy=policy, clock=clock, zone=ZoneInfo("Asia/Shanghai"),
                         evidence_store=EvidenceStore(tmp_path / "evidence"))


async def make_invite(sessionmaker, clock, role: Role, code: str, name: str | None = None, days: int = 14) -> str:  # noqa: ANN001
    async with sessionmaker() as session:
        repos = Repos(session)
        target = await onboarding.resolve_target(repos, role, code, name)
        new = await onboarding.create_invite(repos, clock, target, "cli", days)
        await repos.commit()
    return new.token


async def grants_of(sessionmaker, telegram_id: int) -> list[tuple[str, str]]:  # noqa: ANN001
    async with sessionmaker() as session:
        rows = await session.execute(
            select(RoleGrant.role, RoleGrant.subject_key).join(User).where(User.telegram_id == telegram_id)
        )
        return sorted(tuple(r) for r in rows)


async def test_invite_binds_commissioner_and_me_shows_it(harness, seeded, clock) -> None:
    token = await make_invite(seeded, clock, Role.COMMISSIONER, "C001")
    seen = await harness.send(ZHANG, f"/start {token}")
    assert len(seen) == 1
    assert "张伟" in seen[0] and "科技特派员" in seen[0]
    assert await grants_of(seeded, ZHANG.id) == [("commissioner", "commissioner:1")]
    # The chat's own menu now lists the commissioner's commands.
    menus = [r for r in harness.session.requests if isinstance(r, SetMyCommands)]
    assert menus and menus[-1].scope.chat_id == ZHANG.id

    me = (await harness.send(ZHANG, "/me"))[0]
    assert "张伟" in me and "C001" in me and "太原理工大学" in me
    assert "阳泉华鑫耐火材料有限公司" in me and "阳泉恒通智能装备有限公司" in me
    assert "2026 年服务进度：已服务 0 次" in me


async def test_same_token_twice_is_refused_and_changes_nothing(harness, seeded, clock) -> None:
    token = await make_invite(seeded, clock, Role.COMMISSIONER, "C001")
    await harness.send(ZHANG, f"/start {token}")
    seen = await harness.send(STRANGER, f"/start {token}")
    assert "已经被使用" in seen[0]
    assert await grants_of(seeded, STRANGER.id) == []
    assert await grants_of(seeded, ZHANG.id) == [("commissioner", "commissioner:1")]
    again = await harness.send(ZHANG, f"/start {token}")
    assert "已经被使用" in again[0]


async def test_expired_and_unknown_tokens_are_refused(harness, seeded, clock) -> None:
    token = await make_invite(seeded, clock, Role.COMMISSIONER, "C002", days=14)
    clock.advance(timedelta(days=14, seconds=1))
    assert "已过期" in (await harness.send(ZHANG, f"/start {token}"))[0]
    assert "无效" in (await harness.send(ZHANG, "/start notarealtoken"))[0]
    assert "无效" in (await harness.send(ZHANG, "/start 中文不是令牌"))[0]
    assert await grants_of(seeded, ZHANG.id) == []
    async with seeded() as session:
        invite = await session.scalar(select(Invite))
        assert invite.used_at is None


async def test_stranger_start_without_token_gets_explanation(harness, seeded) -> None:
    seen = await harness.send(STRANGER, "/start")
    assert "邀请链接" in seen[0]
    assert await grants_of(seeded, STRANGER.id) == []
    me = await harness.send(STRANGER, "/me")
    assert "尚未绑定" in me[0]


async def test_repeated_failures_are_slowed_down(harness, seeded, clock) -> None:
    good = await make_invite(seeded, clock, Role.COMMISSIONER, "C003")
    for attempt in range(3):
        assert "无效" in (await harness.send(STRANGER, f"/start wrong{attempt}"))[0]
    # The fourth try is not even checked, a good token included.
    seen = await harness.send(STRANGER, f"/start {good}")
    assert "尝试次数过多" in seen[0] and "30 秒" in seen[0]
    assert await grants_of(seeded, STRANGER.id) == []
    clock.advance(timedelta(seconds=31))
    seen = await harness.send(STRANGER, f"/start {good}")
    assert "李强" in seen[0]
    assert await grants_of(seeded, STRANGER.id) == [("commissioner", "commissioner:3")]


async def test_one_account_may_hold_several_roles(harness, seeded, clock) -> None:
    await harness.send(ADMIN, f"/start {await make_invite(seeded, clock, Role.COMMISSIONER, 'C005')}")  # 高新区
    await harness.send(ADMIN, f"/start {await make_invite(seeded, clock, Role.COUNTY, '城区', '王敏')}")
    assert await grants_of(seeded, ADMIN.id) == [("commissioner", "commissioner:5"), ("county", "county:城区")]
    me = (await harness.send(ADMIN, "/me"))[0]
    assert "陈静" in me and "城区 科技管理部门管理员" in me
    help_text = (await harness.send(ADMIN, "/help"))[0]
    assert "/invite" in help_text


async def test_new_invite_moves_a_commissioner_to_a_new_phone(harness, seeded, clock) -> None:
    await harness.send(ZHANG, f"/start {await make_invite(seeded, clock, Role.COMMISSIONER, 'C001')}")
    new_phone = Person(1009, "伟", "张")
    await harness.send(new_phone, f"/start {await make_invite(seeded, clock, Role.COMMISSIONER, 'C001')}")
    assert await grants_of(seeded, ZHANG.id) == []
    assert await grants_of(seeded, new_phone.id) == [("commissioner", "commissioner:1")]


async def test_duplicate_update_is_processed_once(harness, seeded, clock) -> None:
    token = await make_invite(seeded, clock, Role.COMMISSIONER, "C001")
    update = harness.message(ZHANG, f"/start {token}")
    first = texts(await harness.feed(update))
    second = texts(await harness.feed(update))
    assert len(first) == 1 and "张伟" in first[0]
    assert second == []
    async with seeded() as session:
        assert await session.scalar(select(func.count()).select_from(RoleGrant)) == 1


async def test_language_switch_to_english(harness, seeded, clock) -> None:
    await harness.send(ZHANG, f"/start {await make_invite(seeded, clock, Role.COMMISSIONER, 'C001')}")
    assert "请选择语言" in (await harness.send(ZHANG, "/lang"))[0]
    requests = await harness.press(ZHANG, "lang:en")
    assert "Language set to English." in alerts(requests)
    assert "Language set to English." in texts(requests)
    me = (await harness.send(ZHANG, "/me"))[0]
    assert "Services in 2026: 0 so far" in me
    assert "Commands" in (await harness.send(ZHANG, "/help"))[0]
    await harness.press(ZHANG, "lang:zh")
    assert "可用命令" in (await harness.send(ZHANG, "/help"))[0]


async def test_admin_command_refused_without_role(harness, seeded, clock) -> None:
    await harness.send(ZHANG, f"/start {await make_invite(seeded, clock, Role.COMMISSIONER, 'C001')}")
    seen = await harness.send(ZHANG, "/invite commissioner C002")
    assert "仅限" in seen[0] and "管理员" in seen[0]
    assert "仅限" in (await harness.send(STRANGER, "/invite commissioner C002"))[0]
    async with seeded() as session:
        assert await session.scalar(select(func.count()).select_from(Invite)) == 1


async def test_county_admin_invites_only_in_own_county(harness, seeded, clock) -> None:
    await harness.send(ADMIN, f"/start {await make_invite(seeded, clock, Role.COUNTY, '城区', '王敏')}")
    made = (await harness.send(ADMIN, "/invite 科技特派员 C001"))[0]  # the kind in Chinese, too
    assert "https://t.me/tepai_test_bot?start=" in made
    assert "本辖区" in (await harness.send(ADMIN, "/invite commissioner C003"))[0]  # 平定县
    assert "本辖区" in (await harness.send(ADMIN, "/invite bureau 李四"))[0]
    assert "没有找到" in (await harness.send(ADMIN, "/invite enterprise E999"))[0]
    assert "用法" in (await harness.send(ADMIN, "/invite"))[0]
    # The link the admin got works.
    token = made.split("start=")[1].split()[0]
    assert "张伟" in (await harness.send(ZHANG, f"/start {token}"))[0]


async def test_bureau_admin_invites_anyone(harness, seeded, clock) -> None:
    await harness.send(ADMIN, f"/start {await make_invite(seeded, clock, Role.BUREAU, '王敏')}")
    for args in ("commissioner C003", "enterprise E004", "unit U01", "county 盂县 赵六", "bureau 李四"):
        assert "https://t.me/tepai_test_bot?start=" in (await harness.send(ADMIN, f"/invite {args}"))[0], args


async def test_chat_county_invite_is_checked_against_the_policys_counties(harness, seeded, clock) -> None:
    await harness.send(ADMIN, f"/start {await make_invite(seeded, clock, Role.BUREAU, '王敏')}")
    for wrong in ("不存在县", "城 区"):  # a made-up name, and a real one mistyped
        seen = (await harness.send(ADMIN, f"/invite county {wrong} 赵六"))[0]
        assert "不是本市的县（区）" in seen and "城区、矿区、郊区、平定县、盂县、高新区" in seen, seen
        assert "start=" not in seen
    assert "start=" in (await harness.send(ADMIN, "/invite 县区 盂县 赵六"))[0]
    async with seeded() as session:  # the bureau's own invite and the good one: no invite for a wrong name
        assert await session.scalar(select(func.count()).select_from(Invite)) == 2


async def test_chat_invite_cleans_codes_as_the_import_does(harness, seeded, clock) -> None:
    """Codes copied from a web page or typed with a Chinese input method (full-width letters and
    digits, a full-width space, zero-width characters, a byte-order mark) name the record they look
    like, for every kind of code /invite takes, and the kind word too."""
    await harness.send(ADMIN, f"/start {await make_invite(seeded, clock, Role.BUREAU, '王敏')}")
    typed = {"commissioner": "\u200bＣ００１\ufeff", "enterprise": "Ｅ００４\u200d", "unit": "\u2060Ｕ０１",
             "county": "盂县\u200b", "bureau": "\u200b李四\u3000"}
    for kind, code in typed.items():
        made = (await harness.send(ADMIN, f"/invite {kind}\u200b\u3000{code} 赵六"))[0]
        assert "start=" in made, (kind, made)
    assert "start=" in (await harness.send(ADMIN, "/invite ｃｏｍｍｉｓｓｉｏｎｅｒ Ｃ００２"))[0]
    async with seeded() as session:
        keys = set(await session.scalars(select(Invite.subject_key)))
        repos = Repos(session)
        ids = {f"{kind}:{(await repos.people.by_code(model, code)).id}"
               for kind, model, code in (("commissioner", Commissioner, "C001"), ("commissioner", Commissioner, "C002"),
                                         ("enterprise", Enterprise, "E004"), ("unit", DispatchingUnit, "U01"))}
    assert ids | {"county:盂县", "bureau:李四"} <= keys, keys


async def test_invite_target_is_found_by_a_code_as_typed(seeded) -> None:
    """`tepai invite` and the chat share resolve_target: it cleans the code as the import does."""
    async with seeded() as session:
        target = await onboarding.resolve_target(Repos(session), Role.COMMISSIONER, "\u200bＣ００１\u3000")
    assert target.subject_name == "C001" and target.display_name == "张伟"


async def test_enterprise_contact_sees_their_commissioners(harness, seeded, clock) -> None:
    contact = Person(4004, "明", "李")
    seen = await harness.send(contact, f"/start {await make_invite(seeded, clock, Role.ENTERPRISE, 'E005')}")
    assert "陈刚" in seen[0] and "阳泉恒通智能装备有限公司" in seen[0]
    me = (await harness.send(contact, "/me"))[0]
    assert "陈静" in me and "张伟" in me


async def test_stale_button_unknown_command_and_free_text(harness, seeded) -> None:
    requests = await harness.press(STRANGER, "v:old:123")
    assert any(isinstance(r, AnswerCallbackQuery) and r.show_alert for r in requests)
    assert "按钮已失效" in alerts(requests)[0]
    assert "没有这个命令" in (await harness.send(STRANGER, "/frobnicate"))[0]
    assert "/help" in (await harness.send(STRANGER, "你好"))[0]


async def test_group_chats_are_ignored(harness, seeded) -> None:
    assert await harness.feed(harness.message(STRANGER, "/start", chat_type="group")) == []


async def test_cancel_without_and_with_state(harness, seeded) -> None:
    assert "没有进行中" in (await harness.send(STRANGER, "/cancel"))[0]
