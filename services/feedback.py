"""The enterprise confirms or disputes a visit and rates it; reminders; the yearly summary."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from domain import feedback as rules
from domain.clock import Clock, as_utc
from domain.evidence import Flag, Status
from domain.feedback import Answer, Due, FeedbackSummary
from domain.policy import Policy
from domain.roles import Role, admin_covers
from messages import feedback as feedback_messages
from messages import recipients
from messages.notices import Notices
from services.errors import Refusal
from storage.models import Enterprise, RoleGrant, User, Visit, VisitFeedback
from storage.repositories import Repos

MAX_TEXT = 1000


class FeedbackError(Refusal):
    """Why an answer is not taken; `reason` names a catalogue text (feedback.error_<reason>)."""


@dataclass(frozen=True)
class Responder:
    """Who answers: an enterprise's contact, or an admin recording the answer on their behalf."""

    user_id: int
    enterprise_ids: frozenset[int]
    proxy: bool = False

    @classmethod
    def contact(cls, user_id: int, grants: list[RoleGrant]) -> "Responder":
        """A contact's own answer, unless the account is also an admin over that enterprise (bound
        before such pairs were refused): then it is marked as given on the enterprise's behalf."""
        contacts = [g for g in grants if g.role == Role.ENTERPRISE]
        overseen = any(admin_covers(grants, g.county) for g in contacts)
        return cls(user_id, frozenset(g.enterprise_id for g in contacts), proxy=overseen)

    @property
    def actor(self) -> str:
        return f"user:{self.user_id}"


def prompt(clock: Clock, visit: Visit) -> VisitFeedback:
    """The enterprise's word on a new visit, asked now and pending (stored with the visit)."""
    return VisitFeedback(enterprise_id=visit.enterprise_id, status=Answer.PENDING.value, prompted_at=clock.now(),
                         reminders_sent=0)


async def awaiting_answer(repos: Repos, enterprise_id: int) -> list[Visit]:
    """The enterprise's visits still waiting for its word: a contact who joins now is asked at once."""
    return [row.visit for row in await repos.feedback.pending(enterprise_id)]


async def ask_new_contact(repos: Repos, clock: Clock, policy: Policy, zone: ZoneInfo, contact: User,
                          enterprise_id: int) -> None:
    """A contact who joins is asked about the enterprise's visits still waiting for its word now,
    not at the next reminder."""
    notices = Notices(repos, clock, policy, zone)
    for visit in await awaiting_answer(repos, enterprise_id):
        await feedback_messages.visit_prompt(notices, contact, visit)


async def _load(repos: Repos, visit_id: int, responder: Responder) -> VisitFeedback:
    row = await repos.feedback.by_visit(visit_id)
    if row is None or row.visit.voided_at is not None:
        raise FeedbackError("no_visit")
    if row.enterprise_id not in responder.enterprise_ids:
        raise FeedbackError("not_yours")
    return row


def _answered(row: VisitFeedback, responder: Responder, now) -> None:  # noqa: ANN001 - datetime
    row.answered_at = now
    row.answered_by_user_id = None if responder.proxy else responder.user_id
    row.proxy_by_user_id = responder.user_id if responder.proxy else None


async def check_open(repos: Repos, *, visit_id: int, responder: Responder) -> VisitFeedback:
    """The prompt, if this responder may still confirm or dispute it."""
    row = await _load(repos, visit_id, responder)
    if row.status in (Answer.CONFIRMED, Answer.DISPUTED):
        raise FeedbackError(f"already_{row.status}")
    return row


async def confirm(repos: Repos, clock: Clock, *, visit_id: int, responder: Responder) -> VisitFeedback:
    row = await _load(repos, visit_id, responder)
    if row.status == Answer.CONFIRMED:
        raise FeedbackError("already_confirmed")
    if row.status == Answer.DISPUTED:
        raise FeedbackError("already_disputed")
    row.status = Answer.CONFIRMED.value  # an unanswered prompt may still be answered late
    _answered(row, responder, clock.now())
    repos.audit.record(clock.now(), responder.actor, "feedback.confirm", "visit", visit_id, proxy=responder.proxy)
    return row


async def dispute(repos: Repos, clock: Clock, policy: Policy, zone: ZoneInfo, *, visit_id: int,
                  responder: Responder, reason: str) -> VisitFeedback:
    """Record that the visit did not happen as logged: the visit is flagged, and the county's admins
    are told (not the admin who records it for the enterprise)."""
    row = await _load(repos, visit_id, responder)
    if row.status in (Answer.CONFIRMED, Answer.DISPUTED):
        raise FeedbackError(f"already_{row.status}")
    reason = reason.strip()[:MAX_TEXT]
    if not reason:
        raise FeedbackError("reason_needed")
    row.status, row.dispute_reason = Answer.DISPUTED.value, reason
    _answered(row, responder, clock.now())
    visit = row.visit
    visit.flags = [*visit.flags, {"flag": Flag.DISPUTED.value}]  # a new list: JSON columns track assignment
    visit.evidence_status = Status.FLAGGED.value
    repos.audit.record(clock.now(), responder.actor, "feedback.dispute", "visit", visit_id, reason=reason,
                       proxy=responder.proxy)
    notices = Notices(repos, clock, policy, zone)
    for admin in await county_admins(repos, visit):
        if not (responder.proxy and admin.id == responder.user_id):
            await feedback_messages.dispute_alert(notices, admin, visit, row)
    return row


async def rate(repos: Repos, clock: Clock, policy: Policy, *, visit_id: int, responder: Responder,
               score: int) -> tuple[VisitFeedback, bool]:
    """Rate a confirmed visit; True as second value when an earlier rating was changed."""
    if score not in rules.RATINGS:
        raise FeedbackError("bad_score")
    row = await _load(repos, visit_id, responder)
    if row.status != Answer.CONFIRMED:
        raise FeedbackError("confirm_first")
    now = clock.now()
    rated_at = as_utc(row.rated_at) if row.rated_at else None
    if not rules.may_change_rating(rated_at, now, policy.feedback):
        raise FeedbackError("rating_locked")
    changed = row.rating is not None
    if changed and row.rating == score:
        raise FeedbackError("same_rating")
    if changed:
        repos.audit.record(now, responder.actor, "feedback.rating_changed", "visit", visit_id,
                           old=row.rating, new=score, proxy=responder.proxy)
    row.rating, row.rated_at = score, now
    return row, changed


async def comment(repos: Repos, clock: Clock, *, visit_id: int, responder: Responder, text: str) -> VisitFeedback:
    row = await _load(repos, visit_id, responder)
    row.comment = text.strip()[:MAX_TEXT] or None
    repos.audit.record(clock.now(), responder.actor, "feedback.comment", "visit", visit_id, proxy=responder.proxy)
    return row


async def county_admins(repos: Repos, visit: Visit) -> list[User]:
    """The admins of the county of the visited enterprise."""
    enterprise = await repos.people.get(Enterprise, visit.enterprise_id)
    return await recipients.county_admins(repos, enterprise.county if enterprise else None)


@dataclass
class DuePrompts:
    remind: list[VisitFeedback] = field(default_factory=list)
    expired: list[VisitFeedback] = field(default_factory=list)


async def apply_due(repos: Repos, clock: Clock, policy: Policy) -> DuePrompts:
    """Record the reminders due now and close the prompts left unanswered; the caller sends."""
    now = clock.now()
    out = DuePrompts()
    for row in await repos.feedback.pending():
        prompted = as_utc(row.prompted_at)
        step = rules.due(prompted, row.reminders_sent, now, policy.feedback)
        if step is Due.REMIND:
            row.reminders_sent = rules.reminders_after(prompted, now, policy.feedback)
            out.remind.append(row)
        elif step is Due.EXPIRE:
            row.status = Answer.UNANSWERED.value
            repos.audit.record(now, "system", "feedback.unanswered", "visit", row.visit_id)
            out.expired.append(row)
    return out


async def summary(repos: Repos, commissioner_id: int, year: int) -> FeedbackSummary:
    """Everything the assessment needs of the enterprises' answers, for one commissioner and year."""
    rows = await repos.feedback.of_commissioner(commissioner_id, date(year, 1, 1), date(year, 12, 31))
    surveys = await repos.feedback.surveys_of_commissioner(commissioner_id, str(year))
    return rules.summarize(
        statuses=[r.status for r in rows],
        ratings=[r.rating for r in rows if r.rating is not None],
        comments=[r.comment for r in rows if r.comment],
        survey_answers=[s.answers for s in surveys if s.answered_at is not None],
        surveys_sent=len(surveys),
    )
