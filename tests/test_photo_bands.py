"""The reuse check reads candidates through indexes on the bands of the perceptual hash
(domain.evidence.PHASH_BANDS, migration 0013), not every photo ever stored: every earlier photo
within SAME_PICTURE_BITS of a new one is among the candidates, and a far one is not read."""
from __future__ import annotations

import random
from datetime import date, datetime, timezone

from sqlalchemy import text

from domain.evidence import PHASH_BANDS, SAME_PICTURE_BITS, phash_bands
from storage.models import Agreement, Commissioner, Enterprise, StoredFile, User, Visit, VisitFile
from storage.repositories import Repos

NOW = datetime(2026, 3, 16, 2, 0, tzinfo=timezone.utc)


def test_bands_cover_the_hash_once_and_two_near_hashes_share_one() -> None:
    covered = [i for start, length in PHASH_BANDS for i in range(start, start + length)]
    assert covered == list(range(1, 17))  # every hex digit, once
    assert len(PHASH_BANDS) == SAME_PICTURE_BITS + 1  # the pigeonhole
    rng = random.Random(7)
    for _ in range(2000):
        a = rng.getrandbits(64)
        b = a
        for bit in rng.sample(range(64), rng.randint(0, SAME_PICTURE_BITS)):
            b ^= 1 << bit
        assert any(x == y for x, y in zip(phash_bands(a), phash_bands(b)))


def _spread(base: int, bits: int) -> int:
    """`base` with `bits` bits flipped, one in each of the first bands: no band left whole but
    the last ones."""
    out = base
    for (start, _length), _ in zip(PHASH_BANDS, range(bits)):
        out ^= 1 << (64 - 4 * start)  # a bit of the band's first hex digit
    return out


async def _photo_visit(session, n: int, phash: int, commissioner: Commissioner, enterprise: Enterprise,  # noqa: ANN001
                       user: User) -> Visit:
    stored = StoredFile(sha256=f"{n:064x}", kind="image", ext="jpg", size_bytes=1, phash=f"{phash:016x}",
                        created_at=NOW)
    visit = Visit(draft_key=f"d{n}", commissioner_id=commissioner.id, enterprise_id=enterprise.id,
                  author_user_id=user.id, kind="training", mode="on_site", visit_date=date(2026, 3, 16),
                  logged_at=NOW, summary="x" * 30, evidence_status="verified", flags=[])
    session.add_all([stored, visit])
    await session.flush()
    session.add(VisitFile(visit_id=visit.id, file_id=stored.id, position=1, file_unique_id=f"u{n}",
                          source="photo", forwarded=False))
    await session.flush()
    return visit


async def test_earlier_images_are_the_near_ones_by_band(sessionmaker, database_url) -> None:  # noqa: ANN001
    base = 0x0123456789ABCDEF
    async with sessionmaker() as session:
        commissioner = Commissioner(code="C900", name="测试", unit_id=None)
        enterprise = Enterprise(code="E900", name="测试企业")
        user = User(telegram_id=900, full_name="测试", created_at=NOW)
        session.add_all([commissioner, enterprise, user])
        await session.flush()
        near = await _photo_visit(session, 1, _spread(base, SAME_PICTURE_BITS), commissioner, enterprise, user)
        far = await _photo_visit(session, 2, base ^ 0xFFFF_FFFF_FFFF_FFFF, commissioner, enterprise, user)
        same_file = await _photo_visit(session, 3, base ^ 0xFFFF_FFFF_FFFF_FFFF, commissioner, enterprise, user)
        repos = Repos(session)
        found = await repos.visits.earlier_images("new", ["u3"], [base])
        assert {v for v, _, _ in found} == {near.id, same_file.id}
        assert far.id not in {v for v, _, _ in found}
        assert await repos.visits.earlier_images("new", [], []) == []
        assert {v for v, _, _ in await repos.visits.earlier_images("d1", [], [base])} == set()  # its own draft
        if database_url.startswith("postgresql"):
            await session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(r[0] for r in await session.execute(text(
                "EXPLAIN SELECT id FROM stored_files WHERE substr(stored_files.phash, 1, 3) IN ('012')"
                " OR substr(stored_files.phash, 15, 2) IN ('ef')")))
            assert "ix_stored_files_phash_b0" in plan and "ix_stored_files_phash_b6" in plan, plan
        await session.rollback()
