"""Wire types of the inventory API: request bodies and the answers each route documents."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rm365_core import Page

#: Versions are 32-bit integers in the database: nothing larger was ever given out.
MAX_VERSION = 2**31 - 1
MAX_QUANTITY = 1_000_000


# -- requests -----------------------------------------------------------------------------
class ItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=64, examples=["VITD3-1000-120"])
    name: str = Field(min_length=1, max_length=255, examples=["Vitamin D3 1000 IU, 120 tablets"])
    status: str | None = Field(
        default=None, max_length=40, description="One of the configured statuses (default Active)"
    )
    item_id: str | None = Field(
        default=None, max_length=32, description="Label barcode; derived from the SKU when empty"
    )
    notes: str | None = Field(default=None, max_length=10_000)
    stock: dict[str, int] | None = Field(default=None, description="Opening quantity per location")
    expiry: dict[str, date | None] | None = Field(default=None, description="Expiry date per expiry location")


class ItemPatch(BaseModel):
    """Only the fields sent change. ``stock`` sets absolute quantities (recorded as corrections)."""

    model_config = ConfigDict(extra="forbid")

    sku: str | None = Field(default=None, min_length=1, max_length=64)
    name: str | None = Field(default=None, min_length=1, max_length=255)
    status: str | None = Field(default=None, max_length=40)
    item_id: str | None = Field(default=None, max_length=32)
    notes: str | None = Field(default=None, max_length=10_000)
    stock: dict[str, int] | None = None
    expiry: dict[str, date | None] | None = None
    version: int | None = Field(
        default=None, ge=1, le=MAX_VERSION, description="The version edited, if not sent as If-Match"
    )


class AdjustmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=200, description="SKU or label barcode; pasted whitespace is removed")
    quantity: int = Field(
        ge=-MAX_QUANTITY, le=MAX_QUANTITY, description="Units; the reason decides the sign (negative only for removals)"
    )
    reason: str = Field(min_length=1, max_length=40)
    location: str = Field(default="auto", max_length=32, description="'auto' or a location id")
    client_id: str | None = Field(default=None, max_length=100, description="Makes a retry safe: applied once")
    source: Literal["ui", "scanner", "api"] = "ui"
    note: str = Field(default="", max_length=500)


# -- answers ------------------------------------------------------------------------------
class ItemOut(BaseModel):
    """An item. ``demand``, ``demand_total`` and ``stock_status`` are there only when the
    salesdata plugin offers demand."""

    sku: str
    item_id: str = Field(description="The label barcode")
    name: str
    status: str
    notes: str
    stock: dict[str, int] = Field(description="Quantity per configured location, in removal order")
    expiry: dict[str, date | None] = Field(description="Best-before date per expiry location")
    total: int
    version: int = Field(description="Goes up with every change, stock included; send it back as If-Match")
    created_at: datetime
    updated_at: datetime
    demand: dict[str, int] | None = Field(default=None, description="Units sold over six months, per region")
    demand_total: int | None = None
    stock_status: Literal["low", "normal", "over"] | None = None


class ItemPage(Page[ItemOut]):
    """A page of items. Pass ``next_after`` back as ``after=`` for the next page."""

    pages: int
    estimated: bool = Field(description="True when total is PostgreSQL's estimate (more than 10,000 matches)")
    demand: bool = Field(description="Whether items carry demand (the salesdata plugin is there)")


class LocationOut(BaseModel):
    id: str
    label: str
    expiry: bool


class ReasonOut(BaseModel):
    name: str
    sign: Literal["out", "in", "either"]


class ConfigOut(BaseModel):
    locations: list[LocationOut]
    statuses: list[str]
    default_status: str
    reasons: list[ReasonOut]
    correction_reason: str
    sources: list[str]
    stock_statuses: list[str]
    demand: bool
    max_page_size: int
    max_batch: int
    can_manage: bool
    can_adjust: bool


class MoveOut(BaseModel):
    location: str
    delta: int
    quantity_after: int


class AdjustmentOut(BaseModel):
    """An adjustment; ``stock`` and ``version`` are null on a duplicate (the original's are gone)."""

    id: int
    sku: str
    quantity: int
    reason: str
    location: str
    source: str
    by: str
    client_id: str | None
    created_at: datetime
    movements: list[MoveOut]
    total_after: int | None
    stock: dict[str, int] | None
    version: int | None
    duplicate: bool


class BatchResult(BaseModel):
    client_id: str | None
    status: Literal["applied", "duplicate", "error"]
    message: str
    adjustment: AdjustmentOut | None = None
    stock: dict[str, int] | None = Field(default=None, description="On a shortage: the stock per location")


class MovementOut(BaseModel):
    id: int
    adjustment_id: int
    sku: str
    location: str
    delta: int
    quantity_after: int
    reason: str
    source: str
    by: str
    created_at: datetime
    client_id: str | None
    note: str


class SummaryDay(BaseModel):
    day: date
    reason: str
    adjustments: int
    added: int
    removed: int
    net: int


class SummaryTotals(BaseModel):
    adjustments: int
    added: int
    removed: int
    net: int


class SummaryOut(BaseModel):
    days: list[SummaryDay]
    reasons: dict[str, SummaryTotals]


class ImportRowError(BaseModel):
    row: int
    column: str
    message: str
    sku: str | None


class ImportChange(BaseModel):
    sku: str
    action: Literal["created", "updated"]
    row: int
    fields: list[str] | None = None


class ImportOut(BaseModel):
    dry_run: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    folded: int
    excluded: int
    errors: list[ImportRowError]
    changes: list[ImportChange] = Field(description="The first 500 changes")
