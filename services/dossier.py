"""Assessment dossiers: one per commissioner and year, as self-contained HTML and as PDF.

Each dossier reads its data in a fixed number of queries (however many visits), renders
templates/dossier.html with SVG charts and embedded thumbnails, and WeasyPrint makes the PDF
(CJK font named first in the CSS; HarfBuzz subsetting keeps it fast and small).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo


from domain import feedback as feedback_rules
from domain.policy import Policy
from domain.scoring import top_grade_places
from locales import Translator, when
from services import dossier_rows as rows_of
from services import maps
from services.assessment import Assessment
from services.assessment_texts import basis, failures_heading
from services.charts import monthly_bars
from storage.evidence_store import EvidenceStore
from storage.repositories import Repos
from templates import environment


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
                code: str, generated: datetime, *, map_tiles: str | None = None) -> Dossier:
    """`map_tiles`: a tile URL template (TEPAI_MAP_TILES) for the map's base; None draws it plain."""
    year = assessment.year
    c = assessment.commissioners[code]
    graded = next(g for g in assessment.graded if g.scored.inputs.code == code)
    start, end = date(year, 1, 1), date(year, 12, 31)
    agreements = await repos.people.agreements_of(commissioner_id=c.id)
    visits = await repos.visits.between(c.id, start, end)
    answers = {row.visit_id: row for row in await repos.feedback.of_commissioner(c.id, start, end)}
    reports = await repos.reports.of_commissioner(c.id)
    outcomes = await repos.assessment.outcomes_of(c.id, start, end)
    surveys = await repos.feedback.surveys_of_commissioner(c.id, str(year))
    disqualifications = await repos.assessment.disqualifications_of(c.id)
    opinions = await repos.assessment.opinions(year, c.id)
    reviews = await repos.assessment.reviews(year, c.id) if policy.review else []

    zone = ZoneInfo(policy.timezone)  # times are stored in UTC and shown in the policy's zone
    outcome_kinds = {k.key: k.text(t.lang) for k in policy.outcome_kinds}
    thumbnails = await store.read_thumbnails(vf.file.sha256 for v in visits for vf in v.files if vf.file.kind == "image")
    rows = rows_of.visit_rows(t, policy, thumbnails, visits, answers)
    months = [0] * 12
    for v in visits:
        months[v.visit_date.month - 1] += 1
    sites = list({a.enterprise.id: maps.Site(a.enterprise.latitude, a.enterprise.longitude, a.enterprise.name,
                                             a.enterprise.county)
                  for a in agreements if a.enterprise.latitude is not None}.values())
    spots = [maps.Spot(v.latitude, v.longitude, any(f["flag"] == "far" for f in v.flags), v.enterprise.county)
             for v in visits if v.latitude is not None]
    near_m = policy.visit.radius_m  # visits further from their enterprise are clipped to the map's edge
    basemap = await maps.fetch_basemap(map_tiles, sites, spots, near_m=near_m) if map_tiles else None
    summary = feedback_rules.summarize(
        statuses=[a.status for a in answers.values()], ratings=[a.rating for a in answers.values() if a.rating],
        comments=[a.comment for a in answers.values() if a.comment],
        survey_answers=[s.answers for s in surveys if s.answered_at], surveys_sent=len(surveys))
    grades = {g.key: g.text(t.lang) for g in policy.grades}
    report_rows = rows_of.report_rows(t, policy, agreements, reports, year, assessment.as_of, zone)
    html = environment().get_template("dossier.html").render(
        t=t, lang=t.lang, css=stylesheet(), c=c, year=year, policy=policy, policy_title=policy.title(t.lang),
        articles=policy.dossier.basis(t.lang),
        generated=generated.astimezone(zone), agreements=agreements, graded=graded,
        grades=grades, grade_label=grades[graded.grade], reason=basis(t, policy, graded.reason),
        failures_heading=failures_heading(t, policy),
        cap=_cap(t, policy, assessment, graded), decision=assessment.decisions.get(code),
        weights=policy.assessment.weights, visits=rows, photos=[p for r in rows for p in r.photos],
        disputes=[r for r in rows if r.dispute_reason],
        monthly_svg=monthly_bars(months, [t("dossier.month", m=m) for m in range(1, 13)], font=font_family()),
        map_svg=maps.visit_map(t, sites, spots, near_m=near_m, font=font_family(), basemap=basemap), summary=summary, scale=max(rows_of.RATING_SCALE),
        comments=rows_of.comments(t, rows, answers, surveys),
        survey_labels={q.key: q.text(t.lang) for q in (policy.survey.questions if policy.survey else ())},
        reports=report_rows, report_texts=[r for r in report_rows if r.appendix],
        outcomes=[{"achieved_on": when.day(o.achieved_on, t.lang), "kind": outcome_kinds.get(o.kind, o.kind),
                   "enterprise": o.enterprise.name, "title": o.title} for o in outcomes],
        integrity=policy.dossier.integrity(t.lang), integrity_article=policy.dossier.integrity_article,
        disqualifications=[{"on": d.decided_at.astimezone(zone).date(), "reason": _reason_text(t, policy, d.reason),
                            "article": d.article} for d in disqualifications],
        signoff=policy.dossier.signoff, review=policy.review, sheet=rows_of.review_sheet(t, policy, reviews),
        county_opinion=next((o.text for o in opinions if o.kind == "county"), None),
        host_opinions=[o for o in opinions if o.kind == "host"],
    )
    return Dossier(code, c.name, html)


def _cap(t: Translator, policy: Policy, assessment: Assessment, graded) -> str | None:  # noqa: ANN001
    if policy.top_grade_cap is None:
        return None
    cohort = len(assessment.graded)
    return t("dossier.cap", grade=policy.grades[0].text(t.lang), places=top_grade_places(policy, cohort),
             percent=round(policy.top_grade_cap * 100), cohort=cohort, rank=graded.rank)


def _reason_text(t: Translator, policy: Policy, key: str) -> str:
    return next((r.text(t.lang) for r in policy.disqualification.reasons if r.key == key), key)


def to_pdf(html: str, fonts=None) -> bytes:  # noqa: ANN001 - a weasyprint FontConfiguration
    """`fonts`: a `pdf_fonts()` to reuse across documents rendered one after another in one thread;
    None sets fonts up for this document alone (safe from any thread)."""
    from PIL import ImageFile
    from weasyprint import HTML

    # Importing WeasyPrint switches on Pillow's process-wide LOAD_TRUNCATED_IMAGES; the evidence
    # store must keep refusing truncated uploads, and our thumbnails are whole: switch it back.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    return HTML(string=html).write_pdf(font_config=fonts)


def pdf_fonts():  # noqa: ANN201 - a weasyprint FontConfiguration
    """One font set-up (Fontconfig's configuration and a Pango font map) for many documents in a
    row. WeasyPrint otherwise loads Fontconfig's whole configuration and a new font map for every
    document, which costs time on each one. Not to be shared between threads (Pango's font map is not
    thread-safe)."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def write_dossier(folder, dossier: Dossier, fonts=None) -> list:  # noqa: ANN001 - Path in, Paths out
    """`<code>-<name>.html` and `.pdf` in `folder`; the file names come from our own records."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{dossier.code}-{dossier.name}".replace("/", "_")
    html_path, pdf_path = folder / f"{stem}.html", folder / f"{stem}.pdf"
    html_path.write_text(dossier.html, "utf-8")
    pdf_path.write_bytes(to_pdf(dossier.html, fonts))
    return [html_path, pdf_path]
