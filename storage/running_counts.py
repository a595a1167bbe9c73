"""Running counts behind the console's figures, kept equal to a recount in the transaction that
changes what they count.

Counting a province's year on every look took seconds; these rows make the overview a sum of a
few hundred rows whatever the size. One place keeps them, for every writer (the chat, the CLI,
the console, the scheduler, imports): a hook on the session's flush. Before a flush it notes
which visits, commissioners and enterprises the flush touches and reads what they contributed;
after it, what they contribute now; the difference is added to `running_counts` by upsert in the
same transaction. What each contributes is one function per kind of row (`_visits`,
`_commissioners`, `_enterprises`), used alike by the hook and by the full recount, so the two
cannot define a figure differently. On PostgreSQL the rows are locked (FOR NO KEY UPDATE) before
their old contribution is read, so two transactions changing one visit cannot both subtract it.

Rows written with Core statements that bypass the ORM (a bulk load, the benchmark's seed) are
not seen: `rebuild` after them (`tepai db recount`); `check` compares with a recount.

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
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import (Date, Integer, String, bindparam, cast, delete, event, extract, func, inspect, literal, null, select,
                        tuple_, type_coerce, union_all)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased

from domain.evidence import counts_as_disputed, counts_as_flagged
from storage.models import Agreement, Commissioner, Enterprise, Report, RunningCount, Visit, VisitFeedback

VERSION = 1  # raise when what is counted changes: ensure_current then rebuilds
Key = tuple[str, int, str, str, str]
Span = tuple[date, date]

# What a flush must change for a row to move a count (other columns, a summary say, do not).
WATCHED = {
    Visit: ("visit_date", "voided_at", "evidence_status", "reviewed_at", "enterprise_id", "commissioner_id"),
    VisitFeedback: ("status", "visit_id"),
    Agreement: ("status", "start_date", "end_date", "commissioner_id", "enterprise_id"),
    Report: ("cycle", "period", "late", "commissioner_id"),
    Commissioner: ("county",),
    Enterprise: ("county",),
}
_E, _C = aliased(Enterprise, name="count_enterprise"), aliased(Commissioner, name="count_commissioner")


# --- what each row contributes ------------------------------------------------------------------
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

    def run(self, session: Session | Connection, ids: Collection[int] | None):  # noqa: ANN201 - a result
        return session.execute(self.every) if ids is None else session.execute(self.some, {"ids": sorted(ids)})


_VISIT_ROWS = _Statement(lambda only: only(
    select(Visit.visit_date, Visit.evidence_status, Visit.reviewed_at.is_not(None), VisitFeedback.status,
           _E.county, _C.county)
    .join(_E, _E.id == Visit.enterprise_id).join(_C, _C.id == Visit.commissioner_id)
    .outerjoin(VisitFeedback, VisitFeedback.visit_id == Visit.id).where(Visit.voided_at.is_(None)), Visit.id))


def _visits(session: Session | Connection, ids: Collection[int] | None) -> Counter:
    if ids is not None and not ids:
        return Counter()
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


def _commissioners(session: Session | Connection, ids: Collection[int] | None) -> Counter:
    if ids is not None and not ids:
        return Counter()
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


def _enterprises(session: Session | Connection, ids: Collection[int] | None) -> Counter:
    if ids is not None and not ids:
        return Counter()
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
    return _visits(session, None) + _commissioners(session, None) + _enterprises(session, None)


# --- keeping them ---------------------------------------------------------------------------------
@dataclass
class _Touched:
    visits: set[int] = field(default_factory=set)
    commissioners: set[int] = field(default_factory=set)
    enterprises: set[int] = field(default_factory=set)
    new: list = field(default_factory=list)  # rows without an id before the flush

    def __bool__(self) -> bool:
        return bool(self.visits or self.commissioners or self.enterprises or self.new)

    def note(self, row: object, old: bool = False) -> None:
        """The ids this row's contribution hangs on (with `old`: also the values before the flush)."""
        def values(name: str) -> list:
            if not old:
                return [getattr(row, name)]
            history = inspect(row).attrs[name].history
            return [*history.unchanged, *history.added, *history.deleted] or [getattr(row, name)]

        def add(target: set[int], name: str) -> None:
            target.update(v for v in values(name) if v is not None)

        if isinstance(row, Visit):
            add(self.visits, "id")
            add(self.commissioners, "commissioner_id")
        elif isinstance(row, VisitFeedback):
            add(self.visits, "visit_id")
        elif isinstance(row, Agreement):
            add(self.commissioners, "commissioner_id")
            add(self.enterprises, "enterprise_id")
        elif isinstance(row, Report):
            add(self.commissioners, "commissioner_id")
        elif isinstance(row, Commissioner):
            add(self.commissioners, "id")
        elif isinstance(row, Enterprise):
            add(self.enterprises, "id")

    def contributions(self, session: Session) -> Counter:
        return (_visits(session, self.visits) + _commissioners(session, self.commissioners)
                + _enterprises(session, self.enterprises))


def _changed(row: object) -> bool:
    state = inspect(row)
    return any(state.attrs[name].history.has_changes() for name in WATCHED[type(row)])


def _touched(session: Session) -> _Touched:
    touched = _Touched()
    for row in session.new:
        if type(row) in WATCHED:
            touched.note(row)
            touched.new.append(row)
    for row in session.dirty:
        if type(row) in WATCHED and _changed(row):
            touched.note(row, old=True)
            moved = isinstance(row, (Commissioner, Enterprise))
            if moved:  # a county changed: each of their visits counts under the new one
                column = Visit.commissioner_id if isinstance(row, Commissioner) else Visit.enterprise_id
                touched.visits.update(session.scalars(select(Visit.id).where(column == row.id)))
    for row in session.deleted:
        if type(row) in WATCHED:
            touched.note(row, old=True)
    touched.visits.discard(None)
    return touched


_LOCKS = {model: select(model.id).where(model.id.in_(IDS)).order_by(model.id).with_for_update(key_share=True)
          for model in (Visit, Commissioner, Enterprise)}


def _lock(session: Session, touched: _Touched) -> None:
    """PostgreSQL: hold the rows whose contribution is about to be read until the commit, so the
    contribution read before this flush is the one this transaction replaces."""
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite has one writer at a time
    for model, ids in ((Visit, touched.visits), (Commissioner, touched.commissioners),
                       (Enterprise, touched.enterprises)):
        if ids:
            session.execute(_LOCKS[model], {"ids": sorted(ids)})


def _before_flush(session: Session, _context, _instances) -> None:  # noqa: ANN001
    with session.no_autoflush:
        touched = _touched(session)
        if not touched:
            return
        _lock(session, touched)
        session.info.setdefault("running_counts", []).append((touched, touched.contributions(session)))


def _after_flush(session: Session, _context) -> None:  # noqa: ANN001
    for touched, before in session.info.pop("running_counts", []):
        for row in touched.new:
            if inspect(row).persistent:
                touched.note(row)
        add(session, difference(touched.contributions(session), before))


def difference(after: Counter, before: Counter) -> dict[Key, int]:
    return {k: after[k] - before[k] for k in after.keys() | before.keys() if after[k] != before[k]}


_KEY = (RunningCount.figure, RunningCount.year, RunningCount.county, RunningCount.county2, RunningCount.key)


def _upsert(module):  # noqa: ANN001, ANN202 - the dialect's insert module
    stmt = module.insert(RunningCount)
    return stmt.on_conflict_do_update(index_elements=["figure", "year", "county", "county2", "key"],
                                      set_={"n": RunningCount.n + stmt.excluded.n}).returning(*_KEY, RunningCount.n)


_UPSERTS = {"postgresql": _upsert(postgresql), "sqlite": _upsert(sqlite)}


def add(session: Session, delta: dict[Key, int]) -> None:
    """Add to the stored counts (an upsert per key, in the caller's transaction)."""
    if not delta:
        return
    upsert = _UPSERTS["postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"]
    rows = session.execute(upsert, [dict(figure=k[0], year=k[1], county=k[2], county2=k[3], key=k[4], n=n)
                                    for k, n in sorted(delta.items())])
    # A count brought to zero goes: only those keys, by the unique index, and only when there are
    # some (most flushes leave none), not a scan of the whole table.
    emptied = [tuple(r[:5]) for r in rows if r[5] == 0]
    if emptied:
        session.execute(delete(RunningCount).where(tuple_(*_KEY).in_(emptied), RunningCount.n == 0))


class CountingSession(Session):
    """The ORM session every sessionmaker of ours makes (storage.db.create_sessionmaker): its
    flushes keep the running counts."""


event.listen(CountingSession, "before_flush", _before_flush)
event.listen(CountingSession, "after_flush_postexec", _after_flush)


# --- checking and rebuilding ----------------------------------------------------------------------
def stored(session: Session | Connection) -> Counter:
    rows = session.execute(select(RunningCount.figure, RunningCount.year, RunningCount.county, RunningCount.county2,
                                  RunningCount.key, RunningCount.n).where(RunningCount.figure != "built"))
    return Counter({tuple(r[:5]): r[5] for r in rows if r[5]})


def check(session: Session | Connection) -> dict[Key, tuple[int, int]]:
    """Where the stored counts differ from a recount: key -> (stored, counted)."""
    kept, counted = stored(session), recount(session)
    return {k: (kept[k], counted[k]) for k in kept.keys() | counted.keys() if kept[k] != counted[k]}


def rebuild(session: Session | Connection) -> int:
    """Replace every stored count with a recount (in the caller's transaction); rows written."""
    session.execute(delete(RunningCount))
    counted = recount(session)
    counted[("built", VERSION, "", "", "")] = 1
    if counted:
        session.execute(RunningCount.__table__.insert(), [
            dict(figure=k[0], year=k[1], county=k[2], county2=k[3], key=k[4], n=n) for k, n in counted.items()])
    return len(counted)


def ensure_current(session: Session | Connection) -> bool:
    """Rebuild when the table holds no figures of this VERSION (just migrated, or counted by an
    older Tepai); True if it did."""
    built = session.scalar(select(RunningCount.n).where(RunningCount.figure == "built", RunningCount.year == VERSION))
    if built:
        return False
    rebuild(session)
    return True
