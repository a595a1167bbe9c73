"""The running counts' figures (storage/running_counts.py keeps them): what each visit,
commissioner and enterprise contributes, one function per kind of row, used alike by the flush
hook (for the rows a flush touches) and by the full recount, so the two cannot define a figure
differently.

Figures (figure, year, county, county2, key):
  visits      visit year, enterprise's county, commissioner's county; key m01..m12 (live visits
              by month), flagged (in doubt and not an open dispute), disputed (open), pending
  cohort      commissioners with any agreement, by county and the span their agreements cover
              (key: "start:end,start:end"), year 0
  firms       the same for enterprises, by the enterprise's county
  agreements  active agreements by commissioner's county and "start:end", year 0
  pace        commissioners by each span their active agreements cover, for each year the span
              touches: key "start:end:live visits that year"
  reports     reports by commissioner's county: key "cycle|period|late|the commissioner's spans"
  built       one row, year = VERSION: the table holds this version's figures
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable
from datetime import date, timedelta

from sqlalchemy import (Date, Integer, String, bindparam, cast, extract, func, literal, null, select, type_coerce,
                        union_all)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased

from domain.evidence import counts_as_disputed, counts_as_flagged
from storage.models import Agreement, Commissioner, Enterprise, Report, Visit, VisitFeedback

Key = tuple[str, int, str, str, str]
Span = tuple[date, date]
_E, _C = aliased(Enterprise, name="count_enterprise"), aliased(Commissioner, name="count_commissioner")


def merge(spans: Iterable[Span]) -> list[Span]:
    """Date spans joined where they overlap or touch, in order."""
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1] + timedelta(days=1):
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def spans_key(spans: list[Span]) -> str:
    return ",".join(f"{s.isoformat()}:{e.isoformat()}" for s, e in spans)


def parse_spans(key: str) -> list[Span]:
    out = []
    for part in filter(None, key.split(",")):
        s, e = part.split(":")[:2]
        out.append((date.fromisoformat(s), date.fromisoformat(e)))
    return out


def covers(spans: list[Span], start: date, end: date) -> bool:
    return any(s <= end and e >= start for s, e in spans)


IDS = bindparam("ids", expanding=True)


class _Statement:
    """One query for every row (the recount) and for the rows of some ids (the hook), each built
    once: built again on every flush, the statements' construction and cache keys were a third of
    a confirmed visit's CPU. `build(only)` makes the query, `only(stmt, column)` narrowing it."""

    def __init__(self, build: Callable) -> None:
        self.every = build(lambda stmt, _column: stmt)
        self.some = build(lambda stmt, column: stmt.where(column.in_(IDS)))

    def run(self, session: Session | Connection, ids: Collection[int] | None) -> Iterable:
        """Every row (`ids` None), or those of `ids`: none at all for no ids, without asking."""
        if ids is None:
            return session.execute(self.every)
        return session.execute(self.some, {"ids": sorted(ids)}) if ids else []


_VISIT_ROWS = _Statement(lambda only: only(
    select(Visit.visit_date, Visit.evidence_status, Visit.reviewed_at.is_not(None), VisitFeedback.status,
           _E.county, _C.county)
    .join(_E, _E.id == Visit.enterprise_id).join(_C, _C.id == Visit.commissioner_id)
    .outerjoin(VisitFeedback, VisitFeedback.visit_id == Visit.id).where(Visit.voided_at.is_(None)), Visit.id))


def visit_figures(session: Session | Connection, ids: Collection[int] | None) -> Counter:
    out: Counter = Counter()
    for day, status, accepted, answer, enterprise_county, commissioner_county in _VISIT_ROWS.run(session, ids):
        accepted = bool(accepted)
        at = ("visits", day.year, enterprise_county or "", commissioner_county or "")
        out[(*at, f"m{day.month:02d}")] += 1
        if counts_as_disputed(answer, accepted):
            out[(*at, "disputed")] += 1
        elif counts_as_flagged(status, accepted) and answer != "disputed":
            out[(*at, "flagged")] += 1
        if answer == "pending":
            out[(*at, "pending")] += 1
    return out


def _fact(tag: str, commissioner_id, *, s1=None, s2=None, d1=None, d2=None, n1=None, n2=None):  # noqa: ANN001, ANN202
    """One branch of `_commissioner_facts`: every branch has the same typed columns."""
    values = ((s1, String), (s2, String), (d1, Date), (d2, Date), (n1, Integer), (n2, Integer))
    return select(literal(tag).label("tag"), commissioner_id.label("cid"),
                  *(_typed(v, type_).label(f"c{i}") for i, (v, type_) in enumerate(values)))


def _typed(value, type_):  # noqa: ANN001, ANN202
    # A union's branches need one type a column (PostgreSQL will not mix boolean with integer),
    # but SQLite's CAST(... AS DATE) makes a number of a date: a date column stays as it is.
    if value is None:
        return cast(null(), type_)
    return type_coerce(value, type_) if type_ is Date else cast(value, type_)


def _commissioner_facts_query(only: Callable):  # noqa: ANN202
    """The rows a commissioner's contribution hangs on, in one statement (the hook reads them
    before and after every flush that touches a commissioner): county, agreements, live visits by
    year, reports; a tag says which."""
    year = extract("year", Visit.visit_date)
    return union_all(
        only(_fact("county", Commissioner.id, s1=Commissioner.county), Commissioner.id),
        only(_fact("agreement", Agreement.commissioner_id, s1=Agreement.status, d1=Agreement.start_date,
                   d2=Agreement.end_date), Agreement.commissioner_id),
        only(_fact("visits", Visit.commissioner_id, n1=year, n2=func.count(Visit.id))
             .where(Visit.voided_at.is_(None)), Visit.commissioner_id).group_by(Visit.commissioner_id, year),
        only(_fact("report", Report.commissioner_id, s1=Report.cycle, s2=Report.period, n1=Report.late),
             Report.commissioner_id))


_COMMISSIONER_FACTS = _Statement(_commissioner_facts_query)
_ENTERPRISE_COUNTIES = _Statement(lambda only: only(select(Enterprise.id, Enterprise.county), Enterprise.id))
_ENTERPRISE_SPANS = _Statement(lambda only: only(
    select(Agreement.enterprise_id, Agreement.start_date, Agreement.end_date), Agreement.enterprise_id))


def commissioner_figures(session: Session | Connection, ids: Collection[int] | None) -> Counter:
    county: dict[int, str] = {}
    agreements: list[tuple[int, str, date, date]] = []
    done: dict[tuple[int, int], int] = {}
    reports: list[tuple[int, str, str, bool]] = []
    for tag, cid, s1, s2, d1, d2, n1, n2 in _COMMISSIONER_FACTS.run(session, ids):
        if tag == "county":
            county[cid] = s1 or ""
        elif tag == "agreement":
            agreements.append((cid, s1, d1, d2))
        elif tag == "visits":
            done[(cid, int(n1))] = int(n2)
        else:
            reports.append((cid, s1, s2, bool(n1)))
    every: dict[int, list[Span]] = defaultdict(list)
    active: dict[int, list[Span]] = defaultdict(list)
    out: Counter = Counter()
    for cid, status, start, end in agreements:
        every[cid].append((start, end))
        if status == "active":
            active[cid].append((start, end))
            out[("agreements", 0, county.get(cid, ""), "", f"{start.isoformat()}:{end.isoformat()}")] += 1
    signature = {cid: spans_key(merge(spans)) for cid, spans in every.items()}
    for cid, key in signature.items():
        out[("cohort", 0, county.get(cid, ""), "", key)] += 1
    for cid, spans in active.items():
        for s, e in merge(spans):
            for y in range(s.year, e.year + 1):
                out[("pace", y, county.get(cid, ""), "", f"{s.isoformat()}:{e.isoformat()}:{done.get((cid, y), 0)}")] += 1
    for cid, cycle, period, late in reports:
        out[("reports", 0, county.get(cid, ""), "", f"{cycle}|{period}|{int(late)}|{signature.get(cid, '')}")] += 1
    return out


def enterprise_figures(session: Session | Connection, ids: Collection[int] | None) -> Counter:
    county = {eid: c or "" for eid, c in _ENTERPRISE_COUNTIES.run(session, ids)}
    spans: dict[int, list[Span]] = defaultdict(list)
    for eid, start, end in _ENTERPRISE_SPANS.run(session, ids):
        spans[eid].append((start, end))
    out: Counter = Counter()
    for eid, agreed in spans.items():
        out[("firms", 0, county.get(eid, ""), "", spans_key(merge(agreed)))] += 1
    return out


def recount(session: Session | Connection) -> Counter:
    """Every figure counted from the rows themselves."""
    return visit_figures(session, None) + commissioner_figures(session, None) + enterprise_figures(session, None)
