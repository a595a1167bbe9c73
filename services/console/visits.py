"""One visit as the console shows it, its photos (only within the admin's scope), and the
review decisions: accept with a note, or void with a reason through the chat's own service."""
from __future__ import annotations

from dataclasses import dataclass

from domain.clock import Clock
from domain.policy import Policy
from domain.evidence import Flag, notes
from domain.web_access import Scope
from services import visits as visit_service
from services.visits import VisitError
from storage.evidence_store import EvidenceStore
from storage.models import AuditEntry, Visit, VisitFeedback
from storage.repositories import Repos
from storage.repositories.console import VisitFilter

__all__ = ["VisitError", "VisitView", "informative_flags", "visit_view", "photo_file", "visit_page", "decide", "VisitFilter"]


@dataclass(frozen=True)
class FlagView:
    flag: str
    detail: dict
    suspicious: bool
    earlier: Visit | None = None  # the visit a reused photo was on, when the admin may see it


@dataclass(frozen=True)
class VisitView:
    visit: Visit
    feedback: VisitFeedback | None
    flags: list[FlagView]
    history: list[AuditEntry]

    @property
    def in_queue(self) -> bool:
        v = self.visit
        disputed = self.feedback is not None and self.feedback.status == "disputed"
        return v.voided_at is None and v.reviewed_at is None and (v.evidence_status == "flagged" or disputed)


def informative_flags(policy: Policy) -> frozenset[str]:
    """The flags that inform without casting doubt under this policy (a dropped pin among them
    where the policy takes it as evidence): the lists show every other flag as a suspicion."""
    return frozenset(str(f) for f in notes(policy.visit.pin_is_evidence))


async def visit_view(repos: Repos, policy: Policy, scope: Scope, visit_id: int) -> VisitView | None:
    found = await repos.console.visit(scope.counties, visit_id)
    if found is None:
        return None
    visit, answer = found
    earlier_ids = {f["visit"] for f in visit.flags if f.get("flag") == Flag.REUSED and "visit" in f}
    earlier = await repos.console.visits_by_ids(scope.counties, earlier_ids)
    informative = informative_flags(policy)  # a dropped pin: noted or suspicious, by policy
    flags = [FlagView(f["flag"], {k: v for k, v in f.items() if k != "flag"}, f["flag"] not in informative,
                      earlier.get(f.get("visit")) if f["flag"] == Flag.REUSED else None) for f in visit.flags]
    return VisitView(visit, answer, flags, await repos.console.history("visit", visit.id))


async def visit_page(repos: Repos, scope: Scope, f: VisitFilter, page: int, size: int,
                     oldest_first: bool = False) -> tuple[list[tuple[Visit, VisitFeedback | None]], int]:
    return await repos.console.visits(scope.counties, f, (page - 1) * size, size, oldest_first)


async def photo_file(repos: Repos, store: EvidenceStore, scope: Scope, visit_id: int, position: int,
                     thumbnail: bool) -> tuple[bytes, str] | None:
    """The file at `position` on a visit the admin may see: (its bytes, content type), or None
    (also when the store has lost it). Read through the evidence store, never handed out as a
    bucket URL: only signed-in admins in scope see a photo."""
    found = await repos.console.visit(scope.counties, visit_id)
    if found is None:
        return None
    vf = next((f for f in found[0].files if f.position == position), None)
    if vf is None:
        return None
    stored = vf.file
    if thumbnail and stored.kind == "image":
        data = await store.read_thumbnail(stored.sha256)
        return (data, "image/jpeg") if data is not None else None
    types = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "pdf": "application/pdf"}
    data = await store.read_original(stored.sha256, stored.ext)
    return (data, types.get(stored.ext, "application/octet-stream")) if data is not None else None


async def decide(repos: Repos, clock: Clock, scope: Scope, visit_id: int, *, action: str, text: str,
                 actor: str, user_id: int | None) -> Visit | None:
    """Accept (`text`: the note) or void (`text`: the reason) a visit in scope; None if out of scope.
    Raises VisitError as the chat's /void does."""
    found = await repos.console.visit(scope.counties, visit_id)
    if found is None:
        return None
    visit = found[0]
    if action == "void":
        return await visit_service.void_visit(repos, clock, admin_user_id=user_id, visit=visit, reason=text,
                                              actor=actor)
    return await visit_service.accept_visit(repos, clock, visit=visit, note=text, actor=actor)
