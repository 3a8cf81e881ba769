"""The attendance settings section: ``RM365_ATTENDANCE_*`` (the site's zone is ``RM365_TIMEZONE``)."""

from __future__ import annotations

from datetime import time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, field_validator

from rm365_core import PluginSettings, plugin_settings_config


class AttendanceSettings(PluginSettings):
    """Shift rules, the standard day, the site's time zone and the one fingerprint threshold."""

    model_config = {**plugin_settings_config("attendance"), "populate_by_name": True}

    #: The site's time zone: days, reports and pages use it; times are stored in UTC.
    timezone: str = Field(
        default="Europe/London", validation_alias=AliasChoices("RM365_TIMEZONE", "RM365_ATTENDANCE_TIMEZONE")
    )
    #: A check-out pairs with the last check-in only within this many hours (night shifts).
    max_shift_hours: float = Field(default=16.0, gt=0, le=48)
    #: A repeat clock within this many seconds is answered ``duplicate`` and not recorded.
    duplicate_window_seconds: int = Field(default=30, ge=0, le=3600)
    #: The standard day: lateness is against its start, overtime against its length.
    standard_start: time = time(9, 0)
    standard_hours: float = Field(default=8.0, gt=0, le=24)
    #: Check-ins left open past the maximum shift: ``close`` (an automatic check-out at the
    #: standard day's end) or ``flag`` (for someone to review).
    open_checkin_action: Literal["close", "flag"] = "close"
    #: How often the job looks for them (minutes); 0 turns the job off.
    open_checkin_check_minutes: int = Field(default=15, ge=0, le=1440)
    #: The one fingerprint match threshold of the site (0-100), sent to every bridge.
    fingerprint_threshold: int = Field(default=60, ge=0, le=100)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a known time zone (e.g. Europe/London)") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
