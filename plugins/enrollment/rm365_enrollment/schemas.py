"""Wire types of the enrollment API. A fingerprint is metadata only: no template goes out."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rm365_core import Page

Kind = Literal["employee", "student"]
Status = Literal["active", "inactive"]


class FingerprintOut(BaseModel):
    finger: str
    created_at: datetime


class EmployeeOut(BaseModel):
    id: int
    employee_code: str
    name: str
    kind: Kind
    location: str
    status: Status
    card_uid: str | None
    fingerprints: list[FingerprintOut]
    created_at: datetime
    updated_at: datetime


EmployeePage = Page[EmployeeOut]


class EmployeeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120, pattern=r"\S")
    kind: Kind = "employee"
    location: str = Field(default="", max_length=80)
    card_uid: str | None = Field(default=None, max_length=100)


class EmployeePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=120, pattern=r"\S")
    kind: Kind | None = None
    location: str | None = Field(default=None, max_length=80)
    status: Status | None = None


class CardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uid: str = Field(min_length=1, max_length=100)


class FingerprintIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template: str = Field(min_length=4, max_length=100_000, description="base64")
    format: str = Field(default="", max_length=32)
    quality: int | None = Field(default=None, ge=0, le=100)


class ScanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    device_id: int = Field(ge=1, le=2**31 - 1)


class Purged(BaseModel):
    id: int
    employee_code: str
    purged: bool = True


class StationOut(BaseModel):
    id: int
    name: str
    site: str
    drivers: list[str]
    online: bool


class ConfigOut(BaseModel):
    fingers: list[str]
    kinds: list[str]
    statuses: list[str]
