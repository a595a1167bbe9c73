"""The policy model: every rule that differs between cities lives in a policy file, not in code.

Presets ship in `domain/presets/` (`yangquan`, `jincheng`); a bureau may point TEPAI_POLICY at
its own TOML file. Parsing is pure: `parse_policy(mapping)` takes the decoded TOML.
"""
from __future__ import annotations

import tomllib
from collections.abc import Sequence
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from domain.workdays import WorkCalendar

PRESETS = ("yangquan", "jincheng")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Label(_Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


class ReportCycle(_Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    zh: str
    en: str
    months: int = Field(gt=0, le=12)  # length of one period
    due_days: int = Field(ge=0, le=60)  # due this many days after the period ends
    recipient: str = Field(pattern=r"^(county|unit|bureau)$")
    opens_days_before_end: int = Field(default=5, ge=0, le=60)  # the window opens before the period ends
    only: tuple[int, ...] = ()  # which periods of the year (1-based) need a report; empty: all
    article: str = ""


class VisitRules(_Strict):
    radius_m: int = Field(default=1000, gt=0, le=50_000)
    max_backdate_days: int = Field(default=7, ge=0, le=60)
    min_summary_chars: int = Field(default=20, ge=0, le=1000)
    max_photos: int = Field(default=10, ge=1, le=10)
    # A location picked on the map (no accuracy, not live) as the only proof of presence: noted
    # (true) or flagged for the county to look at (false).
    pin_is_evidence: bool = False


class FeedbackRules(_Strict):
    """The enterprise's word on each visit (服务对象满意度)."""

    reminder_days: tuple[int, ...] = (2, 5)  # remind the contact this many days after the prompt
    unanswered_days: int = Field(default=7, ge=1, le=60)  # then record the prompt as unanswered
    change_hours: int = Field(default=24, ge=0, le=720)  # a rating may be changed this long
    anonymous_comments: bool = True  # commissioners see comments, never who wrote them

    @model_validator(mode="after")
    def _ordered(self) -> "FeedbackRules":
        days = list(self.reminder_days)
        if days != sorted(set(days)) or any(d < 1 for d in days):
            raise ValueError("reminder_days must be increasing whole days from 1")
        if days and days[-1] >= self.unanswered_days:
            raise ValueError("unanswered_days must come after the last reminder")
        return self


class SurveyRules(_Strict):
    """A yearly satisfaction survey per active agreement, before the assessment."""

    month: int = Field(default=11, ge=1, le=12)  # sent from this month of each year
    questions: tuple[Label, ...] = Field(min_length=1)


class NotificationRules(_Strict):
    quiet_start: str = Field(default="21:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    quiet_end: str = Field(default="08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    agreement_ending_days: int = Field(default=30, ge=1, le=120)
    pace_day: int = Field(default=1, ge=1, le=28)  # the monthly pace check runs from this day


class AssessmentRules(_Strict):
    """How a year is scored and graded (Yangquan 第十七条/第十八条, Jincheng 第二十条)."""

    # 履职尽责, 技术服务成效, 创新成果转化, 服务对象满意度: weights of the 0–100 components.
    weights: dict[str, float] = Field(default_factory=lambda: {
        "duty": 0.25, "effect": 0.35, "transfer": 0.15, "satisfaction": 0.25})
    reference_services: int = Field(default=12, ge=1)  # the full mark for services without a minimum
    reference_outcomes: int = Field(default=2, ge=1)  # outcomes for the full transfer mark
    top_score: float = Field(default=85, ge=0, le=100)  # at least this for the top grade (then the cap)
    pass_score: float = Field(default=60, ge=0, le=100)  # below this: the lowest grade
    fail_below_minimum: bool = True  # fewer verified services than min_services_per_year: lowest grade
    max_missing_reports: int = Field(default=1, ge=0)  # more missing reports: lowest grade
    max_disputed_share: float = Field(default=0.2, ge=0, le=1)  # more disputed visits: lowest grade

    @model_validator(mode="after")
    def _check(self) -> "AssessmentRules":
        if set(self.weights) != {"duty", "effect", "transfer", "satisfaction"}:
            raise ValueError("weights must name duty, effect, transfer and satisfaction")
        if abs(sum(self.weights.values()) - 1) > 1e-6:
            raise ValueError("weights must add up to 1")
        if self.pass_score > self.top_score:
            raise ValueError("pass_score must not exceed top_score")
        return self


class SelectionRules(_Strict):
    """Two-way selection to agreement (Yangquan 第十四条; Jincheng 第六–九条)."""

    notice_working_days: int = Field(default=5, ge=0, le=30)  # 公示: 0 means no public notice
    # Working days for the notice follow China's public holiday schedule (domain.workdays); these
    # lists override it: local days off, and working days for a year the schedule does not cover.
    national_calendar: bool = True
    holidays: tuple[date, ...] = ()
    workdays: tuple[date, ...] = ()
    unit_signs: bool = True  # the dispatching unit signs too (三方协议), where its contact is registered
    default_capacity: int = Field(default=3, ge=1, le=50)  # enterprises a commissioner can serve
    renewal_days: int = Field(default=30, ge=1, le=120)  # 续签 is offered this many days before the end
    term_months: int = Field(default=12, ge=1, le=60)  # an agreement's length (一般为一年)

    def work_calendar(self) -> WorkCalendar:
        return WorkCalendar(frozenset(self.holidays), frozenset(self.workdays), self.national_calendar)


class Reason(Label):
    article: str = ""


class DisqualificationRules(_Strict):
    """取消资格 and what follows (Yangquan 第十六条; Jincheng 第二十一条)."""

    reasons: tuple[Reason, ...] = Field(min_length=1)
    bar_years: int = Field(default=1, ge=0, le=10)  # no new selection for this many years after this one
    recover_subsidies: bool = False  # subsidies paid are marked for recovery
    fail_grade: str | None = None  # a final grade with this key disqualifies (with reason `fail_reason`)
    fail_reason: str | None = None


class SignOff(Label):
    """One box of the dossier's sign-off block: who signs, under which article, and which stored
    opinion (if any) is printed in it ("county": the county's opinion, "host": the host units')."""

    article: str = ""
    opinion: str | None = Field(default=None, pattern=r"^(county|host)$")


class DossierRules(_Strict):
    """What the assessment dossier cites and asks to be signed (Yangquan 第十七/十八条, Jincheng 第十八/二十条)."""

    basis_zh: str = ""  # the articles the assessment rests on, printed under the title
    basis_en: str = ""
    integrity_zh: str = ""  # the integrity statement (廉洁自律) the commissioner signs
    integrity_en: str = ""
    integrity_article: str = ""
    signoff: tuple[SignOff, ...] = ()

    def basis(self, lang: str) -> str:
        return self.basis_en if lang == "en" else self.basis_zh

    def integrity(self, lang: str) -> str:
        return self.integrity_en if lang == "en" else self.integrity_zh


class Criterion(Label):
    points: int = Field(gt=0, le=100)


class ReviewRules(_Strict):
    """An expert review at the end of the posting (Jincheng 第二十条): the sheet each reviewer scores."""

    article: str = ""
    reviewers: int = Field(default=3, ge=1, le=9)
    criteria: tuple[Criterion, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _full_marks(self) -> "ReviewRules":
        if sum(c.points for c in self.criteria) != 100:
            raise ValueError("review criteria points must add up to 100")
        if len({c.key for c in self.criteria}) != len(self.criteria):
            raise ValueError("review criteria keys must be unique")
        return self


class Policy(_Strict):
    key: str
    city_zh: str
    city_en: str
    title_zh: str
    title_en: str
    timezone: str = "Asia/Shanghai"
    agreement_months: int = Field(default=12, gt=0, le=60)
    min_services_per_year: int | None = Field(default=None, ge=1)
    min_enterprises: int = Field(default=1, ge=1)
    invite_days: int = Field(default=14, ge=1, le=90)
    # The city's counties (县、区、县级市) and zones with their own science office: the names an
    # import or a county invite may use. Empty: not checked.
    counties: tuple[str, ...] = ()
    grades: tuple[Label, ...] = Field(min_length=2)
    top_grade_cap: float | None = Field(default=None, gt=0, le=1)
    service_kinds: tuple[Label, ...] = Field(min_length=1)
    outcome_kinds: tuple[Label, ...] = ()
    outcome_article: str = ""  # the article that lists the outcome kinds, cited when asking for one
    report_cycles: tuple[ReportCycle, ...] = ()
    visit: VisitRules = VisitRules()
    feedback: FeedbackRules = FeedbackRules()
    survey: SurveyRules | None = None
    notifications: NotificationRules = NotificationRules()
    assessment: AssessmentRules = AssessmentRules()
    selection: SelectionRules = SelectionRules()
    disqualification: DisqualificationRules = DisqualificationRules(
        reasons=(Reason(key="other", zh="其他不适合继续担任科技特派员的情况", en="Other"),))
    dossier: DossierRules = DossierRules()
    review: ReviewRules | None = None

    @model_validator(mode="after")
    def _unique_keys(self) -> "Policy":
        for name in ("grades", "service_kinds", "outcome_kinds", "report_cycles"):
            keys = [item.key for item in getattr(self, name)]
            if len(keys) != len(set(keys)):
                raise ValueError(f"{name}: keys must be unique")
        rules = self.disqualification
        reasons = [r.key for r in rules.reasons]
        if len(reasons) != len(set(reasons)):
            raise ValueError("disqualification.reasons: keys must be unique")
        if rules.fail_grade is not None:
            if rules.fail_grade not in {g.key for g in self.grades}:
                raise ValueError("disqualification.fail_grade must be one of the grades")
            if rules.fail_reason not in reasons:
                raise ValueError("disqualification.fail_reason must be one of the reasons")
        return self

    def city(self, lang: str) -> str:
        return self.city_en if lang == "en" else self.city_zh

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_zh


def is_known_county(counties: Sequence[str], name: str) -> bool:
    """Whether `name` is one of the policy's counties, exactly as listed ("城 区" is not 城区).
    A policy that lists none leaves every name open. Imports, `tepai invite county` and the chat's
    `/invite county` all ask this one question."""
    return not counties or name in counties


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the key and the reason."""


def parse_policy(data: dict[str, Any], source: str = "policy") -> Policy:
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}" for err in exc.errors()
        )
        raise PolicyError(f"{source}: {problems}") from None


def load_policy(name_or_path: str) -> Policy:
    """A preset by name, or a TOML file by path."""
    if name_or_path in PRESETS:
        text = resources.files("domain.presets").joinpath(f"{name_or_path}.toml").read_text("utf-8")
        source = f"preset {name_or_path}"
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise PolicyError(f"{name_or_path}: not a preset ({', '.join(PRESETS)}) and no such file")
        text = path.read_text("utf-8")
        source = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: not valid TOML: {exc}") from None
    return parse_policy(data, source)
