"""The county's opinion of a commissioner's year and the host units' evaluations (Yangquan 第十七条:
辖区科技管理部门意见, 派驻单位评价; Jincheng 第十八条: 入驻中小企业共同考核). A county admin enters them
(/opinion in the chat, or `tepai import --kind opinions`); the dossier prints them. Writing one again
replaces its text. Audited."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.clock import Clock
from domain.records import OPINION_KINDS, OPINION_MAX_CHARS
from services.errors import Refusal
from storage.models import Commissioner, Enterprise, Opinion
from storage.repositories import Repos

KINDS = tuple(OPINION_KINDS)  # "county", "host"
MAX_CHARS = OPINION_MAX_CHARS


class OpinionError(Refusal):
    """`reason` names a catalogue text, opinion.error_<reason>."""


@dataclass(frozen=True)
class OpinionInput:
    year: int
    code: str  # the commissioner's
    kind: str  # "county" or "host"
    text: str
    enterprise_code: str | None = None  # the host unit, for "host"


def check(entry: OpinionInput) -> str:
    """The problem with an entry before looking anything up, or "" (pure: the import uses it too)."""
    if entry.kind not in KINDS:
        return "unknown_kind"
    if entry.kind == "host" and not entry.enterprise_code:
        return "enterprise_needed"
    if not entry.text.strip():
        return "text_needed"
    if len(entry.text.strip()) > MAX_CHARS:
        return "too_long"
    return ""


async def record(repos: Repos, clock: Clock, entry: OpinionInput, *, actor: str,
                 counties: frozenset[str] | None = None) -> Opinion:
    """Store (or replace) one opinion. `counties`: the admin's own (None: the bureau, every county)."""
    problem = check(entry)
    if problem:
        raise OpinionError(problem)
    commissioner = await repos.people.by_code(Commissioner, entry.code)
    if commissioner is None:
        raise OpinionError("unknown_commissioner")
    if counties is not None and commissioner.county not in counties:
        raise OpinionError("not_yours")
    enterprise = None
    if entry.kind == "host":
        enterprise = await repos.people.by_code(Enterprise, entry.enterprise_code or "")
        if enterprise is None:
            raise OpinionError("unknown_enterprise")
        start, end = date(entry.year, 1, 1), date(entry.year, 12, 31)
        if not any(a.enterprise_id == enterprise.id and a.start_date <= end and a.end_date >= start
                   for a in await repos.people.agreements_of(commissioner_id=commissioner.id)):
            raise OpinionError("no_agreement")
    enterprise_id = enterprise.id if enterprise else None
    row = await repos.assessment.opinion(entry.year, commissioner.id, entry.kind, enterprise_id)
    old = row.text if row else None
    if row is None:
        row = Opinion(year=entry.year, commissioner_id=commissioner.id, kind=entry.kind, enterprise_id=enterprise_id,
                      text=entry.text.strip(), written_by=actor, written_at=clock.now())
        repos.assessment.add(row)
    else:
        row.text, row.written_by, row.written_at = entry.text.strip(), actor, clock.now()
    repos.audit.record(clock.now(), actor, f"opinion.{entry.kind}", "commissioner", commissioner.id,
                       year=entry.year, enterprise=entry.enterprise_code, old=old, new=row.text)
    return row
