"""Wire types of the Magento API: requests in, answers out."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class InvoiceLineOut(BaseModel):
    order_item_id: int
    sku: str
    name: str
    qty: int


class InvoiceOut(BaseModel):
    order_id: int
    order_number: str
    invoice_id: int
    invoice_number: str
    customer: str = ""
    created_at: str = ""
    lines: list[InvoiceLineOut]


class SessionCreate(BaseModel):
    order_number: str = Field(min_length=1, max_length=64, description="order number (or invoice number)")
    type: Literal["pick", "return"] = "pick"


class ScanIn(BaseModel):
    code: str = Field(min_length=1, max_length=64, description="SKU or item_id (barcode), any case")
    quantity: int = Field(default=1, ge=1, le=1000)
    client_id: str | None = Field(default=None, max_length=80, description="makes a retried scan apply once")


class CompleteIn(BaseModel):
    force: bool = False
    reason: str = Field(default="", max_length=500)
    tracking: str | None = Field(default=None, max_length=64)


class AssignIn(BaseModel):
    username: str = Field(min_length=1, max_length=150)


class OverscanIn(BaseModel):
    allow: bool


class LineOut(BaseModel):
    id: int
    sku: str
    item_id: str | None
    name: str
    order_item_id: int
    qty_expected: int
    qty_scanned: int
    done: bool


class ProgressOut(BaseModel):
    scanned: int
    expected: int
    lines_done: int
    lines: int
    percent: float
    complete: bool


class SessionOut(BaseModel):
    id: int
    type: str
    status: str
    order_number: str
    order_id: int
    invoice_number: str
    customer: str
    owner: str | None
    created_by: str
    allow_overscan: bool
    shipment_id: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    lines: list[LineOut]
    progress: ProgressOut


class AuditOut(BaseModel):
    id: int
    action: str
    username: str
    detail: dict[str, Any]
    created_at: datetime


class TakeoverOut(BaseModel):
    id: int
    session_id: int
    requester: str
    owner: str
    status: str
    created_at: datetime
    decided_at: datetime | None


class SessionDetail(SessionOut):
    audit: list[AuditOut] = Field(description="the newest 200 entries, oldest first")
    audit_total: int
    takeover_requests: list[TakeoverOut]


class ScanRecord(BaseModel):
    id: int
    client_id: str
    code: str
    sku: str
    quantity: int
    adjustment_id: int | None


class ScanOut(BaseModel):
    outcome: Literal["ok", "line_complete", "session_complete"]
    duplicate: bool
    scan: ScanRecord
    line: LineOut
    session: SessionOut
