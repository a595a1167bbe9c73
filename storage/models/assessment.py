"""What a year is assessed on besides visits: reports, outcomes, the bureau's grade decisions."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base

if TYPE_CHECKING:  # relationships resolve by class name at run time
    from storage.models.people import Commissioner, Enterprise


class Report(Base):
    """A progress report for one reporting period (季度进展, 半年小结, 年终总结)."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("commissioner_id", "cycle", "period", name="uq_reports_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commissioner_id: Mapped[int] = mapped_column(ForeignKey("commissioners.id"), index=True)
    cycle: Mapped[str] = mapped_column(String(32))  # policy report cycle key
    period: Mapped[str] = mapped_column(String(16))  # "2026-Q1", "2026-H1", "2026"
    text: Mapped[str] = mapped_column(Text)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{file_id, name}]
    submitted_at: Mapped[datetime]
    due_on: Mapped[date] = mapped_column(Date)
    late: Mapped[bool] = mapped_column(default=False)
    author_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    commissioner: Mapped[Commissioner] = relationship(lazy="joined")


class Outcome(Base):
    """A result of the service (Yangquan 第十条): contract, listing, patent, standard …"""

    __tablename__ = "outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    commissioner_id: Mapped[int] = mapped_column(ForeignKey("commissioners.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    kind: Mapped[str] = mapped_column(String(32))  # policy outcome kind key
    title: Mapped[str] = mapped_column(String(512))
    achieved_on: Mapped[date] = mapped_column(Date)
    evidence_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    logged_at: Mapped[datetime]
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")


class GradeDecision(Base):
    """The bureau's grade for a commissioner and year: an override with its reason, or final."""

    __tablename__ = "grade_decisions"
    __table_args__ = (UniqueConstraint("year", "commissioner_id", name="uq_grade_decisions_year_commissioner"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    commissioner_id: Mapped[int] = mapped_column(ForeignKey("commissioners.id"))
    grade: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(160))
    decided_at: Mapped[datetime]
    final: Mapped[bool] = mapped_column(default=False)  # locked: no more changes


class Opinion(Base):
    """What the assessment weighs besides the records (Yangquan 第十七条): the county's opinion of a
    commissioner's year ("county"), and a host unit's evaluation ("host", one per enterprise),
    entered by the county admin (/opinion or the import). Written again, the text is replaced."""

    __tablename__ = "opinions"
    __table_args__ = (Index("ix_opinions_year_commissioner", "year", "commissioner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    commissioner_id: Mapped[int] = mapped_column(ForeignKey("commissioners.id"))
    kind: Mapped[str] = mapped_column(String(16))  # "county" or "host"
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))  # the host unit, for "host"
    text: Mapped[str] = mapped_column(Text)
    written_by: Mapped[str] = mapped_column(String(160))
    written_at: Mapped[datetime]

    enterprise: Mapped[Enterprise | None] = relationship(lazy="joined")


class ExpertReview(Base):
    """One reviewer's sheet for a commissioner and year (Jincheng 第二十条: 专家评审): points per
    criterion of the policy's [review] and a conclusion (a grade key). Entered by the bureau (/review)."""

    __tablename__ = "expert_reviews"
    __table_args__ = (UniqueConstraint("year", "commissioner_id", "reviewer", name="uq_expert_reviews_reviewer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    commissioner_id: Mapped[int] = mapped_column(ForeignKey("commissioners.id"), index=True)
    reviewer: Mapped[str] = mapped_column(String(80))
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # criterion key -> points
    conclusion: Mapped[str] = mapped_column(String(32))  # a policy grade key
    written_by: Mapped[str] = mapped_column(String(160))
    written_at: Mapped[datetime]
