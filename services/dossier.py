"""Assessment dossiers: one per commissioner and year, as self-contained HTML and as PDF.

Each dossier reads its data in a fixed number of queries (however many visits), renders
templates/dossier.html with SVG charts and embedded thumbnails, and WeasyPrint makes the PDF
(CJK font named first in the CSS; HarfBuzz subsetting keeps it fast and small).
"""
from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select

from domain import feedback as feedback_rules
from domain.policy import Policy
from domain.reports import periods
from locales import Translator
from services.assessment import Assessment
from services.charts import monthly_bars, visit_map
from services.reports import period_label
from storage.evidence_store import EvidenceStore
from storage.models import Agreement, Outcome, Report, Survey
from storage.repositories import Repos

STATUS_CSS = {"verified": "ok", "noted": "note", "flagged": "flag"}
MAX_THUMBS = 3


@lru_cache(maxsize=1)
def _environment() -> Environment:
    folder = resources.files("templates")
    return Environment(loader=FileSystemLoader(str(folder)), autoescape=select_autoescape(["html"]))


@lru_cache(maxsize=1)
def stylesheet() -> str:
    """The dossier's CSS (digests use it too)."""
    return resources.files("templates").joinpath("dossier.css").read_text("utf-8")


@lru_cache(maxsize=1)
def font_family() -> str:
    """The stylesheet's font list, for SVG charts (WeasyPrint draws their text with its own default)."""
    return re.search(r"font-family:\s*([^;]+);", stylesheet()).group(1).strip()


@dataclass(frozen=True)
class Dossier:
    code: str
    name: str
    html: str


async def build(repos: Repos, policy: Policy, store: EvidenceStore, t: Translator, assessment: Assessment,
                code: str, generated: datetime) -> Dossier:
    year = assessment.year
    c = assessment.commissioners[code]
    graded = next(g for g in assessment.graded if g.scored.inputs.code == code)
    start, end = date(year, 1, 1), date(year, 12, 31)
    agreements = await repos.people.agreements_of(commissioner_id=c.id)
    visits = await repos.visits.between(c.id, start, end)
    answers = {row.visit_id: row for row in await repos.feedback.of_commissioner(c.id, start, end)}
    reports = list((await repos.session.scalars(select(Report).where(Report.commissioner_id == c.id))).all())
    outcomes = list((await repos.session.scalars(
        select(Outcome).where(Outcome.commissioner_id == c.id, Outcome.achieved_on >= start,
                              Outcome.achieved_on <= end).order_by(Outcome.achieved_on))).all())
    surveys = list((await repos.session.scalars(
        select(Survey).join(Agreement, Agreement.id == Survey.agreement_id)
        .where(Agreement.commissioner_id == c.id, Survey.period == str(year)))).all())

    zone = ZoneInfo(policy.timezone)  # times are stored in UTC and shown in the policy's zone
    kinds = {k.key: k.text(t.lang) for k in policy.service_kinds}
    outcome_kinds = {k.key: k.text(t.lang) for k in policy.outcome_kinds}
    rows = []
    for v in visits:
        answer = answers.get(v.id)
        rows.append({
            "id": v.id, "date": v.visit_date.isoformat(), "enterprise": v.enterprise.name,
            "kind": kinds.get(v.kind, v.kind), "mode": t(f"visit.mode_{v.mode}"),
            "status": t(f"dossier.status_{v.evidence_status}"), "css": STATUS_CSS.get(v.evidence_status, ""),
            "flags": [t(f"visit.flag_{f['flag']}", **{k: val for k, val in f.items() if k != "flag"})
                      for f in v.flags if f["flag"] not in ("no_exif",)],
            "answer": t(f"feedback.answer_{answer.status}")
            + (" " + t("dossier.rating", n=answer.rating) if answer.rating else "") if answer else "",
            "thumbs": [_thumb(store, vf.file.sha256) for vf in v.files[:MAX_THUMBS] if vf.file.kind == "image"],
        })
    months = [0] * 12
    for v in visits:
        months[v.visit_date.month - 1] += 1
    sites = [(a.enterprise.latitude, a.enterprise.longitude, a.enterprise.name) for a in agreements
             if a.enterprise.latitude is not None]
    points = [(v.latitude, v.longitude, any(f["flag"] == "far" for f in v.flags)) for v in visits
              if v.latitude is not None]
    summary = feedback_rules.summarize(
        statuses=[a.status for a in answers.values()], ratings=[a.rating for a in answers.values() if a.rating],
        comments=[a.comment for a in answers.values() if a.comment],
        survey_answers=[s.answers for s in surveys if s.answered_at], surveys_sent=len(surveys))
    decision = assessment.decisions.get(code)
    html = _environment().get_template("dossier.html").render(
        t=t, lang=t.lang, css=stylesheet(), c=c, year=year, policy_title=policy.title(t.lang),
        generated=generated.astimezone(zone).strftime("%Y-%m-%d %H:%M"), agreements=agreements, graded=graded,
        grade_label=next(g.text(t.lang) for g in policy.grades if g.key == graded.grade), decision=decision,
        weights=policy.assessment.weights, visits=rows,
        monthly_svg=monthly_bars(months, [t("dossier.month", m=m) for m in range(1, 13)], font=font_family()),
        map_svg=visit_map(sites, points, font=font_family()), summary=summary,
        survey_labels={q.key: q.text(t.lang) for q in (policy.survey.questions if policy.survey else ())},
        reports=_report_rows(t, policy, agreements, reports, year, assessment.as_of, zone),
        outcomes=[{"achieved_on": o.achieved_on.isoformat(), "kind": outcome_kinds.get(o.kind, o.kind),
                   "enterprise": o.enterprise.name, "title": o.title} for o in outcomes],
    )
    return Dossier(code, c.name, html)


def _thumb(store: EvidenceStore, sha256: str) -> str:
    path = store.thumbnail_path(sha256)
    data = path.read_bytes() if path.is_file() else b""
    return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")


def _report_rows(t: Translator, policy: Policy, agreements: list, reports: list[Report], year: int,
                 as_of: date, zone: ZoneInfo) -> list[dict]:
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
                state, css = t("dossier.not_due", due=period.due.isoformat()), "muted"
            out.append({"label": period_label(t, cycle, period), "state": state, "css": css,
                        "submitted": submitted_on.isoformat() if submitted_on else None})
    return out


def to_pdf(html: str) -> bytes:
    from PIL import ImageFile
    from weasyprint import HTML

    # Importing WeasyPrint switches on Pillow's process-wide LOAD_TRUNCATED_IMAGES; the evidence
    # store must keep refusing truncated uploads, and our thumbnails are whole: switch it back.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    return HTML(string=html).write_pdf()


def write_dossier(folder, dossier: Dossier) -> list:  # noqa: ANN001 - Path in, Paths out
    """`<code>-<name>.html` and `.pdf` in `folder`; the file names come from our own records."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{dossier.code}-{dossier.name}".replace("/", "_")
    html_path, pdf_path = folder / f"{stem}.html", folder / f"{stem}.pdf"
    html_path.write_text(dossier.html, "utf-8")
    pdf_path.write_bytes(to_pdf(dossier.html))
    return [html_path, pdf_path]
