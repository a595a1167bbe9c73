"""The enterprise's answers: when to remind, when a rating may change, and the yearly summary. Pure."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from statistics import fmean

from domain.policy import FeedbackRules

RATINGS = range(1, 6)


class Answer(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"  # 属实
    DISPUTED = "disputed"  # 不属实
    UNANSWERED = "unanswered"  # no answer after the last reminder


class Due(StrEnum):
    REMIND = "remind"
    EXPIRE = "expire"


def due(prompted_at: datetime, reminders_sent: int, now: datetime, rules: FeedbackRules) -> Due | None:
    """What a pending prompt needs now: the next reminder, being closed as unanswered, or nothing.

    A prompt that missed several reminders (the bot was down) gets one, not a burst.
    """
    age = now - prompted_at
    if age >= timedelta(days=rules.unanswered_days):
        return Due.EXPIRE
    owed = sum(1 for d in rules.reminder_days if age >= timedelta(days=d))
    return Due.REMIND if owed > reminders_sent else None


def reminders_after(prompted_at: datetime, now: datetime, rules: FeedbackRules) -> int:
    """The reminder count to record once the reminder due at `now` went out."""
    return sum(1 for d in rules.reminder_days if now - prompted_at >= timedelta(days=d))


def may_change_rating(rated_at: datetime | None, now: datetime, rules: FeedbackRules) -> bool:
    return rated_at is None or now - rated_at <= timedelta(hours=rules.change_hours)


@dataclass(frozen=True)
class FeedbackSummary:
    """One commissioner's year as the enterprises saw it (服务对象满意度 inputs)."""

    confirmed: int = 0
    disputed: int = 0
    unanswered: int = 0
    pending: int = 0
    ratings: tuple[int, ...] = ()
    comments: tuple[str, ...] = ()
    survey_scores: dict[str, float] = field(default_factory=dict)  # question key -> mean
    surveys_answered: int = 0
    surveys_sent: int = 0

    @property
    def mean_rating(self) -> float | None:
        return round(fmean(self.ratings), 2) if self.ratings else None

    @property
    def response_rate(self) -> float | None:
        """Answered prompts among those that are closed (pending ones are not counted yet)."""
        closed = self.confirmed + self.disputed + self.unanswered
        return round((self.confirmed + self.disputed) / closed, 3) if closed else None


def summarize(statuses: list[str], ratings: list[int], comments: list[str],
              survey_answers: list[dict[str, int]], surveys_sent: int) -> FeedbackSummary:
    counts = {a: statuses.count(a.value) for a in Answer}
    scores: dict[str, list[int]] = {}
    for answers in survey_answers:
        for key, value in answers.items():
            scores.setdefault(key, []).append(value)
    return FeedbackSummary(
        confirmed=counts[Answer.CONFIRMED], disputed=counts[Answer.DISPUTED],
        unanswered=counts[Answer.UNANSWERED], pending=counts[Answer.PENDING],
        ratings=tuple(ratings), comments=tuple(comments),
        survey_scores={k: round(fmean(v), 2) for k, v in sorted(scores.items())},
        surveys_answered=len(survey_answers), surveys_sent=surveys_sent,
    )
