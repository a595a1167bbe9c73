"""Log a visit: keep its evidence, check it against the policy, store it once."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain import evidence
from domain.clock import Clock, as_utc, local_today
from domain.evidence import EarlierPhoto, FlagHit, PhotoFacts, Point, Status
from domain.policy import Policy
from domain.progress import YearProgress, year_progress
from domain.uploads import UploadRejected
from domain.visits import (
    AMEND_WINDOW,
    DateCheck,
    Mode,
    VisitDraft,
    check_date,
    summary_problem,
)
from messages import feedback as feedback_messages
from messages.notices import Notices
from messages.recipients import enterprise_contacts
from services import feedback
from services.errors import Refusal
from storage.evidence_store import EvidenceStore
from storage.models import Agreement, Enterprise, StoredFile, Visit, VisitFile
from storage.repositories import Repos

__all__ = ["UploadRejected", "VisitError", "keep_upload", "store_upload", "record_upload", "evaluate", "log_visit", "progress_of"]


class VisitError(Refusal):
    """A visit that cannot be stored as told; `reason` names a catalogue text (visit.error_<reason>)."""


async def keep_upload(store: EvidenceStore, repos: Repos, clock: Clock, data: bytes, *, as_image: bool,
                      file_name: str | None = None) -> StoredFile:
    """Store an uploaded image or document; raises UploadRejected with the reason."""
    return await record_upload(repos, clock, await store_upload(store, data, as_image=as_image, file_name=file_name))


async def store_upload(store: EvidenceStore, data: bytes, *, as_image: bool, file_name: str | None = None) -> dict:
    """Check and keep the bytes in the evidence store (durable), no database: the row's
    values for `record_upload`. Decoding and storage writes happen here, before the update's
    transaction writes anything."""
    if as_image:
        facts = await store.keep_image(data)  # decoding is CPU work: off the loop, a few at a time
        return dict(sha256=facts.sha256, kind="image", ext=facts.ext, size_bytes=facts.size_bytes,
                    width=facts.width, height=facts.height, phash=f"{facts.phash:016x}",
                    taken_at=facts.taken_at.isoformat() if facts.taken_at else None,
                    exif_lat=facts.gps[0] if facts.gps else None, exif_lon=facts.gps[1] if facts.gps else None)
    doc = await store.keep_document(data, file_name)
    return dict(sha256=doc.sha256, kind="document", ext=doc.ext, size_bytes=doc.size_bytes)


async def record_upload(repos: Repos, clock: Clock, values: dict) -> StoredFile:
    """The stored_files row for bytes `store_upload` kept (one short write)."""
    return await repos.visits.keep_file(values, clock.now())


@dataclass(frozen=True)
class Evaluation:
    hits: list[FlagHit]
    status: Status
    distance_m: float | None
    files: dict[int, StoredFile]  # the draft's stored files by id, as read for the checks


async def evaluate(repos: Repos, policy: Policy, draft: VisitDraft, today: date) -> Evaluation:
    """Every evidence check on a draft: shown on the summary card, stored on confirm."""
    radius = policy.visit.radius_m
    hits: list[FlagHit] = []
    distance = None
    shared = Point(draft.location["lat"], draft.location["lon"]) if draft.location else None
    enterprise = await repos.people.get(Enterprise, draft.enterprise_id) if draft.enterprise_id else None
    site = (Point(enterprise.latitude, enterprise.longitude)
            if enterprise is not None and enterprise.latitude is not None else None)
    if draft.mode == Mode.ON_SITE:
        location_hits, distance = evidence.check_location(
            site, shared, draft.location.get("accuracy") if draft.location else None, radius,
            live=bool(draft.location and draft.location.get("live")))
        hits += location_hits
    if draft.date is not None and check_date(draft.date, today, policy.visit.max_backdate_days) is DateCheck.LATE:
        hits.append(FlagHit(evidence.Flag.LATE, {"days": (today - draft.date).days}))
    stored = await repos.visits.files([f["id"] for f in draft.files])
    photos = [
        PhotoFacts(index=i, file_unique_id=f["uid"], phash=int(row.phash, 16) if row.phash else None,
                   taken_at=datetime.fromisoformat(row.taken_at) if row.taken_at else None,
                   gps=Point(row.exif_lat, row.exif_lon) if row.exif_lat is not None else None,
                   forwarded=bool(f.get("forwarded")))
        for i, f in enumerate(draft.files, start=1)
        if (row := stored.get(f["id"])) is not None and row.kind == "image"
    ]
    earlier = [EarlierPhoto(v, uid, int(ph, 16) if ph else None)
               for v, uid, ph in await repos.visits.earlier_images(
                   draft.key, [p.file_unique_id for p in photos], [p.phash for p in photos if p.phash is not None])]
    if draft.date is not None:
        hits += evidence.check_photos(photos, draft.date, shared or site, radius, earlier,
                                      on_site=draft.mode == Mode.ON_SITE)
    return Evaluation(hits, evidence.overall_status(hits, evidence.notes(policy.visit.pin_is_evidence)), distance,
                      stored)


@dataclass(frozen=True)
class Logged:
    visit: Visit
    created: bool  # False: this draft was stored before (a repeated confirm)
    number: int  # the visit's number in its year
    year_total: int  # all live visits of the visit's year: more than `number` if it was backfilled
    progress: YearProgress


async def log_visit(repos: Repos, clock: Clock, policy: Policy, zone: ZoneInfo, *, user_id: int,
                    commissioner_id: int, draft: VisitDraft) -> Logged:
    """Store the confirmed draft with its files and flags, ask the enterprise's contacts whether it
    happened, and commit. A draft stored before (a repeated confirm) is returned as it is."""
    today = local_today(clock, zone)
    existing = await repos.visits.by_draft_key(draft.key)
    if existing is not None:
        return await _logged(repos, policy, existing, today, created=False)
    if draft.next_step().value != "confirm":
        raise VisitError("incomplete")
    agreement = await repos.people.get(Agreement, draft.agreement_id)
    if agreement is None or agreement.commissioner_id != commissioner_id or agreement.status != "active":
        raise VisitError("agreement")
    date_check = check_date(draft.date, today, policy.visit.max_backdate_days)
    if date_check in (DateCheck.FUTURE, DateCheck.TOO_OLD):
        raise VisitError(f"date_{date_check.value}")
    result = await evaluate(repos, policy, draft, today)
    loc = draft.location or {}
    visit = Visit(
        draft_key=draft.key, commissioner_id=commissioner_id, enterprise_id=agreement.enterprise_id,
        agreement_id=agreement.id, author_user_id=user_id, kind=draft.kind, mode=draft.mode,
        visit_date=draft.date, logged_at=clock.now(), late=date_check is DateCheck.LATE, summary=draft.summary,
        latitude=loc.get("lat"), longitude=loc.get("lon"), accuracy_m=loc.get("accuracy"),
        live_location=bool(loc.get("live")), distance_m=result.distance_m, evidence_status=result.status.value,
        flags=[{"flag": h.flag.value, **h.detail} for h in result.hits],
    )
    files = [VisitFile(file_id=f["id"], file=result.files.get(f["id"]), position=i, file_unique_id=f["uid"],
                       source=f["source"], forwarded=bool(f.get("forwarded")))
             for i, f in enumerate(draft.files, start=1)]
    # The same draft confirmed at the same moment elsewhere raises TryAgain: the update is
    # handled again (bot/middlewares/session.py) and finds the stored visit above.
    visit = await repos.visits.add(visit, files, feedback.prompt(clock, visit))
    repos.audit.record(clock.now(), f"user:{user_id}", "visit.log", "visit", visit.id,
                       status=visit.evidence_status, flags=[h.flag.value for h in result.hits])
    # The enterprise's contacts are asked in the visit's own transaction: told exactly when it is stored.
    notices = Notices(repos, clock, policy, zone)
    for contact in await enterprise_contacts(repos, visit.enterprise_id):
        await feedback_messages.visit_prompt(notices, contact, visit)
    logged = await _logged(repos, policy, visit, today, created=True)
    repos.durable()  # on disk when the commit returns, before anyone is told it is stored
    await repos.commit()
    return logged


async def progress_of(repos: Repos, policy: Policy, commissioner_id: int, today: date) -> YearProgress:
    visits, enterprises = await repos.visits.year_counts(
        commissioner_id, date(today.year, 1, 1), date(today.year, 12, 31))
    return year_progress(policy, today, services=visits, enterprises_served=enterprises)


async def _logged(repos: Repos, policy: Policy, visit: Visit, today: date, created: bool) -> Logged:
    # The visit's number in its own year: live visits up to and including its date. Its year is
    # nearly always this one, and then one statement gives the progress too.
    year = visit.visit_date.year
    total, enterprises, number = await repos.visits.year_counts_upto(visit.commissioner_id, year, visit.visit_date)
    if year == today.year:
        progress = year_progress(policy, today, services=total, enterprises_served=enterprises)
    else:
        progress = await progress_of(repos, policy, visit.commissioner_id, today)
    return Logged(visit, created, number, total, progress)


def may_amend(visit: Visit, user_id: int, now: datetime) -> bool:
    return (visit.author_user_id == user_id and visit.voided_at is None
            and now - as_utc(visit.logged_at) <= AMEND_WINDOW)


async def amend_summary(repos: Repos, clock: Clock, policy: Policy, *, user_id: int, visit_id: int,
                        summary: str) -> Visit:
    """The author may reword a visit within 24 hours; the old text stays in the audit log."""
    visit = await repos.visits.get(visit_id)
    if visit is None or not may_amend(visit, user_id, clock.now()):
        raise VisitError("amend_closed")
    if problem := summary_problem(summary, policy.visit.min_summary_chars):
        raise VisitError(problem)
    repos.audit.record(clock.now(), f"user:{user_id}", "visit.amend", "visit", visit.id,
                       field="summary", old=visit.summary, new=summary)
    visit.summary = summary
    visit.amended_at = clock.now()
    return visit


async def void_visit(repos: Repos, clock: Clock, *, admin_user_id: int | None, visit: Visit, reason: str,
                     actor: str | None = None) -> Visit:
    """An admin voids a visit (chat `/void`, the web console's review queue). `actor` names who
    for the audit log when there is no account (a console signed in from the command line)."""
    if visit.voided_at is not None:
        raise VisitError("already_void")
    if not reason.strip():
        raise VisitError("void_reason")
    visit.voided_at = clock.now()
    visit.void_reason = reason.strip()
    visit.voided_by_user_id = admin_user_id
    repos.audit.record(clock.now(), actor or f"user:{admin_user_id}", "visit.void", "visit", visit.id,
                       reason=reason.strip())
    return visit


async def accept_visit(repos: Repos, clock: Clock, *, visit: Visit, note: str, actor: str) -> Visit:
    """A reviewer accepts a flagged or disputed visit with a note: it leaves the review queue, its
    flags stay on record. Audited."""
    if visit.voided_at is not None:
        raise VisitError("already_void")
    if not note.strip():
        raise VisitError("accept_note")
    visit.reviewed_at = clock.now()
    visit.review_note = note.strip()
    visit.reviewed_by = actor
    repos.audit.record(clock.now(), actor, "visit.accept", "visit", visit.id, note=note.strip())
    return visit
