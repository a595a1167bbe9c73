"""Visits, their evidence files, and the counts progress is measured by."""
from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import Date, bindparam, distinct, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.evidence import PHASH_BANDS, phash_bands
from storage.db import TryAgain
from storage.models import Commissioner, Enterprise, StoredFile, Visit, VisitFeedback, VisitFile
from storage.models.visits import phash_band
from storage.repositories._upsert import dialect_insert


class VisitRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def keep_file(self, values: dict, now: datetime) -> StoredFile:
        """The row for these bytes, created on first sight (two uploads race safely)."""
        stmt = dialect_insert(self.session, StoredFile).values(**values, created_at=now)
        await self.session.execute(stmt.on_conflict_do_nothing(index_elements=[StoredFile.sha256]))
        return await self.session.scalar(select(StoredFile).where(StoredFile.sha256 == values["sha256"]))

    async def files(self, ids: list[int]) -> dict[int, StoredFile]:
        if not ids:
            return {}
        rows = await self.session.scalars(select(StoredFile).where(StoredFile.id.in_(ids)))
        return {row.id: row for row in rows}

    async def by_draft_key(self, draft_key: str) -> Visit | None:
        # Asked on every confirm and nearly always None: the id alone first, without the people the
        # visit's row loads with it.
        visit_id = await self.session.scalar(_BY_DRAFT_KEY, {"draft_key": draft_key})
        return None if visit_id is None else await self.session.get(Visit, visit_id)

    async def get(self, visit_id: int) -> Visit | None:
        return await self.session.get(Visit, visit_id)

    async def add(self, visit: Visit, files: list[VisitFile], feedback: VisitFeedback | None = None) -> Visit:
        """Store a new visit with its files (and the enterprise's prompt) in one flush, so the
        running counts (storage/running_counts.py) are read and written once for all of them.
        The visit comes back with its commissioner, enterprise and files' stored rows, taken from
        the session when the caller has read them (log_visit has: the agreement brought both, the
        evaluation the files), else read by key. A visit with the same draft key stored meanwhile
        (another delivery of the same confirm, committed first) raises TryAgain: a fresh attempt
        finds it."""
        visit.commissioner = await self.session.get(Commissioner, visit.commissioner_id)
        visit.enterprise = await self.session.get(Enterprise, visit.enterprise_id)
        for vf in files:
            vf.file = vf.file or await self.session.get(StoredFile, vf.file_id)
        visit.files = files
        self.session.add(visit)
        if feedback is not None:
            feedback.visit = visit
            self.session.add(feedback)
        try:
            await self.session.flush()
        except IntegrityError as exc:
            if "draft_key" in str(exc.orig):
                raise TryAgain(f"visit draft {visit.draft_key} stored meanwhile") from exc
            raise
        return visit

    async def earlier_images(self, exclude_draft: str, file_unique_ids: Collection[str],
                             phashes: Collection[int]) -> list[tuple[int, str, str | None]]:
        """(visit id, Telegram file_unique_id, perceptual hash) of the images on live visits that
        may be one of these: the same Telegram file, or a hash that agrees with one of `phashes` on
        a band (domain.evidence.PHASH_BANDS; each band has its index). The caller measures the
        distance; every image within SAME_PICTURE_BITS of a hash is among these."""
        if not file_unique_ids and not phashes:
            return []
        values = {"draft": exclude_draft, "uids": sorted(file_unique_ids)}
        bands = [phash_bands(h) for h in phashes]
        for i in range(len(PHASH_BANDS) if bands else 0):
            values[f"band{i}"] = sorted({b[i] for b in bands})
        return [tuple(row) for row in await self.session.execute(_EARLIER_IMAGES[bool(bands)], values)]

    async def year_counts(self, commissioner_id: int, start: date, end: date) -> tuple[int, int]:
        """Live visits and distinct enterprises served between two dates, inclusive."""
        stmt = select(func.count(Visit.id), func.count(distinct(Visit.enterprise_id))).where(
            Visit.commissioner_id == commissioner_id,
            Visit.voided_at.is_(None),
            Visit.visit_date >= start,
            Visit.visit_date <= end,
        )
        visits, enterprises = (await self.session.execute(stmt)).one()
        return int(visits), int(enterprises)

    async def year_counts_upto(self, commissioner_id: int, year: int, upto: date) -> tuple[int, int, int]:
        """Live visits and distinct enterprises in a year, and the year's live visits up to a day
        inclusive: `year_counts` twice in one statement."""
        visits, enterprises, upto_visits = (await self.session.execute(_YEAR_COUNTS_UPTO, {
            "commissioner_id": commissioner_id, "start": date(year, 1, 1), "end": date(year, 12, 31),
            "upto": upto})).one()
        return int(visits), int(enterprises), int(upto_visits)

    async def recent(self, commissioner_id: int, limit: int = 10) -> list[Visit]:
        stmt = (
            select(Visit)
            .where(Visit.commissioner_id == commissioner_id)
            .order_by(Visit.visit_date.desc(), Visit.id.desc())
            .limit(limit)
        )
        return list((await self.session.scalars(stmt)).all())

    async def between(self, commissioner_id: int, start: date, end: date) -> list[Visit]:
        stmt = (select(Visit).where(Visit.commissioner_id == commissioner_id, Visit.voided_at.is_(None),
                                    Visit.visit_date >= start, Visit.visit_date <= end)
                .order_by(Visit.visit_date, Visit.id))
        return list((await self.session.scalars(stmt)).all())

    async def with_answers_between(self, start: date, end: date) -> list[tuple[Visit, str | None]]:
        """Every visit (not voided) dated between the two days, with the enterprise's answer if any."""
        stmt = (select(Visit, VisitFeedback.status).outerjoin(VisitFeedback, VisitFeedback.visit_id == Visit.id)
                .where(Visit.voided_at.is_(None), Visit.visit_date >= start, Visit.visit_date <= end)
                .order_by(Visit.id))
        return [tuple(row) for row in (await self.session.execute(stmt)).all()]

    async def commissioner_ids_between(self, start: date, end: date) -> list[int]:
        """The commissioner of every visit (not voided) dated between the two days, once per visit."""
        stmt = select(Visit.commissioner_id).where(Visit.voided_at.is_(None), Visit.visit_date >= start,
                                                   Visit.visit_date <= end)
        return list((await self.session.scalars(stmt)).all())


_BY_DRAFT_KEY = select(Visit.id).where(Visit.draft_key == bindparam("draft_key"))
_YEAR_COUNTS_UPTO = select(
    func.count(Visit.id), func.count(distinct(Visit.enterprise_id)),
    func.count(Visit.id).filter(Visit.visit_date <= bindparam("upto", type_=Date)),
).where(Visit.commissioner_id == bindparam("commissioner_id"), Visit.voided_at.is_(None),
        Visit.visit_date >= bindparam("start", type_=Date), Visit.visit_date <= bindparam("end", type_=Date))


def _earlier_images(near: bool):  # noqa: ANN202 - a statement
    """The reuse check's query, built once (its construction was a seventh of a confirm's CPU):
    the same Telegram files, and with `near` the images agreeing with a hash on a band."""
    same_file = VisitFile.file_unique_id.in_(bindparam("uids", expanding=True))
    if near:
        on_a_band = or_(*(phash_band(start, length, StoredFile.phash).in_(bindparam(f"band{i}", expanding=True))
                          for i, (start, length) in enumerate(PHASH_BANDS)))
        candidates = select(StoredFile.id).where(StoredFile.kind == "image", on_a_band)
        same_file = or_(same_file, VisitFile.file_id.in_(candidates))
    return (select(VisitFile.visit_id, VisitFile.file_unique_id, StoredFile.phash)
            .join(Visit, Visit.id == VisitFile.visit_id)
            .join(StoredFile, StoredFile.id == VisitFile.file_id)
            .where(Visit.voided_at.is_(None), Visit.draft_key != bindparam("draft"), StoredFile.kind == "image",
                   same_file))


_EARLIER_IMAGES = {near: _earlier_images(near) for near in (False, True)}
