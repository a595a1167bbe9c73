"""What the dossier's tables and appendices show, made from stored rows: visits numbered by date,
their photos as figures, the enterprises' comments by text, reports with a summary and their full
text. No queries here: services.dossier reads the rows and hands them in."""
from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from domain.evidence import Point, distance_m, location_source
from domain.policy import Policy
from domain.reports import periods
from locales import Translator, when
from services.reports import period_label
from storage.models import Report, Survey, Visit, VisitFeedback

STATUS_CSS = {"verified": "ok", "noted": "note", "flagged": "flag", "accepted": "note"}
HIDDEN_FLAGS = ("no_exif",)  # a note for the commissioner, not a question for the panel
SUMMARY_CHARS = 60  # a report's summary in the table; the whole text is in the appendix


@dataclass
class Photo:
    number: int  # 图 n, counted through the appendix
    src: str  # a data: URI, so the HTML stands alone
    label: str  # 现场照片 for on-site visits, 线上截图 for online ones
    taken: str  # when the camera says it was taken, or that it does not say
    place: str
    visit_number: int
    visit_line: tuple[str, ...]  # date, enterprise, kind: each kept whole on a line (no "项目申/报")
    status: str
    css: str


@dataclass
class VisitRow:
    number: int  # 1..N by date
    id: int  # the stored id, which the chat commands use
    date: str
    enterprise: str
    kind: str
    mode: str
    summary: str
    status: str
    css: str
    flags: list[str]
    location: str  # how the on-site location was sent: live, the phone's position, a map pin; or ""
    answer: str
    dispute_reason: str | None
    photos: list[Photo] = field(default_factory=list)


def visit_rows(t: Translator, policy: Policy, thumbnails: Mapping[str, bytes], visits: list[Visit],
               answers: dict[int, VisitFeedback]) -> list[VisitRow]:
    """Visits come in date order (ties by id); photos are numbered across all visits. Their dates
    without the year ("10月15日"): a dossier covers one year, named in its title.
    `thumbnails`: the photos' thumbnails by SHA-256, read from the evidence store beforehand."""
    kinds = {k.key: k.text(t.lang) for k in policy.service_kinds}
    rows: list[VisitRow] = []
    figure = 0
    for number, v in enumerate(visits, start=1):
        answer = answers.get(v.id)
        # A reviewer's acceptance settles the doubt (domain.evidence.counts_as_flagged); the flags stay listed.
        shown = "accepted" if v.evidence_status == "flagged" and not v.flagged else v.evidence_status
        status, css = t(f"dossier.status_{shown}"), STATUS_CSS.get(shown, "")
        row = VisitRow(
            number=number, id=v.id, date=when.day(v.visit_date, t.lang, year=False), enterprise=v.enterprise.name,
            kind=kinds.get(v.kind, v.kind), mode=t(f"visit.mode_{v.mode}"), summary=v.summary, status=status,
            css=css,
            flags=[t(f"visit.flag_{f['flag']}", **{k: val for k, val in f.items() if k != "flag"})
                   for f in v.flags if f["flag"] not in HIDDEN_FLAGS],
            location=_location_text(t, v), answer=_answer_text(t, answer), dispute_reason=answer.dispute_reason if answer else None)
        site = Point(v.enterprise.latitude, v.enterprise.longitude) if v.enterprise.latitude is not None else None
        for vf in v.files:
            if vf.file.kind != "image":
                continue
            figure += 1
            row.photos.append(Photo(
                number=figure, src=_data_uri(thumbnails.get(vf.file.sha256, b"")),
                label=t("dossier.photo_on_site" if v.mode == "on_site" else "dossier.photo_online"),
                taken=t("dossier.photo_taken", at=datetime.fromisoformat(vf.file.taken_at)) if vf.file.taken_at
                else t("dossier.photo_no_time"),
                place=_place(t, site, vf.file.exif_lat, vf.file.exif_lon), visit_number=number,
                visit_line=(row.date, row.enterprise, row.kind), status=status, css=css))
        rows.append(row)
    return rows


def _location_text(t: Translator, visit: Visit) -> str:
    if visit.mode != "on_site" or visit.latitude is None:
        return ""
    return location_text(t, visit.live_location, visit.accuracy_m)


def location_text(t: Translator, live: bool, accuracy_m: float | None) -> str:
    """Live, sent once (with its accuracy) or picked on the map: how much a location says. The
    summary card says it too."""
    source = location_source(live, accuracy_m)
    return t(f"visit.location_{source.value}", accuracy=round(accuracy_m) if accuracy_m is not None else "")


def _answer_text(t: Translator, answer: VisitFeedback | None) -> str:
    if answer is None:
        return ""
    text = t(f"feedback.answer_{answer.status}")
    return text + (" " + t("dossier.rating", n=answer.rating, of=max(RATING_SCALE)) if answer.rating else "")


RATING_SCALE = range(1, 6)  # visit ratings and survey answers are 1–5 (domain.feedback.RATINGS)


def _place(t: Translator, site: Point | None, lat: float | None, lon: float | None) -> str:
    if lat is None or lon is None:
        return t("dossier.photo_no_place")
    if site is None:
        return t("dossier.photo_at", lat=f"{lat:.5f}", lon=f"{lon:.5f}")
    return t("dossier.photo_from_site", distance=round(distance_m(site, Point(lat, lon))))


def _data_uri(data: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")


@dataclass
class Comment:
    text: str
    sources: list[str]  # who said it, and on which visits: each text is shown once


def comments(t: Translator, rows: list[VisitRow], answers: dict[int, VisitFeedback],
             surveys: list[Survey]) -> list[Comment]:
    by_text: dict[str, dict[str, list[str]]] = {}
    number_of = {r.id: r for r in rows}
    for visit_id, answer in answers.items():
        if answer.comment and visit_id in number_of:
            row = number_of[visit_id]
            by_text.setdefault(answer.comment.strip(), {}).setdefault(row.enterprise, []).append(row.number)
    for survey in surveys:
        if survey.comment:
            name = survey.agreement.enterprise.name
            by_text.setdefault(survey.comment.strip(), {}).setdefault(name, []).append(0)  # 0: the survey
    out = []
    for text, sources in by_text.items():
        out.append(Comment(text, [t("dossier.comment_source", enterprise=name, visits=_refs(t, sorted(set(refs))))
                                  for name, refs in sources.items()]))
    return sorted(out, key=lambda c: -sum(len(s) for s in c.sources))


def _refs(t: Translator, numbers: list[int]) -> str:
    visits = [n for n in numbers if n]
    parts = [t("dossier.visit_refs", numbers="、".join(map(str, visits)))] if visits else []
    return "；".join(parts + ([t("dossier.survey_ref")] if 0 in numbers else []))


@dataclass
class ReportRow:
    label: str  # the whole period label, for the appendix
    name: str  # the cycle and period key ("季度工作进展 2026-Q1"), never broken
    span: str  # its dates
    submitted: str | None
    state: str
    css: str
    summary: str
    text: str
    appendix: bool  # submitted: its whole text is in the appendix


def report_rows(t: Translator, policy: Policy, agreements: list, reports: list[Report], year: int,
                as_of, zone: ZoneInfo) -> list[ReportRow]:  # noqa: ANN001 - a date
    done = {(r.cycle, r.period): r for r in reports}
    out = []
    for cycle in policy.report_cycles:
        for period in periods(cycle, year):
            if not any(a.start_date <= period.end and a.end_date >= period.start for a in agreements):
                continue
            report = done.get((cycle.key, period.key))
            submitted_on = report.submitted_at.astimezone(zone).date() if report is not None else None
            if report is not None:
                state, css = (t("report.late", days=(submitted_on - report.due_on).days), "flag") \
                    if report.late else (t("report.on_time"), "ok")
            elif period.due < as_of:
                state, css = t("dossier.missing"), "flag"
            else:
                state, css = t("dossier.not_due", due=period.due), "muted"
            text = report.text.strip() if report is not None else ""
            summary = text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS].rstrip() + "…"
            out.append(ReportRow(label=period_label(t, cycle, period), state=state,
                                 name=f"{cycle.en if t.lang == 'en' else cycle.zh} {period.key}",
                                 span=f"{when.day(period.start, t.lang)} — {when.day(period.end, t.lang)}", css=css,
                                 summary=summary,
                                 text=text, appendix=bool(text),
                                 submitted=when.day(submitted_on, t.lang) if submitted_on else None))
    return out


@dataclass
class ReviewSheet:
    """The expert review sheet (a policy's [review]): a column per reviewer (blank ones to fill by
    hand up to the policy's number), the mean of the entered points, the conclusions."""

    names: list[str]  # one per column, "" for a blank column
    points: dict[str, list[str]]  # criterion key -> a cell per column
    means: dict[str, str]  # criterion key -> mean of the entered points ("" when none)
    totals: list[str]
    total_mean: str
    conclusions: list[str]  # grade names per column
    majority: str | None  # the conclusion most reviewers reached (ties: the lower grade)


def review_sheet(t: Translator, policy: Policy, reviews: list) -> ReviewSheet | None:  # list[ExpertReview]
    if policy.review is None:
        return None
    columns = max(policy.review.reviewers, len(reviews))
    blank = [""] * (columns - len(reviews))
    names = {g.key: g.text(t.lang) for g in policy.grades}

    def fmt(value: float) -> str:
        return f"{value:g}" if float(value).is_integer() else f"{value:.1f}"

    points = {c.key: [fmt(r.scores.get(c.key, 0)) for r in reviews] + blank for c in policy.review.criteria}
    means = {c.key: fmt(sum(r.scores.get(c.key, 0) for r in reviews) / len(reviews)) if reviews else ""
             for c in policy.review.criteria}
    totals = [sum(r.scores.values()) for r in reviews]
    order = [g.key for g in policy.grades]
    votes = [r.conclusion for r in reviews]
    majority = max(order, key=lambda k: (votes.count(k), order.index(k))) if votes else None
    return ReviewSheet(names=[r.reviewer for r in reviews] + blank, points=points, means=means,
                       totals=[fmt(x) for x in totals] + blank,
                       total_mean=fmt(sum(totals) / len(totals)) if totals else "",
                       conclusions=[names.get(r.conclusion, r.conclusion) for r in reviews] + blank,
                       majority=majority)
