"""The bureau's roster as XLSX, ready to print: a row per commissioner with the year's figures,
score, proposed and final grade, a totals row; a second sheet counts the grades and checks the
top grade against the policy's cap (Yangquan: 优秀 at most 20%)."""
from __future__ import annotations

import io
from collections import Counter
from collections.abc import Collection
from pathlib import Path
from statistics import fmean

from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook

from domain.policy import Policy
from domain.scoring import top_grade_places
from locales import Translator
from services.assessment import Assessment
from services.assessment_texts import basis, failures_heading
from services.xlsx import append_rows, fit_widths, print_setup, style_header, table

COLUMNS = ("rank", "code", "name", "unit", "county", "services", "verified", "disputed", "enterprises",
           "reports_on_time", "reports_late", "reports_missing", "response_rate", "mean_rating", "survey_mean",
           "outcomes", "duty", "effect", "transfer", "satisfaction", "total", "grade", "final_grade", "basis",
           "failures", "county_opinion")
SUMMED = ("services", "verified", "disputed", "enterprises", "reports_on_time", "reports_late", "reports_missing",
          "outcomes")  # the totals row adds these up …
AVERAGED = ("response_rate", "mean_rating", "survey_mean", "duty", "effect", "transfer", "satisfaction", "total")
FORMATS = {"response_rate": "0.0%", "mean_rating": "0.00", "survey_mean": "0.00", "duty": "0.0", "effect": "0.0",
           "transfer": "0.0", "satisfaction": "0.0", "total": "0.0"}
LABEL_SPAN = COLUMNS.index("county") + 1  # the totals row's label spans rank … county


def rows(policy: Policy, t: Translator, assessment: Assessment,
         county: str | Collection[str] | None = None) -> list[list]:
    """One row per graded commissioner; `county` (a name, or the names a console admin covers)
    keeps only those counties' commissioners."""
    counties = {county} if isinstance(county, str) else county
    labels = {g.key: g.text(t.lang) for g in policy.grades}
    out = []
    for g in assessment.graded:
        x, c = g.scored.inputs, assessment.commissioners[g.scored.inputs.code]
        if counties is not None and c.county not in counties:
            continue  # a county admin gets only their county
        comps = {comp.key: comp.score for comp in g.scored.components}
        duty_inputs = g.scored.components[0].inputs
        decision = assessment.decisions.get(x.code)
        out.append([g.rank, x.code, x.name, c.unit.name if c.unit else "", c.county or "", x.all_services,
                    x.verified_services, x.disputed, x.enterprises_served, x.reports_on_time, x.reports_late,
                    x.reports_missing, duty_inputs["response_rate"], x.mean_rating, x.survey_mean, x.outcomes,
                    comps["duty"], comps["effect"], comps["transfer"], comps["satisfaction"], g.scored.total,
                    labels[g.grade], labels[decision.grade] if decision is not None and decision.final else "",
                    basis(t, policy, g.reason),
                    t("report.list_join").join(t(f"assess.failure_{f}") for f in g.scored.failures),
                    assessment.county_opinions.get(x.code, "")])
    return out


def totals(t: Translator, data: list[list]) -> list:
    """Sums of the counts and means of the rates and scores (blank cells left out)."""
    row: list = [t("assess.totals", count=len(data))] + [None] * (len(COLUMNS) - 1)
    for name in SUMMED + AVERAGED:
        i = COLUMNS.index(name)
        values = [r[i] for r in data if r[i] is not None]
        if values:
            row[i] = sum(values) if name in SUMMED else round(fmean(values), 3)
    return row


def grade_counts(policy: Policy, t: Translator, assessment: Assessment, data: list[list]) -> list[list]:
    """等次统计: how many got each grade (of those in `data`) and their share; with a cap, the
    city-wide check of the top grade against it."""
    labels = [g.text(t.lang) for g in policy.grades]
    counts = Counter(r[COLUMNS.index("grade")] for r in data)
    out: list[list] = [[label, counts[label], counts[label] / len(data) if data else 0] for label in labels]
    out.append([t("assess.grades_total"), len(data), 1 if data else 0])
    if policy.top_grade_cap is not None:
        top = policy.grades[0]
        cohort = len(assessment.graded)
        places = top_grade_places(policy, cohort)
        used = sum(1 for g in assessment.graded if g.grade == top.key)
        out.append([])
        out.append([t("assess.cap_row", grade=top.text(t.lang), cohort=cohort), places, policy.top_grade_cap])
        out.append([t("assess.cap_check"), used,
                    t("assess.cap_ok", grade=top.text(t.lang), used=used, places=places) if used <= places else
                    t("assess.cap_over", grade=top.text(t.lang), used=used, over=used - places)])
    return out


def workbook(policy: Policy, t: Translator, assessment: Assessment,
             county: str | Collection[str] | None = None) -> tuple[Workbook, int]:
    """The roster and how many commissioners it lists."""
    data = rows(policy, t, assessment, county)
    labels = [failures_heading(t, policy) if c == "failures" else t(f"assess.col_{c}") for c in COLUMNS]
    formats = {COLUMNS.index(name) + 1: fmt for name, fmt in FORMATS.items()}
    title = t("assess.sheet", year=assessment.year)
    book = table(title, labels, data, formats=formats, freeze="D2")
    sheet = book.active
    if data:
        append_rows(sheet, [totals(t, data)])
        last = sheet.max_row
        sheet.merge_cells(start_row=last, start_column=1, end_row=last, end_column=LABEL_SPAN)
        for cell in sheet[last]:
            cell.font = Font(name=cell.font.name, size=cell.font.size, bold=True)
            column = get_column_letter(cell.column)
            cell.number_format = next((fmt for i, fmt in formats.items() if get_column_letter(i) == column),
                                      cell.number_format)
    counts = book.create_sheet(t("assess.grades_sheet"))
    append_rows(counts, [[t("assess.col_grade_name"), t("assess.col_count"), t("assess.col_share")],
                         *grade_counts(policy, t, assessment, data)])
    style_header(counts)
    for (cell,) in counts.iter_rows(min_row=2, min_col=3, max_col=3):
        if isinstance(cell.value, float | int):
            cell.number_format = "0.0%"
    fit_widths(counts, most=60)
    print_setup(counts, f"{title} · {t('assess.grades_sheet')}")
    return book, len(data)


def roster_bytes(policy: Policy, t: Translator, assessment: Assessment,
                 county: str | Collection[str] | None = None) -> bytes:
    """The roster as an .xlsx file's bytes (the web console's download)."""
    out = io.BytesIO()
    workbook(policy, t, assessment, county)[0].save(out)
    return out.getvalue()


def write_roster(path: Path, policy: Policy, t: Translator, assessment: Assessment, county: str | None = None) -> int:
    book, count = workbook(policy, t, assessment, county)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return count
