"""Wire types of the salesdata API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class RegionOut(BaseModel):
    id: str
    title: str
    currency: str
    date_format: str
    timezone: str
    excluded_statuses: list[str]
    demand_as: str | None


class RowError(BaseModel):
    row: int = Field(description="line number in the file; the header is line 1")
    column: str
    value: str
    message: str


class ImportOut(BaseModel):
    import_id: int
    region: str
    dry_run: bool
    rows_total: int
    rows_imported: int
    rows_duplicate: int
    rows_updated: int = Field(description="lines already there whose order status changed (e.g. cancelled since)")
    rows_failed: int
    errors: list[RowError]
    errors_truncated: bool = Field(description="more errors than listed: download them all as CSV")
    duration_ms: int


class ImportQueued(BaseModel):
    import_id: int
    region: str
    dry_run: bool
    job: dict[str, Any] = Field(description="the kernel job run: follow it at /api/v1/jobs/{id} or in its room")


class RunOut(BaseModel):
    id: int
    region: str
    filename: str
    username: str
    dry_run: bool
    status: str
    message: str
    job_id: str | None
    rows_total: int
    rows_imported: int
    rows_duplicate: int
    rows_updated: int = Field(description="lines already there whose order status changed (e.g. cancelled since)")
    rows_failed: int
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None


class LineOut(BaseModel):
    id: int
    order_number: str
    line_no: int
    created_at: datetime
    day: date
    sku: str
    name: str
    qty: int
    price: float
    grand_total: float
    currency: str
    exported_currency: str
    status: str
    customer_email: str
    customer_name: str
    customer_group: str


class CondensedItem(BaseModel):
    sku: str
    name: str
    total_qty: int


class CondensedPage(BaseModel):
    items: list[CondensedItem]
    total: int
    page: int
    size: int
    region: str
    since: date
    total_qty: int


class WeekPoint(BaseModel):
    week: date
    qty: int
    revenue: float


class TopSku(BaseModel):
    sku: str
    qty: int
    revenue: float


class ChartsOut(BaseModel):
    region: str
    currency: str
    since: date
    weeks: list[WeekPoint]
    top_skus: list[TopSku]


class AliasIn(BaseModel):
    alias: str = Field(min_length=1, max_length=64)
    sku: str = Field(min_length=1, max_length=64)


class AliasOut(BaseModel):
    id: int
    alias: str
    sku: str
    created_by: str
    created_at: datetime


class ExclusionIn(BaseModel):
    kind: Literal["email", "group"]
    value: str = Field(min_length=1, max_length=255)


class ExclusionOut(BaseModel):
    id: int
    region: str
    kind: str
    value: str
    created_by: str
    created_at: datetime


class ThresholdsIn(BaseModel):
    max_line_qty: int | None = Field(default=None, ge=1, le=10_000_000)
    max_order_total: float | None = Field(default=None, gt=0, le=1e12)


class ThresholdsOut(BaseModel):
    region: str
    currency: str
    max_line_qty: int | None
    max_order_total: float | None
    updated_by: str | None
    updated_at: datetime | None


class RateIn(BaseModel):
    base: str = Field(pattern=r"^[A-Za-z]{3}$")
    quote: str = Field(pattern=r"^[A-Za-z]{3}$")
    rate: float = Field(gt=0, le=1e6)
    as_of: date | None = None


class RateOut(BaseModel):
    base: str
    quote: str
    rate: float
    as_of: date
    updated_by: str
    updated_at: datetime


class FilterChangeOut(BaseModel):
    id: int
    at: datetime
    username: str
    action: str
    kind: str
    region: str
    detail: str
