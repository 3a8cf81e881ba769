"""The salesdata settings section: ``RM365_SALESDATA_*`` (lists and maps are JSON in the environment).

Regions are data, not code: ``RM365_SALESDATA_REGIONS='{"de": {"currency": "EUR", ...}}'``
adds a storefront (its tab, its upload, its demand) without a line of code."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator

from rm365_core import PluginSettings, plugin_settings_config

_REGION_ID = re.compile(r"^[a-z][a-z0-9]{1,15}$")
#: Local date formats a region may name: day, month and year in any order, one separator.
_DATE_FORMAT = re.compile(r"^(DD|MM|YYYY)([/.\-])(DD|MM|YYYY)\2(DD|MM|YYYY)$")
#: Magento statuses that are not sales: cancelled, refunded (closed) and fraud.
DEFAULT_EXCLUDED_STATUSES = ["canceled", "closed", "fraud"]


class Region(BaseModel):
    """A storefront: its currency, how its export writes local dates, its time zone, which
    order statuses do not count as sales, and under which region its demand is reported."""

    title: str = ""
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    #: Besides ISO 8601 (always accepted): ``DD/MM/YYYY`` and the like, an optional time after.
    date_format: str = "DD/MM/YYYY"
    timezone: str = "UTC"
    excluded_statuses: list[str] = Field(default_factory=lambda: list(DEFAULT_EXCLUDED_STATUSES))
    #: The region this one's demand is counted in for other plugins (NL sells into FR's stock).
    demand_as: str | None = None

    @field_validator("date_format")
    @classmethod
    def _check_date_format(cls, value: str) -> str:
        match = _DATE_FORMAT.match(value)
        if not match or sorted((match.group(1), match.group(3), match.group(4))) != ["DD", "MM", "YYYY"]:
            raise ValueError(f"{value!r} must name DD, MM and YYYY once each with one separator, e.g. DD/MM/YYYY")
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a known time zone (e.g. Europe/London)") from None
        return value

    @field_validator("excluded_statuses")
    @classmethod
    def _lower_statuses(cls, value: list[str]) -> list[str]:
        return [s.strip().lower() for s in value if s.strip()]


DEFAULT_REGIONS = {
    "uk": Region(title="UK", currency="GBP", timezone="Europe/London"),
    "fr": Region(title="FR", currency="EUR", timezone="Europe/Paris"),
    "nl": Region(title="NL", currency="EUR", timezone="Europe/Amsterdam", demand_as="fr"),
}


class SalesdataSettings(PluginSettings):
    """Regions, the variant suffixes folded into a base SKU, and import limits."""

    model_config = plugin_settings_config("salesdata")

    regions: dict[str, Region] = Field(default_factory=lambda: dict(DEFAULT_REGIONS))
    #: ``SKU-MD``, ``SKU-md-2`` ... count as ``SKU`` in the demand (case-insensitive).
    variant_suffixes: list[str] = Field(default_factory=lambda: ["MD", "SD", "DP", "NP", "MV"])
    #: Rows loaded per batch (one transaction for the whole file all the same).
    batch_rows: int = Field(default=20_000, ge=100, le=1_000_000)
    #: Uploads larger than this run as a background job with progress (bytes).
    background_bytes: int = Field(default=5 * 1024 * 1024, ge=0)
    #: The largest upload accepted (bytes).
    max_upload_bytes: int = Field(default=512 * 1024 * 1024, ge=1024)

    @field_validator("regions")
    @classmethod
    def _check_regions(cls, value: dict[str, Region]) -> dict[str, Region]:
        if not value:
            raise ValueError("at least one region is needed")
        for region_id, region in value.items():
            if not _REGION_ID.match(region_id):
                raise ValueError(f"region id {region_id!r} must be 2 to 16 lower-case letters or digits")
            if region.demand_as is not None and region.demand_as not in value:
                raise ValueError(f"region {region_id!r}: demand_as {region.demand_as!r} is not a region")
            if not region.title:
                region.title = region_id.upper()
        return value

    @field_validator("variant_suffixes")
    @classmethod
    def _check_suffixes(cls, value: list[str]) -> list[str]:
        if any(not re.fullmatch(r"[A-Za-z0-9]{1,10}", s) for s in value):
            raise ValueError("a variant suffix is 1 to 10 letters or digits")
        return value

    def region(self, region_id: str) -> Region | None:
        return self.regions.get(region_id.lower())
