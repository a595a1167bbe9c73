"""The web console's sign-in links and sessions."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import WebLink, WebSession


class WebRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_link(self, link: WebLink) -> WebLink:
        self.session.add(link)
        await self.session.flush()
        return link

    async def link_by_hash(self, token_hash: str) -> WebLink | None:
        return await self.session.scalar(select(WebLink).where(WebLink.token_hash == token_hash))

    async def claim_link(self, link_id: int, now: datetime) -> bool:
        """Mark a link used; False if another open claimed it first (single use under races)."""
        result = await self.session.execute(
            update(WebLink).where(WebLink.id == link_id, WebLink.used_at.is_(None), WebLink.expires_at > now)
            .values(used_at=now).execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    async def add_session(self, row: WebSession) -> WebSession:
        self.session.add(row)
        await self.session.flush()
        return row

    async def session_by_hash(self, token_hash: str) -> WebSession | None:
        return await self.session.scalar(
            select(WebSession).where(WebSession.token_hash == token_hash, WebSession.ended_at.is_(None)))
