"""Assessment dossiers (services/dossier.py): HTML with charts and thumbnails, and the PDF, over a seeded
year on SQLite and PostgreSQL. PDF rendering takes about a second: only one test renders."""
from __future__ import annotations

import base64
import re
import subprocess
import sys
from datetime import date, datetime, time, timezone
from pathlib import Path

import pytest
from PIL import ImageFile
from sqlalchemy import select

from locales import Translator, when
from services.assessment import assess
from services.dossier import build, stylesheet, to_pdf, write_dossier
from storage.models import Commissioner, Outcome, Report
from storage.repositories import Repos
from testkit.databases import ROOT
from testkit.rendering import page_with, pdf_fonts, pdf_pages, pdf_text, render_page
from testkit.years import AS_OF, ZONE, imported, seeded  # noqa: F401

GENERATED = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai


@pytest.fixture(autouse=True)
def pillow_flags_restored():  # noqa: ANN201
    """A guard: importing WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES (to_pdf resets it;
    test_rendering_a_pdf_leaves_the_upload_checks_alone checks that); other files see it as it was."""
    before = ImageFile.LOAD_TRUNCATED_IMAGES
    yield
    ImageFile.LOAD_TRUNCATED_IMAGES = before


async def dossier_of(seeded, policy, code: str, generated: datetime = GENERATED,  # noqa: ANN001, ANN201, F811
                     lang: str = "zh"):
    async with seeded.sessionmaker() as session:
        repos = Repos(session)
        result = await assess(repos, policy, 2026, AS_OF)
        return await build(repos, policy, seeded.store, Translator(lang), result, code, generated)


async def visits_of(seeded, code: str) -> list:  # noqa: ANN001, F811
    async with seeded.sessionmaker() as session:
        repos = Repos(session)
        commissioner = await repos.people.by_code(Commissioner, code)
        return await repos.visits.between(commissioner.id, date(2026, 1, 1), date(2026, 12, 31))


async def test_dossier_html(seeded, policy) -> None:  # noqa: ANN001, F811
    dossier = await dossier_of(seeded, policy, "C001")
    html = dossier.html
    assert (dossier.code, dossier.name) == ("C001", "张伟")
    assert "张伟 · 2026 年度科技特派员考核材料" in html
    assert "<td>C001</td>" in html and "太原理工大学" in html and "耐火材料" in html
    for title in ("基本情况与服务协议", "考核得分与建议等次", "服务记录", "各月服务次数", "服务对象满意度",
                  "报告提交情况", "创新成果"):
        assert f"<h2>{title}" in html, title
    # The score, its components and the proposed grade.
    for label in ("履职尽责", "技术服务成效", "创新成果转化", "服务对象满意度", "合格"):
        assert label in html
    # Both agreements, and every visit of the year with its enterprise.
    visits = await visits_of(seeded, "C001")
    assert visits and f"服务记录（{len(visits)} 次）" in html
    assert {v.enterprise.name for v in visits} <= {"阳泉华鑫耐火材料有限公司", "阳泉恒通智能装备有限公司"}
    # Numbered 1..N by date, the stored id small beside the number.
    rows = re.findall(r'<tr><td class="no">(\d+)<br><span class="small">#(\d+)</span></td><td class="nowrap">([^<]+)</td>'
                      r'\s*<td><span class="nowrap">([^<]+)</span>', html)
    assert [(int(n), int(i), d, e) for n, i, d, e in rows] == [
        (n, v.id, when.day(v.visit_date, "zh", year=False), v.enterprise.name) for n, v in enumerate(visits, start=1)]
    assert [v.id for v in visits] != sorted(v.id for v in visits)  # the seeded ids are not in date order
    # Charts: monthly bars and the map, as inline SVG.
    assert html.count("<svg") == 2
    assert html.count('<rect x="') >= 12  # a bar a month
    # Photos are embedded JPEGs, not links, in the appendix.
    thumbs = re.findall(r'<figure><img src="data:image/jpeg;base64,([A-Za-z0-9+/=]*)"', html)
    assert len(thumbs) == len(visits)  # one photo per seeded visit
    assert all(base64.b64decode(t).startswith(b"\xff\xd8") for t in thumbs)
    # The outcomes of the year.
    async with seeded.sessionmaker() as session:
        titles = (await session.scalars(select(Outcome.title).join(Commissioner, Commissioner.id == Outcome.commissioner_id)
                                        .where(Commissioner.code == "C001"))).all()
    assert all(title in html for title in titles)


async def test_pdf_and_files(seeded, policy, tmp_path: Path) -> None:  # noqa: ANN001, F811
    dossier = await dossier_of(seeded, policy, "C002")
    paths = write_dossier(tmp_path / "dossiers", dossier)
    assert [p.name for p in paths] == ["C002-王芳.html", "C002-王芳.pdf"]
    assert all(p.is_file() for p in paths)
    assert paths[0].read_text("utf-8") == dossier.html
    pdf = paths[1].read_bytes()
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "王芳" in text and "考核" in text and "C002" in text
    assert "阳泉晋阳煤化工有限公司" in text
    # The stylesheet applies: every page has its number, and the fonts are the ones it names.
    pages = pdf_pages(pdf)
    assert pages >= 2
    for n in range(1, pages + 1):
        assert re.search(rf"(?m)^{n}\s*/\s*{pages}$", text), n
    named = {_font_key(f) for f in re.search(r"font-family:([^;]+);", stylesheet()).group(1).split(",")}
    assert {_font_key(f) for f in pdf_fonts(pdf)} <= named, pdf_fonts(pdf)
    # Labels, names and dates are never broken across lines inside a table cell ("技术指/导").
    visits = await visits_of(seeded, "C002")
    kinds = {k.key: k.zh for k in policy.service_kinds}
    words = {kinds[v.kind] for v in visits} | {v.enterprise.name for v in visits} | {when.day(v.visit_date, "zh", year=False)
                                                                                     for v in visits}
    words.add(when.day(GENERATED.astimezone(ZONE).date(), "zh"))  # the subtitle's 生成于 … (it broke at 12/月)
    assert all(word in text for word in words)
    broken = [w for w in words for k in range(1, len(w)) if f"{w[:k]}\n{w[k:]}" in text]
    assert broken == []
    # For a person to look at (docs/outputs.md shows them): the first pages, the sign-off, the photos.
    for page, name in ((1, "dossier-yangquan-1"), (2, "dossier-yangquan-2"),
                       (page_with(pdf, "审核意见"), "dossier-yangquan-signoff"),
                       (page_with(pdf, "附录一"), "dossier-yangquan-photos")):
        assert render_page(pdf, page, name).stat().st_size > 10_000


@pytest.mark.parametrize("policy", ["jincheng"], indirect=True)
async def test_jincheng_pdf_has_its_grades_and_the_review_sheet(seeded, policy) -> None:  # noqa: ANN001, F811
    pdf = to_pdf((await dossier_of(seeded, policy, "C001")).html)
    text = pdf_text(pdf)
    sheet = page_with(pdf, "专家评审表")
    assert "评审结论" in text.split("\f")[sheet - 1] and "称职" in text and "合格" not in text
    for page, name in ((1, "dossier-jincheng-1"), (sheet, "dossier-jincheng-review")):
        assert render_page(pdf, page, name).stat().st_size > 10_000


def _font_key(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


async def test_to_pdf_of_a_small_page() -> None:
    pdf = to_pdf("<html><body><h1>张伟 考核</h1></body></html>")
    assert pdf.startswith(b"%PDF") and "张伟" in pdf_text(pdf)


async def test_generated_time_is_shown_in_local_time(imported, policy) -> None:  # noqa: ANN001, F811
    # handlers/assessment.py and bot/commands_year.py both pass clock.now(), which is UTC.
    html = (await dossier_of(imported, policy, "C003", GENERATED)).html
    assert "生成于 2026年11月20日 10:00" in html


ISO_DATE_OR_TIME = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{2}:\d{2}:\d{2}\b")


@pytest.mark.parametrize(("lang", "readable"), [("zh", r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}"),
                                                ("en", r"\d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}")])
async def test_dates_and_times_are_written_as_people_read_them(seeded, policy, lang, readable) -> None:  # noqa: ANN001, F811
    """Agreements, visits, reports, outcomes, photo times and the generated line: no ISO date anywhere."""
    html = (await dossier_of(seeded, policy, "C001", lang=lang)).html
    text = re.sub(r"<style>.*?</style>|<[^>]+>", " ", html, flags=re.S)
    assert ISO_DATE_OR_TIME.findall(text) == []
    assert len(re.findall(readable, text)) >= 2  # generated, and each photo's time


async def test_report_lateness_is_counted_in_local_days(seeded, policy) -> None:  # noqa: ANN001, F811
    # Q2 was due on 10 July; sent at 00:30 on 11 July in Shanghai (16:30 on 10 July UTC): late, by one day.
    sent = datetime.combine(date(2026, 7, 11), time(0, 30), ZONE).astimezone(timezone.utc)
    async with seeded.sessionmaker() as session:
        commissioner = await Repos(session).people.by_code(Commissioner, "C001")
        report = await session.scalar(select(Report).where(Report.commissioner_id == commissioner.id,
                                                           Report.period == "2026-Q2"))
        report.submitted_at, report.due_on, report.late = sent, date(2026, 7, 10), True
        await session.commit()
    html = (await dossier_of(seeded, policy, "C001")).html
    row = re.search(r'<tr><td><span class="nowrap">季度工作进展 2026-Q2</span><br><span class="small nowrap">'
                    r'2026年4月1日 — 2026年6月30日</span></td><td class="nowrap">([^<]*)</td><td class="flag nowrap">([^<]*)</td>',
                    html)
    assert row is not None
    assert row.groups() == ("2026年7月11日", "逾期 1 天")


TRUNCATED_AFTER_PDF = """
import tempfile
from pathlib import Path
from services.dossier import to_pdf
from storage.evidence_store import EvidenceStore, UploadRejected
from testkit.images import truncated_jpeg

store = EvidenceStore(Path(tempfile.mkdtemp()))
def attempt():
    try:
        store.put_image(truncated_jpeg())
        return "stored"
    except UploadRejected as exc:
        return exc.reason
before = attempt()
to_pdf("<p>张伟</p>")
print(before, attempt())
"""


def test_rendering_a_pdf_leaves_the_upload_checks_alone() -> None:
    # In a fresh process, as in the running bot: a dossier, then a broken photo.
    run = subprocess.run([sys.executable, "-c", TRUNCATED_AFTER_PDF], cwd=ROOT, capture_output=True, text=True,
                         check=True, timeout=120)
    assert run.stdout.split() == ["corrupt", "corrupt"]
