"""Wire types of the inventory API (request bodies; answers are documented on the routes)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=64, examples=["VITD3-1000-120"])
    name: str = Field(min_length=1, max_length=255, examples=["Vitamin D3 1000 IU, 120 tablets"])
    status: str | None = Field(default=None, description="One of the configured statuses (default Active)")
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
    status: str | None = None
    item_id: str | None = Field(default=None, max_length=32)
    notes: str | None = Field(default=None, max_length=10_000)
    stock: dict[str, int] | None = None
    expiry: dict[str, date | None] | None = None
    version: int | None = Field(default=None, description="The version edited, if not sent as If-Match")


class AdjustmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=200, description="SKU or label barcode; pasted whitespace is removed")
    quantity: int = Field(description="Units; the reason decides the sign (negative only for removals)")
    reason: str = Field(min_length=1, max_length=40)
    location: str = Field(default="auto", max_length=32, description="'auto' or a location id")
    client_id: str | None = Field(default=None, max_length=100, description="Makes a retry safe: applied once")
    source: Literal["ui", "scanner", "api"] = "ui"
    note: str = Field(default="", max_length=500)
