"""Sales data tables (logical database ``products``): order lines, the per-day summary that
demand and charts read, import history with its row errors, filters, rates and their log."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from rm365_core import UTCDateTime, database_metadata, utcnow

#: A row id that is BIGINT on PostgreSQL and the rowid on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def Key(length: int) -> String:  # noqa: N802 - reads as a column type
    """Text compared byte by byte on PostgreSQL (``COLLATE "C"``): the indexes on SKUs, order
    numbers and emails are maintained several times faster than with a language collation,
    and nothing sorts them for people by language rules."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")  # type: ignore[return-value]


class Base(DeclarativeBase):
    """Models stored in the logical database ``products``."""

    metadata = database_metadata("products")


class SaleLine(Base):
    """One order line. Money is in minor units of the region's currency (converted at import
    with a stored rate when the export was in another currency, which ``currency`` keeps).
    ``day`` is the local date in the region's time zone (what demand windows count by)."""

    __tablename__ = "salesdata_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    region: Mapped[str] = mapped_column(Key(16))
    order_number: Mapped[str] = mapped_column(Key(64))
    sku: Mapped[str] = mapped_column(Key(64))
    line_no: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    day: Mapped[date] = mapped_column(Date)
    qty: Mapped[int] = mapped_column(Integer)
    price_minor: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(Key(40))
    currency: Mapped[str] = mapped_column(String(3))
    grand_total_minor: Mapped[int] = mapped_column(BigInteger)
    customer_email: Mapped[str] = mapped_column(Key(255), default="")
    customer_name: Mapped[str] = mapped_column(String(255), default="")
    customer_group: Mapped[str] = mapped_column(Key(64), default="")
    import_id: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (
        UniqueConstraint("region", "order_number", "sku", "line_no", name="uq_salesdata_lines_key"),
        # Browsing by date. The demand filters need no index here: what they remove is kept
        # in ``salesdata_removed`` (each index costs every import its upkeep on every line).
        Index("ix_salesdata_lines_region_day", "region", "day"),
    )


class DailySales(Base):
    """Quantity and revenue per (region, day, SKU, status, customer group), kept up to date by every import in
    the same transaction, so demand and charts never scan the lines."""

    __tablename__ = "salesdata_daily"

    region: Mapped[str] = mapped_column(Key(16), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    sku: Mapped[str] = mapped_column(Key(64), primary_key=True)
    status: Mapped[str] = mapped_column(Key(40), primary_key=True)
    #: Customer groups are few; keeping them here lets a group exclusion read only summaries.
    customer_group: Mapped[str] = mapped_column(Key(64), primary_key=True)
    qty: Mapped[int] = mapped_column(BigInteger, default=0)
    revenue_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    lines: Mapped[int] = mapped_column(Integer, default=0)


class MonthlySales(Base):
    """The same per calendar month (``month`` is its first day): a six-month window reads a
    few months here and only the days of its first, partial month from the daily table."""

    __tablename__ = "salesdata_monthly"

    region: Mapped[str] = mapped_column(Key(16), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    sku: Mapped[str] = mapped_column(Key(64), primary_key=True)
    status: Mapped[str] = mapped_column(Key(40), primary_key=True)
    #: Customer groups are few; keeping them here lets a group exclusion read only summaries.
    customer_group: Mapped[str] = mapped_column(Key(64), primary_key=True)
    qty: Mapped[int] = mapped_column(BigInteger, default=0)
    revenue_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    lines: Mapped[int] = mapped_column(Integer, default=0)


class RemovedSales(Base):
    """What the region's excluded customers and thresholds take out of the summaries above:
    quantity per (region, day, SKU, status, customer group) of the lines they catch (each line
    once). Imports add their new lines' share; a change of those filters recomputes the
    region's rows in its own transaction. Demand reads it instead of the lines."""

    __tablename__ = "salesdata_removed"

    region: Mapped[str] = mapped_column(Key(16), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    sku: Mapped[str] = mapped_column(Key(64), primary_key=True)
    status: Mapped[str] = mapped_column(Key(40), primary_key=True)
    customer_group: Mapped[str] = mapped_column(Key(64), primary_key=True)
    qty: Mapped[int] = mapped_column(BigInteger, default=0)
    lines: Mapped[int] = mapped_column(Integer, default=0)


class SkuInfo(Base):
    """The latest name and latest positive price of a SKU in a region (for labels), kept by
    the imports."""

    __tablename__ = "salesdata_skus"

    region: Mapped[str] = mapped_column(Key(16), primary_key=True)
    sku: Mapped[str] = mapped_column(Key(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    last_sold_at: Mapped[datetime] = mapped_column(UTCDateTime)
    price_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    price_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ImportRun(Base):
    """One upload: who, which file, the counts and how it ended."""

    __tablename__ = "salesdata_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region: Mapped[str] = mapped_column(String(16), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    username: Mapped[str] = mapped_column(String(150))
    dry_run: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20))  # running, done, failed
    message: Mapped[str] = mapped_column(Text, default="")
    job_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_imported: Mapped[int] = mapped_column(Integer, default=0)
    rows_duplicate: Mapped[int] = mapped_column(Integer, default=0)
    rows_updated: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rows_failed: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ImportError_(Base):
    """A row that was not imported: ``row`` is its line number in the file (header = 1)."""

    __tablename__ = "salesdata_import_errors"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("salesdata_imports.id", ondelete="CASCADE"), index=True)
    row: Mapped[int] = mapped_column(Integer)
    column: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)


class Alias(Base):
    """A manual alias: sales of ``alias`` count as ``sku`` in the demand."""

    __tablename__ = "salesdata_aliases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alias: Mapped[str] = mapped_column(String(64), unique=True)
    sku: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Exclusion(Base):
    """A customer (``kind`` email) or customer group (``kind`` group) left out of a region's demand."""

    __tablename__ = "salesdata_exclusions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(255))
    created_by: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("region", "kind", "value", name="uq_salesdata_exclusions_key"),)


class Threshold(Base):
    """A region's outlier limits: lines above ``max_line_qty`` units and orders above
    ``max_order_total_minor`` (region currency, minor units) are left out of the demand."""

    __tablename__ = "salesdata_thresholds"

    region: Mapped[str] = mapped_column(String(16), primary_key=True)
    max_line_qty: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_order_total_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    updated_by: Mapped[str] = mapped_column(String(150))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Rate(Base):
    """How many ``quote`` one ``base`` buys, as of a date (the latest one is used)."""

    __tablename__ = "salesdata_rates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    base: Mapped[str] = mapped_column(String(3))
    quote: Mapped[str] = mapped_column(String(3))
    rate: Mapped[float] = mapped_column(Float)
    as_of: Mapped[date] = mapped_column(Date)
    updated_by: Mapped[str] = mapped_column(String(150))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("base", "quote", "as_of", name="uq_salesdata_rates_key"),)


class FilterChange(Base):
    """Who changed which filter (alias, exclusion, threshold, rate) and when."""

    __tablename__ = "salesdata_filter_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(150))
    action: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    region: Mapped[str] = mapped_column(String(16), default="")
    detail: Mapped[str] = mapped_column(Text)
