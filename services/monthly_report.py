"""The month's digest as a report an admin can file: the period in the title, a table per county
(services, commissioners on pace, flags, disputes, overdue reports), services by week as a
chart, then the lists. Rendered by templates/monthly.html in the dossier's stylesheet and
font; no emoji (the embedded CJK font has none, WeasyPrint would print an empty box)."""
from __future__ import annotations

from domain.policy import Policy
from locales import Translator
from services.charts import monthly_bars
from services.digest import Digest
from services.dossier import font_family, stylesheet
from templates import environment


def monthly_html(t: Translator, policy: Policy, digest: Digest, county: str | None = None) -> str:
    weeks = digest.weeks()
    chart = monthly_bars([n for _, _, n in weeks],
                         [f"{a:%m-%d}" if a == b else t("digest.week_label", first=f"{a:%m-%d}", last=f"{b:%m-%d}")
                          for a, b, _ in weeks], font=font_family())
    pace_checked = policy.min_services_per_year is not None
    lists = [("flagged", digest.flagged), ("disputed", digest.disputed), ("overdue", digest.overdue)]
    if pace_checked:  # without a yearly minimum nobody is behind: no empty section about it
        lists.append(("behind", digest.behind))
    month = t("digest.month_name", year=digest.since.year, month=digest.since.month)
    return environment().get_template("monthly.html").render(
        t=t, lang=t.lang, css=stylesheet(), digest=digest, chart=chart,
        title=t("digest.month_title", city=policy.city(t.lang), month=month),
        scope=county or t("digest.scope_all", city=policy.city(t.lang)),
        counties=sorted(digest.counties.items(), key=lambda item: (item[0] == "—", -item[1].services, item[0])),
        total=digest.total(), pace_checked=pace_checked, lists=lists)
