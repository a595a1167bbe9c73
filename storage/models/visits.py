"""Visits and their evidence files, the enterprise's answers, satisfaction surveys."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    func,
    literal_column,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.evidence import PHASH_BANDS, Status, counts_as_flagged
from storage.models.base import Base

if TYPE_CHECKING:  # relationships resolve by class name at run time
    from storage.models.people import Agreement, Commissioner, Enterprise


def phash_band(start: int, length: int, column: Any = None):  # noqa: ANN201 - a SQL expression
    """substr(phash, start, length) with the numbers written out, as the index has them: a
    query's expression must be the index's own for the database to use it."""
    return func.substr(literal_column("phash") if column is None else column,
                       literal_column(str(start)), literal_column(str(length)))


class StoredFile(Base):
    """One evidence file, by content: the same bytes uploaded twice are one row and one file.

    Images carry their analysis (size, perceptual hash, EXIF); documents (online visits' minutes,
    PDFs) only their type and size.
    """

    __tablename__ = "stored_files"
    # One index per band of the perceptual hash (domain.evidence.PHASH_BANDS): the reuse check
    # reads the photos that agree with a new one on a band, not every photo stored.
    __table_args__ = tuple(Index(f"ix_stored_files_phash_b{i}", phash_band(start, length))
                           for i, (start, length) in enumerate(PHASH_BANDS))

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # "image" or "document"
    ext: Mapped[str] = mapped_column(String(8))
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    phash: Mapped[str | None] = mapped_column(String(16))  # 64-bit perceptual hash, hex
    taken_at: Mapped[str | None] = mapped_column(String(19))  # EXIF local time, ISO, no zone
    exif_lat: Mapped[float | None] = mapped_column(Float)
    exif_lon: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime]


class Visit(Base):
    """A service visit (一次服务), on site or online, with its evidence and flags."""

    __tablename__ = "visits"
    # By date (newest first) for the console's lists: a page is read off the index, not sorted.
    __table_args__ = (Index("ix_visits_commissioner_date", "commissioner_id", "visit_date"),
                      Index("ix_visits_date_id", "visit_date", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # The conversation's draft id: confirming the same draft twice stores one visit.
    draft_key: Mapped[str] = mapped_column(String(32), unique=True)
    commissioner_id: Mapped[int] = mapped_column(ForeignKey("commissioners.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"))
    author_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))  # policy service kind key
    mode: Mapped[str] = mapped_column(String(16))  # domain.visits.Mode
    visit_date: Mapped[date] = mapped_column(Date)
    logged_at: Mapped[datetime]
    late: Mapped[bool] = mapped_column(default=False)
    summary: Mapped[str] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    live_location: Mapped[bool] = mapped_column(default=False)
    distance_m: Mapped[float | None] = mapped_column(Float)
    evidence_status: Mapped[str] = mapped_column(String(16), index=True)  # domain.evidence.Status
    flags: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    amended_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]
    void_reason: Mapped[str | None] = mapped_column(Text)
    voided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A reviewer accepted the visit despite its flags or dispute (the web console's review queue).
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(String(160))

    commissioner: Mapped[Commissioner] = relationship(lazy="joined")
    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
    files: Mapped[list[VisitFile]] = relationship(
        back_populates="visit", lazy="selectin", order_by="VisitFile.position"
    )

    @hybrid_property
    def flagged(self) -> bool:
        """Still in doubt (`domain.evidence.counts_as_flagged`): flagged and not accepted by a reviewer.
        In SQL the same condition, so lists, counts and figures agree."""
        return counts_as_flagged(self.evidence_status, self.reviewed_at is not None)

    @flagged.inplace.expression
    @classmethod
    def _flagged_expression(cls):  # noqa: ANN206 - a SQL condition
        return and_(cls.evidence_status == Status.FLAGGED.value, cls.reviewed_at.is_(None))


class VisitFile(Base):
    """A file as used on one visit: how it came (photo, file) and Telegram's id for it."""

    __tablename__ = "visit_files"
    __table_args__ = (UniqueConstraint("visit_id", "position", name="uq_visit_files_visit_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    file_unique_id: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(16))  # "photo" (recompressed) or "document" (as sent)
    forwarded: Mapped[bool] = mapped_column(default=False)

    visit: Mapped[Visit] = relationship(back_populates="files")
    file: Mapped[StoredFile] = relationship(lazy="joined")


class VisitFeedback(Base):
    """The enterprise's word on one visit: confirmed or disputed, a 1–5 rating, a comment."""

    __tablename__ = "visit_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # domain.feedback.Answer
    prompted_at: Mapped[datetime]
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    answered_at: Mapped[datetime | None]
    answered_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proxy_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # an admin, on their behalf
    rating: Mapped[int | None] = mapped_column(Integer)
    rated_at: Mapped[datetime | None]
    comment: Mapped[str | None] = mapped_column(Text)
    dispute_reason: Mapped[str | None] = mapped_column(Text)

    visit: Mapped[Visit] = relationship(lazy="joined")


class Survey(Base):
    """A satisfaction survey of one agreement for one period (a year), answered by the enterprise."""

    __tablename__ = "surveys"
    __table_args__ = (UniqueConstraint("agreement_id", "period", name="uq_surveys_agreement_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    period: Mapped[str] = mapped_column(String(8))  # "2026"
    sent_at: Mapped[datetime]
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # question key -> 1..5
    comment: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
    answered_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proxy_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    agreement: Mapped[Agreement] = relationship(lazy="joined")
