"""Before an agreement: enterprises' needs, two-way selection, public notice (公示) and its
objections, signatures; after it: change requests and disqualification (Yangquan 第十一、十四至十六条;
Jincheng 第六至九条、第二十一条)."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base

if TYPE_CHECKING:  # relationships resolve by class name at run time
    from storage.models.people import Agreement, Commissioner, Enterprise


class Need(Base):
    """An enterprise's technical need (技术需求), filed in the bot or imported."""

    __tablename__ = "needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(64), unique=True)  # imports upsert by it
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    field: Mapped[str] = mapped_column(String(128))  # 技术领域
    description: Mapped[str] = mapped_column(Text)  # the problem
    expected_help: Mapped[str] = mapped_column(Text, default="")
    urgency: Mapped[str] = mapped_column(String(16), default="normal")  # domain.selection.URGENCIES
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open, matched, closed
    file_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)  # stored_files ids
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(160))  # "user:<id>", "import"

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")


class Pairing(Base):
    """A commissioner proposed for a need: interest from either side, the bureau's confirmation,
    the notice period, and the parties' signatures, ending in an agreement (or not)."""

    __tablename__ = "pairings"
    __table_args__ = (UniqueConstraint("need_id", "commissioner_id", name="uq_pairings_need_commissioner"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), index=True)
    commissioner_id: Mapped[int] = mapped_column(ForeignKey("commissioners.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="interest", index=True)  # domain.selection.PairingStatus
    commissioner_interest_at: Mapped[datetime | None]
    enterprise_interest_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    confirmed_by: Mapped[str | None] = mapped_column(String(160))
    notice_start: Mapped[date | None] = mapped_column(Date)
    notice_end: Mapped[date | None] = mapped_column(Date)  # the last day objections are taken
    unit_signs: Mapped[bool] = mapped_column(Boolean, default=False)  # a unit contact is registered and must sign
    signed_commissioner_at: Mapped[datetime | None]
    signed_enterprise_at: Mapped[datetime | None]
    signed_unit_at: Mapped[datetime | None]
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"))
    created_at: Mapped[datetime]

    need: Mapped[Need] = relationship(lazy="joined")
    commissioner: Mapped[Commissioner] = relationship(lazy="joined")


class Objection(Base):
    """An objection (异议) to a pairing on public notice; it holds the pairing until decided."""

    __tablename__ = "objections"
    # One objection per person per pairing: repeating it would hold a pairing on notice for good.
    __table_args__ = (UniqueConstraint("pairing_id", "filed_by", name="uq_objections_pairing_filed_by"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pairing_id: Mapped[int] = mapped_column(ForeignKey("pairings.id"), index=True)
    filed_by: Mapped[str] = mapped_column(String(160))  # "user:<id>"
    reason: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime]
    decision: Mapped[str | None] = mapped_column(String(16))  # None: pending; "upheld", "dismissed"
    decided_by: Mapped[str | None] = mapped_column(String(160))
    decided_at: Mapped[datetime | None]

    pairing: Mapped[Pairing] = relationship(lazy="joined")


class ChangeRequest(Base):
    """A written request to change an agreement (Yangquan 第十一条, 第十五条（二）)."""

    __tablename__ = "change_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # domain.selection.CHANGE_KINDS
    reason: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text, default="")  # the new targets, or the enterprise wished for
    requested_by: Mapped[str] = mapped_column(String(160))  # "user:<id>"
    requester_role: Mapped[str] = mapped_column(String(16))  # commissioner or enterprise
    requested_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending, approved, rejected
    decided_by: Mapped[str | None] = mapped_column(String(160))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")

    agreement: Mapped[Agreement] = relationship(lazy="joined")


class Disqualification(Base):
    """取消资格: why, by whom, and what follows (bar, subsidy recovery)."""

    __tablename__ = "disqualifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    commissioner_id: Mapped[int] = mapped_column(ForeignKey("commissioners.id"), index=True)
    reason: Mapped[str] = mapped_column(String(32))  # a key of the policy's disqualification reasons
    article: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str] = mapped_column(String(160))
    decided_at: Mapped[datetime]
    barred_until: Mapped[date] = mapped_column(Date)
    recover_subsidies: Mapped[bool] = mapped_column(Boolean, default=False)  # 追回补贴 (Jincheng 第二十一条)
    agreements_ended: Mapped[list[Any]] = mapped_column(JSON, default=list)  # ids

    commissioner: Mapped[Commissioner] = relationship(lazy="joined")
