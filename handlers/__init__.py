"""One router per conversation; `build_root_router` puts them in the order they must be tried."""
from __future__ import annotations

from aiogram import F, Router

from handlers import (
    admin,
    assessment,
    change,
    common,
    conversation_guard,
    disqualify,
    fallback,
    feedback,
    language,
    need,
    opinion,
    outcome,
    profile,
    report,
    review,
    selection,
    start,
    visit,
    visit_evidence,
    visits,
)

ROUTERS: tuple[Router, ...] = (
    conversation_guard.router, start.router, language.router, common.router, admin.router,
    visit.router, visit_evidence.router, visits.router, feedback.router, report.router, outcome.router,
    assessment.router, opinion.router, review.router, change.router, disqualify.router, selection.router, profile.router,
    need.router,
    fallback.router,
)


def _detach(router: Router) -> None:
    # Module-level routers can belong to one parent at a time. A new Dispatcher in the same
    # process (a restart in tests, the benchmark) takes them over from the previous one.
    parent = router.parent_router
    if parent is not None:
        parent.sub_routers.remove(router)
        router._parent_router = None  # noqa: SLF001 - aiogram has no public detach


def build_root_router() -> Router:
    root = Router(name="root")
    # Tepai talks to people one to one; in groups it stays silent.
    root.message.filter(F.chat.type == "private")
    for router in ROUTERS:
        _detach(router)
        root.include_router(router)
    return root
