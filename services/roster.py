"""The bureau's roster as XLSX: a row per commissioner with the year's figures, score and grade."""
from __future__ import annotations

import io
from collections.abc import Collection
from pathlib import Path

from openpyxl import Workbook

from domain.policy import Policy
from locales import Translator
from services.assessment import Assessment
from services.xlsx import table

COLUMNS = ("rank", "code", "name", "unit", "county", "services", "verified", "disputed", "enterprises",
           "reports_on_time", "reports_late", "reports_missing", "response_rate", "mean_rating", "survey_mean",
           "outcomes", "duty", "effect", "transfer", "satisfaction", "total", "grade", "basis", "failures")


def rows(policy: Policy, t: Translator, assessment: Assessment, county: str | Collection[str] | None = None) -> list[list]:
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
        out.append([g.rank, x.code, x.name, c.unit.name if c.unit else "", c.county or "", x.all_services,
                    x.verified_services, x.disputed, x.enterprises_served, x.reports_on_time, x.reports_late,
                    x.reports_missing, duty_inputs["response_rate"], x.mean_rating, x.survey_mean, x.outcomes,
                    comps["duty"], comps["effect"], comps["transfer"], comps["satisfaction"], g.scored.total,
                    labels[g.grade], t(f"assess.reason_{g.reason}"),
                    t("report.list_join").join(t(f"assess.failure_{f}") for f in g.scored.failures)])
    return out


def roster_workbook(policy: Policy, t: Translator, assessment: Assessment,
                    county: str | Collection[str] | None = None) -> tuple[Workbook, int]:
    data = rows(policy, t, assessment, county)
    workbook = table(t("assess.sheet", year=assessment.year), [t(f"assess.col_{c}") for c in COLUMNS], data,
                     width=lambda index: 14 if index > 5 else 18, freeze="D2")
    return workbook, len(data)


def roster_bytes(policy: Policy, t: Translator, assessment: Assessment,
                 county: str | Collection[str] | None = None) -> bytes:
    """The roster as an .xlsx file's bytes (the web console's download)."""
    out = io.BytesIO()
    roster_workbook(policy, t, assessment, county)[0].save(out)
    return out.getvalue()


def write_roster(path: Path, policy: Policy, t: Translator, assessment: Assessment, county: str | None = None) -> int:
    workbook, count = roster_workbook(policy, t, assessment, county)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return count
