"""Labels tables (logical database ``labels``): print jobs, the snapshot of every label row they
print, and the rendered PDF of the jobs that render in the background."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from rm365_core import UTCDateTime, database_metadata, utcnow


class Base(DeclarativeBase):
    """Models stored in the logical database ``labels``."""

    metadata = database_metadata("labels")


class LabelJob(Base):
    """A print job: everything needed to print it again identically (template, region, line
    date, the filters it was chosen with) plus its rows. ``state``: ``ready`` (print at will),
    ``rendering`` (a background run is making the PDF), ``failed``."""

    __tablename__ = "labels_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template: Mapped[str] = mapped_column(String(40))
    #: The template's geometry and symbology when the job was made, so a reprint lays out alike.
    template_spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    region: Mapped[str] = mapped_column(String(8))
    currency: Mapped[str] = mapped_column(String(3))
    line_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    item_count: Mapped[int] = mapped_column(Integer)
    label_count: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(12), default="ready")
    #: False while a big job's rows still wait for their prices and quantities (its run fills
    #: them in before drawing, so the request that made it answers at once).
    priced: Mapped[bool] = mapped_column(Boolean, default=True)
    run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_by: Mapped[str] = mapped_column(String(150), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class LabelJobRow(Base):
    """One item of a job as it prints: the text exactly as on the label, the barcode value."""

    __tablename__ = "labels_job_rows"
    __table_args__ = (Index("ix_labels_job_rows_job_position", "job_id", "position", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("labels_jobs.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    item_id: Mapped[str] = mapped_column(String(64))
    barcode: Mapped[str] = mapped_column(String(64))
    price: Mapped[str | None] = mapped_column(String(20), nullable=True)
    currency: Mapped[str] = mapped_column(String(3))
    price_converted: Mapped[bool] = mapped_column(Boolean, default=False)
    price_text: Mapped[str] = mapped_column(String(32))
    uk_6m: Mapped[int | None] = mapped_column(Integer, nullable=True)
    fr_6m: Mapped[int | None] = mapped_column(Integer, nullable=True)
    copies: Mapped[int] = mapped_column(Integer, default=1)


class LabelJobPdf(Base):
    """The PDF a background run rendered for a big job (small jobs render on request)."""

    __tablename__ = "labels_job_pdfs"

    job_id: Mapped[int] = mapped_column(ForeignKey("labels_jobs.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
