"""Signing in to the web console, on SQLite and PostgreSQL: one-time links, sessions, CSRF,
security headers, and who may get in (`/web` in the chat, `tepai web-link`)."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from domain.roles import Role
from domain.web_access import Scope, scope_of
from storage.models import AuditEntry, WebLink, WebSession
from testkit.webkit import SCOPES, open_link, web_world  # noqa: F401 - the fixture

ZH_SIGN_IN = "登录管理台"


async def test_a_link_signs_the_bureau_in_once(web_world) -> None:  # noqa: ANN001
    link = await web_world.link()
    response = await open_link(web_world.client, link)
    assert response.status == 200
    html = await response.text()
    assert "2026 年概览" in html and "全市" in html and "测试管理员" in html
    # The same link again, from another browser: used.
    other = TestClient(TestServer(web_world.client.app))
    await other.start_server()
    try:
        again = await open_link(other, link)
        assert again.status == 403 and "已经用过" in await again.text()
        assert (await other.get("/")).status == 401
    finally:
        await other.close()


async def test_only_a_hash_of_the_link_and_the_cookie_is_stored(web_world) -> None:  # noqa: ANN001
    link = await web_world.link()
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 22  # at least 128 bits, URL-safe
    await open_link(web_world.client, link)
    cookie = web_world.client.session.cookie_jar.filter_cookies(web_world.client.make_url("/"))["tepai_session"].value
    async with web_world.sessionmaker() as session:
        links = (await session.scalars(select(WebLink))).all()
        sessions = (await session.scalars(select(WebSession))).all()
    stored = {row.token_hash for row in links} | {row.token_hash for row in sessions}
    assert token not in stored and cookie not in stored and len(sessions) == 1


async def test_two_simultaneous_opens_make_one_session(web_world) -> None:  # noqa: ANN001
    link = await web_world.link()
    clients = [TestClient(TestServer(web_world.client.app)) for _ in range(2)]
    for c in clients:
        await c.start_server()
    try:
        pages = [await c.get(link) for c in clients]
        nonces = [csrf.split('name="nonce" value="')[1].split('"')[0] for csrf in [await p.text() for p in pages]]
        results = await asyncio.gather(*(c.post(link, data={"nonce": n}, allow_redirects=False)
                                         for c, n in zip(clients, nonces)))
        assert sorted(r.status for r in results) == [303, 403]
    finally:
        for c in clients:
            await c.close()
    async with web_world.sessionmaker() as session:
        assert len((await session.scalars(select(WebSession))).all()) == 1


async def test_an_expired_link_opens_nothing(web_world) -> None:  # noqa: ANN001
    link = await web_world.link()
    web_world.clock.advance(timedelta(minutes=10, seconds=1))
    response = await open_link(web_world.client, link)
    assert response.status == 403 and "已过期" in await response.text()
    assert (await web_world.client.get("/")).status == 401


async def test_an_unknown_link_and_a_missing_form_nonce_are_refused(web_world) -> None:  # noqa: ANN001
    response = await open_link(web_world.client, "/signin/not-a-real-token-at-all-xxxxxxxx")
    assert response.status == 403 and "无效" in await response.text()
    link = await web_world.link()
    await web_world.client.get(link)
    forged = await web_world.client.post(link, data={"nonce": "guess"})
    assert forged.status == 403
    assert (await web_world.client.get("/")).status == 401
    assert (await open_link(web_world.client, link)).status == 200  # the link was not used up


async def test_a_stranger_sees_how_to_sign_in(web_world) -> None:  # noqa: ANN001
    for path in ("/", "/commissioners", "/visits/1", "/review", "/static/../x"):
        response = await web_world.client.get(path)
        assert response.status in (401, 404), path
    response = await web_world.client.get("/")
    assert ZH_SIGN_IN in await response.text() and "/web" in await response.text()
    english = await web_world.client.get("/?lang=en")
    assert "send /web" in await english.text()
    assert (await web_world.client.post("/signout", data={})).status == 401


async def test_session_cookie_and_security_headers(web_world) -> None:  # noqa: ANN001
    page = await web_world.client.get(await web_world.link())
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["X-Content-Type-Options"] == "nosniff"
    nonce = (await page.text()).split('name="nonce" value="')[1].split('"')[0]
    opened = await web_world.client.post(page.url.path, data={"nonce": nonce}, allow_redirects=False)
    cookie = next(v for v in opened.headers.getall("Set-Cookie") if v.startswith("tepai_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "<script>" not in await (await web_world.client.get("/")).text()  # no inline scripts


async def test_https_base_url_makes_the_cookie_secure(web_world) -> None:  # noqa: ANN001
    from dataclasses import replace

    from web.app import create_app
    from web.context import CONSOLE

    secure = TestClient(TestServer(create_app(replace(web_world.client.app[CONSOLE],
                                                      base_url="https://console.example.org"))))
    await secure.start_server()
    try:
        page = await secure.get(await web_world.link())
        assert "Secure" in page.headers["Set-Cookie"]  # the sign-in form's cookie too
        nonce = (await page.text()).split('name="nonce" value="')[1].split('"')[0]
        secure.session.cookie_jar.update_cookies({"tepai_signin": nonce})  # plain http here: send it anyway
        opened = await secure.post(page.url.path, data={"nonce": nonce}, allow_redirects=False)
        assert any("Secure" in v for v in opened.headers.getall("Set-Cookie") if v.startswith("tepai_session="))
    finally:
        await secure.close()


async def test_a_post_without_the_csrf_token_is_refused(web_world) -> None:  # noqa: ANN001
    csrf = await web_world.sign_in()
    refused = await web_world.client.post("/signout", data={})
    assert refused.status == 403
    wrong = await web_world.client.post("/lang", data={"lang": "en", "csrf": "x" + csrf})
    assert wrong.status == 403
    assert "2026 年概览" in await (await web_world.client.get("/")).text()  # still signed in, still Chinese


async def test_sign_out_ends_the_session(web_world) -> None:  # noqa: ANN001
    csrf = await web_world.sign_in()
    out = await web_world.client.post("/signout", data={"csrf": csrf})
    assert out.status == 200 and ZH_SIGN_IN in await out.text()
    assert (await web_world.client.get("/")).status == 401
    async with web_world.sessionmaker() as session:
        actions = (await session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "web_session"))).all()
    assert actions == ["web.sign_in", "web.sign_out"]


async def test_eight_idle_hours_end_a_session_and_activity_keeps_it(web_world) -> None:  # noqa: ANN001
    await web_world.sign_in()
    web_world.clock.advance(timedelta(hours=7))
    assert (await web_world.client.get("/")).status == 200
    web_world.clock.advance(timedelta(hours=7))
    assert (await web_world.client.get("/")).status == 200  # 7 h since the last page
    web_world.clock.advance(timedelta(hours=8))
    assert (await web_world.client.get("/")).status == 401


async def test_language_switch_is_kept_in_the_session(web_world) -> None:  # noqa: ANN001
    csrf = await web_world.sign_in()
    switched = await web_world.client.post("/lang", data={"lang": "en", "csrf": csrf, "next": "//evil.example/"})
    assert switched.status == 200 and switched.url.path == "/"  # no open redirect
    assert "Overview of 2026" in await switched.text()
    assert "Overview of 2026" in await (await web_world.client.get("/?year=2026")).text()


def test_scope_from_grants() -> None:
    class G:
        def __init__(self, role: Role, county: str | None = None) -> None:
            self.role, self.county = role, county

    assert scope_of([G(Role.COMMISSIONER), G(Role.BUREAU)]).is_bureau
    assert scope_of([G(Role.COUNTY, "城区"), G(Role.COUNTY, "矿区")]) == Scope(frozenset({"城区", "矿区"}))
    assert scope_of([G(Role.COMMISSIONER), G(Role.ENTERPRISE)]) is None
    assert Scope(frozenset({"城区"})).covers("城区") and not Scope(frozenset({"城区"})).covers("矿区")
    assert SCOPES["bureau"].covers(None)
