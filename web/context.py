"""What every console request carries: the unit of work, the signed-in session and its scope,
the translator; and the collaborators the app was made with."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.clock import Clock
from domain.policy import Policy
from domain.web_access import Scope
from services.console.cache import VersionedCache
from locales import Translator
from storage.evidence_store import EvidenceStore
from storage.repositories import Repos

if TYPE_CHECKING:  # a name for annotations only: the console's pages do not touch the tables
    from storage.models import WebSession


@dataclass(frozen=True)
class Console:
    """The app's collaborators, passed in by `web.app.create_app`."""

    sessionmaker: async_sessionmaker[AsyncSession]
    policy: Policy
    clock: Clock
    zone: ZoneInfo
    store: EvidenceStore
    base_url: str
    map_tiles: str | None = None
    kept: VersionedCache = field(default_factory=VersionedCache, compare=False)  # figures until data changes

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")


CONSOLE = web.AppKey("console", Console)


@dataclass
class Visitor:
    """One request's view: set by the auth middleware."""

    repos: Repos
    t: Translator
    session: WebSession | None = None
    scope: Scope | None = None

    @property
    def signed_in(self) -> bool:
        return self.session is not None


VISITOR = web.RequestKey("visitor", Visitor)


def console(request: web.Request) -> Console:
    return request.app[CONSOLE]


def visitor(request: web.Request) -> Visitor:
    return request[VISITOR]
