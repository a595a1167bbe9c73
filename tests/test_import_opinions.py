"""`tepai import --kind opinions`: the county's opinions and the host units' evaluations from a sheet,
upserted by (year, commissioner, kind, enterprise); a bad row stores nothing from the file."""
from __future__ import annotations

from sqlalchemy import func, select

from domain.records import Kind
from services.importer import import_file
from storage.models import Opinion
from testkit.databases import EXAMPLES
from testkit.importing import import_bad, import_examples, import_ok, problems, write_csv


async def test_opinions_import_then_reimport_changes_nothing(repos, clock, tmp_path) -> None:  # noqa: ANN001
    await import_examples(repos, clock)
    report = await import_ok(repos, clock, EXAMPLES / "opinions.csv")  # the file name says the kind
    assert report.created["opinions"] == 3
    rows = (await repos.session.scalars(select(Opinion).order_by(Opinion.id))).all()
    assert [(o.year, o.kind, o.enterprise.code if o.enterprise else None) for o in rows] == [
        (2026, "county", None), (2026, "host", "E001"), (2026, "county", None)]
    assert rows[1].text.startswith("帮助解决回转窑") and rows[0].written_by == "import"
    again = await import_ok(repos, clock, EXAMPLES / "opinions.csv")
    assert (again.created["opinions"], again.unchanged["opinions"]) == (0, 3)
    changed = write_csv(tmp_path / "意见.csv", "year,commissioner,kind,enterprise,text\n"
                                               "2026,C002,county,,服务次数达标，成果转化有进展。\n")
    report = await import_ok(repos, clock, changed, Kind.OPINIONS)
    assert (report.created["opinions"], report.updated["opinions"]) == (0, 1)
    assert await repos.session.scalar(select(func.count()).select_from(Opinion)) == 3


async def test_bad_opinion_rows_store_nothing(repos, clock, tmp_path) -> None:  # noqa: ANN001
    await import_examples(repos, clock)
    path = write_csv(tmp_path / "opinions.csv", "年度,特派员编号,类别,企业编号,意见\n"
                                                 "2026,C001,县区意见,,很好\n"
                                                 "二〇二六,C001,县区意见,,很好\n"
                                                 "2026,C001,领导意见,,很好\n"
                                                 "2026,C001,派驻单位评价,,很好\n"
                                                 "2026,C999,县区意见,,很好\n"
                                                 "2026,C001,派驻单位评价,E404,很好\n"
                                                 f"2026,C002,县区意见,,{'好' * 1001}\n")
    report = await import_bad(repos, clock, path)
    assert problems(report) == sorted([
        (3, "bad_year", "year"), (4, "bad_opinion_kind", "kind"), (5, "missing_value", "enterprise_code"),
        (6, "unknown_commissioner", "commissioner_code"), (7, "unknown_enterprise", "enterprise_code"),
        (8, "too_long", "text")], key=repr)  # cells and references in one pass
    assert await repos.session.scalar(select(func.count()).select_from(Opinion)) == 0
    # With the cells right, the references alone.
    path = write_csv(tmp_path / "opinions.csv", "年度,特派员编号,类别,企业编号,意见\n"
                                                 "2026,C999,县区意见,,很好\n"
                                                 "2026,C001,派驻单位评价,E404,很好\n")
    report = await import_file(repos, clock, path, None, actor="test")
    assert problems(report) == sorted([(2, "unknown_commissioner", "commissioner_code"),
                                        (3, "unknown_enterprise", "enterprise_code")], key=repr)
