"""Inventory tables (logical database ``inventory``): items, stock per location, adjustments
and their movements. A total is always summed from the stock rows, never stored."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Computed,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from rm365_core import UTCDateTime, database_metadata, utcnow


class Base(DeclarativeBase):
    """Models stored in the logical database ``inventory``."""

    metadata = database_metadata("inventory")


SEARCH_KEY_SQL = "lower(sku || ' ' || name || ' ' || item_id)"


class Item(Base):
    """A product. ``version`` goes up with every change, stock included (for If-Match). SKUs are
    unique regardless of case (``VIT-1`` and ``vit-1`` cannot both exist), so a scan in any
    case names one item."""

    __tablename__ = "inventory_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    item_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(40), index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: What the list search matches: kept by the database itself, so it cannot go stale, and
    #: one plain LIKE over it is several times cheaper than lower() on three columns.
    search_key: Mapped[str | None] = mapped_column(Text, Computed(SEARCH_KEY_SQL, persisted=True), deferred=True)

    __table_args__ = (
        # On PostgreSQL a trigram index answers "contains" searches without a full scan.
        Index(
            "ix_inventory_items_search_trgm",
            "search_key",
            postgresql_using="gin",
            postgresql_ops={"search_key": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )


# Scans match a SKU or barcode in any case: one SKU per lower-cased spelling, found by index.
Index("uq_inventory_items_sku_lower", func.lower(Item.sku), unique=True)
Index("ix_inventory_items_item_id_lower", func.lower(Item.item_id))


class Stock(Base):
    """The quantity of one item at one location; the database refuses a negative one."""

    __tablename__ = "inventory_stock"
    __table_args__ = (
        UniqueConstraint("item_pk", "location", name="uq_inventory_stock_item_location"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_pk: Mapped[int] = mapped_column(ForeignKey("inventory_items.id", ondelete="CASCADE"))
    location: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    expiry: Mapped[date | None] = mapped_column(Date, nullable=True)


class Adjustment(Base):
    """One requested change of stock (one transaction). ``client_id`` makes retries safe:
    the unique constraint lets a scanner's entry be applied once, ever."""

    __tablename__ = "inventory_adjustments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str | None] = mapped_column(String(100), unique=True, nullable=True)
    item_pk: Mapped[int | None] = mapped_column(
        ForeignKey("inventory_items.id", ondelete="SET NULL"), nullable=True, index=True
    )
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(40))
    location: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(20))
    username: Mapped[str] = mapped_column(String(150))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The item's total right after this change, so a retried client_id gets the same answer.
    total_after: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Movement(Base):
    """The change at one location caused by an adjustment, with the quantity it left there."""

    __tablename__ = "inventory_movements"
    __table_args__ = (
        Index("ix_inventory_movements_sku_created_at", "sku", "created_at"),
        CheckConstraint("quantity_after >= 0", name="quantity_after_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    adjustment_id: Mapped[int] = mapped_column(ForeignKey("inventory_adjustments.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    location: Mapped[str] = mapped_column(String(32))
    delta: Mapped[int] = mapped_column(Integer)
    quantity_after: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(20))
    username: Mapped[str] = mapped_column(String(150), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
