"""The console in a real browser: Playwright drives Debian's Chromium (installed by
scripts/setup-system.sh test; never a downloaded browser) against the app on a local port.

Marked `browser` (one walk-through on SQLite, a few seconds): `-m "not browser"` leaves it out.
Screenshots of each page go to test-output/console/ (TEPAI_TEST_OUTPUT overrides the folder).
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from testkit.databases import ROOT
from testkit.webkit import web_world  # noqa: F401 - the fixture

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUTPUT = Path(os.environ.get("TEPAI_TEST_OUTPUT", ROOT / "test-output")) / "console"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed "
                                                           "(bash scripts/setup-system.sh test)"),
]


@pytest.fixture(params=["sqlite"])
def database_url(request, tmp_path, migrated_templates, tmp_path_factory):  # noqa: ANN001, ANN201
    """The browser walk runs once, on SQLite: the pages' queries are tested on both backends elsewhere."""
    return request.getfixturevalue("_sqlite_url")


@pytest.fixture
async def _sqlite_url(tmp_path, migrated_templates, tmp_path_factory):  # noqa: ANN001, ANN202
    from storage.db import sqlite_url
    from testkit.databases import template

    path = tmp_path / "tepai.db"
    shutil.copyfile(await template("sqlite", migrated_templates, tmp_path_factory), path)
    return sqlite_url(path)


async def _shot(page, name: str) -> None:  # noqa: ANN001
    OUTPUT.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)


def _figure(text: str) -> int:
    return int(re.match(r"\s*(\d+)", text).group(1))


async def test_sign_in_follow_a_flag_void_it_and_switch_to_english(web_world) -> None:  # noqa: ANN001
    from playwright.async_api import async_playwright

    base = str(web_world.client.make_url("")).rstrip("/")
    link = base + await web_world.link()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            await page.goto(link)
            await _shot(page, "01-sign-in")
            await page.click("#sign-in")
            await page.wait_for_url(base + "/")
            flagged_before = _figure(await page.inner_text("#n-flagged"))
            services_before = _figure(await page.inner_text("#n-services"))
            assert flagged_before > 0
            await _shot(page, "02-overview")

            await page.click("#n-flagged")
            await page.wait_for_url(re.compile(r"/review\?kind=flagged"))
            await _shot(page, "03-review")
            await page.click("a.visit-link >> nth=0")
            await page.wait_for_url(re.compile(r"/visits/\d+$"))
            photo = page.locator(".photos img").first
            await photo.wait_for()
            assert await photo.evaluate("img => img.complete && img.naturalWidth > 0")  # served to this admin
            await _shot(page, "04-visit")

            await page.fill("form:has(#void) textarea", "现场定位在外地，核实后作废")
            await page.click("#void")
            await page.wait_for_url(re.compile(r"done=void"))
            assert "已作废" in await page.inner_text("main")
            await page.goto(base + "/")
            assert _figure(await page.inner_text("#n-flagged")) == flagged_before - 1
            assert _figure(await page.inner_text("#n-services")) == services_before - 1

            await page.goto(base + "/commissioners/C001")
            await page.locator("#map .leaflet-interactive").first.wait_for()  # Leaflet drew the points
            await _shot(page, "05-commissioner")

            await page.goto(base + "/")
            enterprises = _figure(await page.inner_text("#n-enterprises"))
            await page.click("#n-enterprises")
            await page.wait_for_url(re.compile(r"/enterprises\?year=\d+&in_year=1"))
            assert f"（{enterprises} 家）" in await page.inner_text("h1")
            await _shot(page, "08-enterprises")
            await page.click("td a[href^='/enterprises/E'] >> nth=0")
            await page.wait_for_url(re.compile(r"/enterprises/E\d+"))
            assert await page.locator("a.visit-link").count() > 0
            await _shot(page, "09-enterprise")
            await page.goto(base + "/commissioners/C001")

            await page.click("text=English")
            await page.wait_for_url(re.compile(r"/commissioners/C001"))
            await page.goto(base + "/")
            assert "Overview of 2026" in await page.inner_text("h1")
            await _shot(page, "06-overview-en")

            phone = await browser.new_page(viewport={"width": 390, "height": 844})
            await phone.context.add_cookies(await page.context.cookies())
            await phone.goto(base + "/commissioners")
            await _shot(phone, "07-commissioners-phone")
            assert problems == [], problems  # no script errors, nothing refused by the CSP
        finally:
            await browser.close()
