"""Wire types of the labels API (requests and answers)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from rm365_core import Page


class JobItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=64)
    copies: int = Field(default=1, ge=-1_000_000, le=1_000_000, description="Labels of this item (1 to max_copies)")


class JobCreate(BaseModel):
    """A print job: the items (with copies), the template, the region whose prices print, the
    line date (blank to write on) and the filters the items were chosen with (kept for history)."""

    model_config = ConfigDict(extra="forbid")

    items: list[JobItem] = Field(max_length=100_000)
    template: str = Field(max_length=40)
    region: str = Field(max_length=8)
    line_date: date | None = None
    filters: dict[str, str | list[str] | None] = Field(default_factory=dict, max_length=10)


class Candidate(BaseModel):
    sku: str
    name: str
    item_id: str
    status: str
    price: str | None = Field(description="Decimal text in the region's currency; null when no price is known")
    price_text: str = Field(description="The price as printed")
    currency: str
    price_converted: bool = Field(description="True when converted from another region's price with the stored rate")
    uk_6m: int | None = Field(description="Units sold over six months in the UK; null without sales data")
    fr_6m: int | None = Field(description="Units sold over six months in FR (NL included); null without sales data")


class CandidatePage(Page[Candidate]):
    """Items that can be labelled, one row per item, in SKU order."""


class TemplateOut(BaseModel):
    id: str
    title: str
    page_width: float
    page_height: float
    label_width: float
    label_height: float
    columns: int
    rows: int
    per_page: int
    margin_left: float
    margin_top: float
    gap_x: float
    gap_y: float
    symbology: str
    outline: bool


class RegionOut(BaseModel):
    id: str
    currency: str
    symbol: str


class ConfigOut(BaseModel):
    regions: list[RegionOut]
    statuses: list[str]
    templates: list[TemplateOut]
    sales: bool = Field(description="Whether the salesdata plugin's services are there")
    background_over: int
    max_labels: int
    max_copies: int


class JobRowOut(BaseModel):
    sku: str
    name: str
    item_id: str
    barcode: str
    price: str | None
    price_text: str
    currency: str
    price_converted: bool
    uk_6m: int | None
    fr_6m: int | None
    copies: int


class JobOut(BaseModel):
    """A print job. ``state``: ready, rendering (a background run; follow ``room``), failed."""

    id: int
    template: str
    region: str
    currency: str
    line_date: date | None
    filters: dict[str, Any]
    item_count: int
    label_count: int
    pages: int
    state: str
    run_id: str | None
    room: str | None
    error: str | None
    created_by: str
    created_at: datetime


class JobDetail(JobOut):
    rows: list[JobRowOut] = Field(description="The first 500 rows; the CSV has them all")


class JobPage(Page[JobOut]):
    """Print jobs, newest first."""
