"""Wire types of the attendance API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rm365_core import Page

Direction = Literal["in", "out"]


class ClockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    employee_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    card_uid: str | None = Field(default=None, min_length=1, max_length=100)
    event_id: str | None = Field(default=None, min_length=1, max_length=100, description="idempotency key")
    at: datetime | None = Field(default=None, description="when it happened (ISO 8601 with zone)")

    @model_validator(mode="after")
    def _one_person(self) -> ClockIn:
        if (self.employee_id is None) == (self.card_uid is None):
            raise ValueError("give exactly one of employee_id and card_uid")
        return self


class ClockOut(BaseModel):
    employee_id: int
    name: str
    direction: Direction
    at: datetime
    duplicate: bool


class LogRow(BaseModel):
    id: int
    employee_id: int
    name: str
    employee_code: str
    at: datetime
    local_time: str
    direction: Direction
    source: str
    device: str | None
    corrected: bool
    automatic: bool
    needs_review: bool


LogPage = Page[LogRow]


class StatusRow(BaseModel):
    employee_id: int
    name: str
    employee_code: str
    location: str
    state: Literal["in", "out", "absent"]
    since: datetime | None
    hours_today: float


StatusPage = Page[StatusRow]


class DailyStats(BaseModel):
    total: int
    checked_in: int
    checked_out: int
    absent: int


class HoursRow(BaseModel):
    employee_id: int
    name: str
    employee_code: str
    date: date
    first_in: datetime
    last_out: datetime | None
    worked_hours: float
    break_hours: float
    sessions: int
    late_minutes: int
    overtime_hours: float
    open: bool


class HoursPage(Page[HoursRow]):
    worked_hours: float = 0
    break_hours: float = 0


class EventCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    employee_id: int = Field(ge=1, le=2**31 - 1)
    at: datetime
    direction: Direction
    reason: str = Field(min_length=1, max_length=500, pattern=r"\S")


class EventPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: datetime | None = None
    direction: Direction | None = None
    reason: str = Field(min_length=1, max_length=500, pattern=r"\S")


class CorrectionRow(BaseModel):
    id: int
    event_ref: int | None
    employee_id: int
    name: str | None
    action: str
    reason: str
    by: str
    at: datetime
    before: dict[str, object] | None
    after: dict[str, object] | None


CorrectionPage = Page[CorrectionRow]


class ConfigOut(BaseModel):
    timezone: str
    max_shift_hours: float
    duplicate_window_seconds: int
    standard_start: str
    standard_hours: float
    fingerprint_threshold: int
    open_checkin_action: str


class Deleted(BaseModel):
    id: int
    deleted: bool = True


class KioskPerson(BaseModel):
    employee_id: int
    name: str
    direction: Direction
    at: datetime
    device: str | None


class PersonRow(BaseModel):
    id: int
    employee_code: str
    name: str
    location: str
