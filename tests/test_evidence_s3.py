"""End to end with evidence in a bucket (moto's S3 server on loopback): a visit with a photo
through the real Dispatcher, the console's photo and the commissioner's dossier read back from the
bucket, and nothing written to the local disk."""
from __future__ import annotations

import base64
from datetime import date
from zoneinfo import ZoneInfo

import pytest

from domain.records import Kind
from domain.roles import Role
from domain.web_access import Scope
from locales import Translator
from services.assessment import assess
from services.console.visits import photo_file
from services.dossier import build as build_dossier
from services.importer import import_file
from storage.evidence_store import EvidenceStore
from storage.failed_updates import FailedUpdates
from storage.repositories import Repos
from testkit import images
from testkit.botkit import Harness
from testkit.databases import EXAMPLES
from testkit.visitflow import SUMMARY, Walk
from testkit.worlds import NEAR_E001, TODAY_LOCAL, ZHANG, finish_on_site, invite, stored_visits


@pytest.fixture
async def world(sessionmaker, clock, moto_s3):  # noqa: ANN001, ANN201
    """The example programme, with its evidence in a fresh bucket."""
    async with sessionmaker() as session:
        repos = Repos(session)
        for kind in ("units", "enterprises", "commissioners", "agreements"):
            assert (await import_file(repos, clock, EXAMPLES / f"{kind}.csv", Kind(kind), "test")).ok
        await repos.commit()
    return sessionmaker, EvidenceStore(moto_s3.blobs("prod/evidence"))


async def test_a_visit_photo_goes_to_the_bucket_and_comes_back_in_the_console_and_the_dossier(
        world, policy, clock, tmp_path) -> None:  # noqa: ANN001
    sessionmaker, store = world
    harness = Harness.build(sessionmaker=sessionmaker, policy=policy, clock=clock, zone=ZoneInfo("Asia/Shanghai"),
                            evidence_store=store, failed_updates=FailedUpdates(tmp_path))
    await harness.send(ZHANG, f"/start {await invite(sessionmaker, clock, Role.COMMISSIONER, 'C001')}")
    walk = Walk(harness, ZHANG)
    await walk.send("/visit")
    await walk.press("阳泉华鑫耐火材料有限公司")
    await walk.press("技术指导")
    await walk.press("现场服务")
    await walk.press("今天")
    await walk.send(SUMMARY)
    photo = images.jpeg(7, taken=TODAY_LOCAL, gps=NEAR_E001)
    await walk.feed(harness.document(ZHANG, photo, "f7", name="IMG_7.JPG"))
    assert "本年度第 1 次服务" in (await finish_on_site(walk))[0]

    [visit] = await stored_visits(world)
    stored = visit.files[0].file
    assert await store.read_original(stored.sha256, stored.ext) == photo  # in the bucket, byte for byte
    thumbnail = await store.read_thumbnail(stored.sha256)
    assert thumbnail is not None
    assert not (tmp_path / "evidence").exists()

    async with sessionmaker() as session:
        repos = Repos(session)
        everywhere = Scope(counties=None)
        assert await photo_file(repos, store, everywhere, visit.id, 1, thumbnail=False) == (photo, "image/jpeg")
        assert await photo_file(repos, store, everywhere, visit.id, 1, thumbnail=True) == (thumbnail, "image/jpeg")
        result = await assess(repos, policy, 2026, date(2026, 12, 31))
        dossier = await build_dossier(repos, policy, store, Translator("zh"), result, "C001", clock.now())
    assert "data:image/jpeg;base64," + base64.b64encode(thumbnail).decode("ascii") in dossier.html
