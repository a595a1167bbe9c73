"""Running counts behind the console's figures, kept equal to a recount in the transaction that
changes what they count.

Counting a province's year on every look took seconds; these rows make the overview a sum of a
few hundred rows whatever the size. One place keeps them, for every writer (the chat, the CLI,
the console, the scheduler, imports): a hook on the session's flush. Before a flush it notes
which visits, commissioners and enterprises the flush touches and reads what they contributed;
after it, what they contribute now; the differences are added to `running_counts` by upsert in
the same transaction, just before it commits. What each contributes is one function per kind of row
(storage/running_figures.py), used alike by the hook and by the full recount, so the two cannot
define a figure differently. On PostgreSQL the rows are locked (FOR NO KEY UPDATE) before
their old contribution is read, so two transactions changing one visit cannot both subtract it.

Rows written with Core statements that bypass the ORM (a bulk load, the benchmark's seed) are
not seen: `rebuild` after them (`tepai db recount`); `check` compares with a recount.

A figure's key can be long (the cohort's joins every span a commissioner's agreements cover): one
longer than the primary key's column is stored by its digest, whole beside it (`as_stored`,
`whole_key`); the figures and their readers only ever see the whole key.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import delete, event, inspect, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from storage.models import Agreement, Commissioner, Enterprise, Report, RunningCount, Visit, VisitFeedback
from storage.models.system import RUNNING_KEY_CHARS
from storage.running_figures import (IDS, Key, commissioner_figures, enterprise_figures, recount,
                                     visit_figures)

PENDING = "running_counts_pending"  # session.info: what this transaction's flushes added, not yet written
VERSION = 2  # raise when what is counted changes: ensure_current then rebuilds

# What a flush must change for a row to move a count (other columns, a summary say, do not).
WATCHED = {
    Visit: ("visit_date", "voided_at", "evidence_status", "reviewed_at", "enterprise_id", "commissioner_id"),
    VisitFeedback: ("status", "visit_id"),
    Agreement: ("status", "start_date", "end_date", "commissioner_id", "enterprise_id"),
    Report: ("cycle", "period", "late", "commissioner_id"),
    Commissioner: ("county",),
    Enterprise: ("county",),
}


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
        return (visit_figures(session, self.visits) + commissioner_figures(session, self.commissioners)
                + enterprise_figures(session, self.enterprises))


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
    delta: Counter = Counter()
    for touched, before in session.info.pop("running_counts", []):
        for row in touched.new:
            if inspect(row).persistent:
                touched.note(row)
        delta.update(difference(touched.contributions(session), before))
    if session.in_nested_transaction():  # written now: a savepoint rolled back takes them with it
        add(session, _nonzero(delta))
    else:
        session.info.setdefault(PENDING, Counter()).update(delta)


def _before_commit(session: Session) -> None:
    """The counts are written last, just before COMMIT: many transactions add to one county's
    rows, and each holds the rows it wrote until it commits. Written at each flush, a confirm held
    them through the rest of its update and others queued behind it (lock waits on the upsert were
    the load benchmark's most frequent wait on PostgreSQL)."""
    if session.in_nested_transaction():
        return  # released into the outer transaction, which writes them at its own commit
    session.flush()  # the last changes first, so they are counted too
    add(session, _taken(session))


def _taken(session: Session) -> dict[Key, int]:
    return _nonzero(session.info.pop(PENDING, Counter()))


def _nonzero(delta: Counter) -> dict[Key, int]:
    """Changes that cancelled out (a count up in one flush, down in the next) write nothing."""
    return {k: n for k, n in delta.items() if n}


def _after_transaction_end(session: Session, transaction) -> None:  # noqa: ANN001
    if transaction.parent is None:  # committed (written) or rolled back (void)
        session.info.pop(PENDING, None)


def difference(after: Counter, before: Counter) -> dict[Key, int]:
    return {k: after[k] - before[k] for k in after.keys() | before.keys() if after[k] != before[k]}


def as_stored(key: Key, n: int) -> dict:
    """A count's row: a key too long for the primary key as its digest, whole in `long_key`."""
    figure, year, county, county2, own = key
    long_key = None
    if len(own) > RUNNING_KEY_CHARS:
        own, long_key = "#" + hashlib.sha256(own.encode()).hexdigest(), own
    return dict(figure=figure, year=year, county=county, county2=county2, key=own, long_key=long_key, n=n)


def whole_key(key: str, long_key: str | None) -> str:
    """A stored row's own key as its figure made it."""
    return key if long_key is None else long_key


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
    rows = session.execute(upsert, [as_stored(k, n) for k, n in sorted(delta.items())])
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
event.listen(CountingSession, "before_commit", _before_commit)
event.listen(CountingSession, "after_transaction_end", _after_transaction_end)


# --- checking and rebuilding ----------------------------------------------------------------------
def stored(session: Session | Connection) -> Counter:
    rows = session.execute(select(RunningCount.figure, RunningCount.year, RunningCount.county, RunningCount.county2,
                                  RunningCount.key, RunningCount.long_key, RunningCount.n)
                           .where(RunningCount.figure != "built"))
    return Counter({(*r[:4], whole_key(r[4], r[5])): r[6] for r in rows if r[6]})


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
        session.execute(RunningCount.__table__.insert(), [as_stored(k, n) for k, n in counted.items()])
    return len(counted)


def ensure_current(session: Session | Connection) -> bool:
    """Rebuild when the table holds no figures of this VERSION (just migrated, or counted by an
    older Tepai); True if it did."""
    built = session.scalar(select(RunningCount.n).where(RunningCount.figure == "built", RunningCount.year == VERSION))
    if built:
        return False
    rebuild(session)
    return True
