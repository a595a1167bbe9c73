"""The web console's sign-in: one-time links (made by `/web` or `tepai web-link`) and the
sessions they open. Only hashes of the tokens are stored."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class WebLink(Base):
    """A one-time sign-in link: single use, valid for minutes."""

    __tablename__ = "web_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The admin's scope: None for the bureau (every county), else the counties they cover.
    counties: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    display_name: Mapped[str] = mapped_column(String(256))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: made on the command line
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(160))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class WebSession(Base):
    """A signed-in browser: the cookie carries the token, the row its hash."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("web_links.id"))
    counties: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    display_name: Mapped[str] = mapped_column(String(256))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
