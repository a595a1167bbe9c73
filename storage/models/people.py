"""People and the ties between them: accounts and roles, units, commissioners, enterprises,
agreements, invites."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base


class User(Base):
    """A Telegram account that has talked to the bot."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    full_name: Mapped[str] = mapped_column(String(256), default="")
    username: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(8))  # None: not chosen, use the default
    created_at: Mapped[datetime]
    failed_starts: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_start_at: Mapped[datetime | None]
    unreachable_at: Mapped[datetime | None]  # Telegram said 403: blocked the bot, or deleted


class DispatchingUnit(Base):
    """派出单位: the commissioner's employer (university, institute)."""

    __tablename__ = "dispatching_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(256))
    contact_name: Mapped[str | None] = mapped_column(String(128))
    contact_phone: Mapped[str | None] = mapped_column(String(64))


class Commissioner(Base):
    """科技特派员."""

    __tablename__ = "commissioners"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("dispatching_units.id"))
    title: Mapped[str | None] = mapped_column(String(128))  # 职称
    degree: Mapped[str | None] = mapped_column(String(64))  # 学位
    expertise: Mapped[str | None] = mapped_column(Text)  # 专业领域
    phone: Mapped[str | None] = mapped_column(String(64))
    county: Mapped[str | None] = mapped_column(String(128), index=True)
    keywords: Mapped[str | None] = mapped_column(Text)  # 擅长方向, besides the fields in `expertise`
    capacity: Mapped[int | None] = mapped_column(Integer)  # enterprises they can serve; None: the policy's
    # "applicant" (imported candidate, not yet selected), "active", "disqualified" (取消资格)
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    barred_until: Mapped[date | None] = mapped_column(Date)  # no selection, no prompts until after this day

    unit: Mapped[DispatchingUnit | None] = relationship(lazy="joined")


class Enterprise(Base):
    """派驻单位 / 入驻企业: the enterprise or rural unit served."""

    __tablename__ = "enterprises"
    __table_args__ = (
        CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)", name="latitude_range"),
        CheckConstraint("longitude IS NULL OR (longitude >= -180 AND longitude <= 180)", name="longitude_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(256))
    county: Mapped[str | None] = mapped_column(String(128), index=True)
    address: Mapped[str | None] = mapped_column(String(512))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    contact_name: Mapped[str | None] = mapped_column(String(128))
    contact_phone: Mapped[str | None] = mapped_column(String(64))


class Agreement(Base):
    """服务协议 / 派驻协议书 between a commissioner and an enterprise."""

    __tablename__ = "agreements"
    __table_args__ = (
        UniqueConstraint("commissioner_id", "enterprise_id", "start_date", name="uq_agreements_pair_start"),
        CheckConstraint("end_date >= start_date", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commissioner_id: Mapped[int] = mapped_column(ForeignKey("commissioners.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active")  # domain.records.AGREEMENT_STATUSES
    targets: Mapped[str | None] = mapped_column(Text)  # 任务目标, as agreed or changed by an approved request
    # Renewal (续签) answers, one per party: both yes (…_at) make the next year's agreement; a
    # party's no (…_declined_at) is kept too, so it is given, and told to the other side, once.
    renew_commissioner_at: Mapped[datetime | None]
    renew_enterprise_at: Mapped[datetime | None]
    renew_commissioner_declined_at: Mapped[datetime | None]
    renew_enterprise_declined_at: Mapped[datetime | None]

    commissioner: Mapped[Commissioner] = relationship(lazy="joined")
    enterprise: Mapped[Enterprise] = relationship(lazy="joined")


class RoleGrant(Base):
    """One role held by one Telegram account; an account may hold several.

    The subject columns say whose role it is: a commissioner, an enterprise (its contact person),
    a dispatching unit (its contact person), a county (its admins) or the bureau (by admin name).
    """

    __tablename__ = "role_grants"
    __table_args__ = (
        UniqueConstraint("user_id", "role", "subject_key", name="uq_role_grants_user_role_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    # "commissioner:12", "county:城区", "bureau:王敏": unique per user and role.
    subject_key: Mapped[str] = mapped_column(String(160))
    commissioner_id: Mapped[int | None] = mapped_column(ForeignKey("commissioners.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("dispatching_units.id"), index=True)
    county: Mapped[str | None] = mapped_column(String(128))
    display_name: Mapped[str] = mapped_column(String(256))  # the name they are greeted by
    subject_name: Mapped[str] = mapped_column(String(256))  # what they act for: enterprise, county…
    granted_at: Mapped[datetime]

    user: Mapped[User] = relationship()


class Invite(Base):
    """A single-use, expiring invite. Only the token's SHA-256 is stored."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    subject_key: Mapped[str] = mapped_column(String(160))
    commissioner_id: Mapped[int | None] = mapped_column(ForeignKey("commissioners.id"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("dispatching_units.id"))
    county: Mapped[str | None] = mapped_column(String(128))
    display_name: Mapped[str] = mapped_column(String(256))
    subject_name: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(160))  # "cli" or "user:<id>"
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None]
