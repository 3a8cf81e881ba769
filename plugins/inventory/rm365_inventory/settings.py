"""The inventory settings section: ``RM365_INVENTORY_*`` (lists are JSON in the environment)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from rm365_core import PluginSettings, plugin_settings_config

_LOCATION_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class Location(BaseModel):
    """A stock location; ``expiry`` locations keep a best-before date with their quantity."""

    id: str
    label: str
    expiry: bool = False


class Reason(BaseModel):
    """An adjustment reason; ``sign`` says whether it removes stock, adds it, or may do either."""

    name: str = Field(min_length=1, max_length=40)
    sign: Literal["out", "in", "either"]


DEFAULT_LOCATIONS = [
    Location(id="shelf_lt1", label="Shelf < 1 year"),
    Location(id="shelf_gt1", label="Shelf > 1 year"),
    Location(id="top_floor", label="Top floor", expiry=True),
]
DEFAULT_STATUSES = [
    "Active",
    "Temporarily OOS",
    "Pre Order",
    "Samples",
    "Special Offer",
    "Discontinued (Supplier)",
    "Discontinued (RM)",
    "Special Item",
]
DEFAULT_REASONS = [
    Reason(name="Pick/Pack", sign="out"),
    Reason(name="Damaged", sign="out"),
    Reason(name="Lost", sign="out"),
    Reason(name="Received", sign="in"),
    Reason(name="Returned", sign="in"),
    Reason(name="Found", sign="in"),
    Reason(name="Correction", sign="either"),
]


class InventorySettings(PluginSettings):
    """Locations, statuses, reasons, import rules and stock-status thresholds."""

    model_config = plugin_settings_config("inventory")

    #: Ordered: automatic removals take from the first location first; additions go there.
    locations: list[Location] = Field(default_factory=lambda: list(DEFAULT_LOCATIONS))
    statuses: list[str] = Field(default_factory=lambda: list(DEFAULT_STATUSES))
    default_status: str = "Active"
    reasons: list[Reason] = Field(default_factory=lambda: list(DEFAULT_REASONS))
    #: The reason recorded when someone sets a quantity in the management grid.
    correction_reason: str = "Correction"
    #: The reason a scanner batch entry gets when it names none.
    batch_default_reason: str = "Pick/Pack"
    max_batch: int = Field(default=500, ge=1, le=10_000)
    max_page_size: int = Field(default=200, ge=10, le=1000)
    #: Catalogue import: items in these categories are skipped (any part of a category path).
    import_excluded_categories: list[str] = Field(default_factory=lambda: ["AW365"])
    #: Catalogue import: SKUs ending ``-<suffix>`` (optionally followed by more) fold into the base.
    variant_suffixes: list[str] = Field(default_factory=lambda: ["MD", "SD", "DP", "NP", "MV"])
    #: Stock status from demand: Low below ``low_factor`` × demand, Over at ``over_factor`` × or more.
    low_factor: float = Field(default=1.0, ge=0)
    over_factor: float = Field(default=3.0, gt=0)

    @field_validator("locations")
    @classmethod
    def _check_locations(cls, value: list[Location]) -> list[Location]:
        if not value:
            raise ValueError("at least one location is needed")
        ids = [loc.id for loc in value]
        for loc_id in ids:
            if not _LOCATION_ID.match(loc_id) or loc_id == "auto":
                raise ValueError(
                    f"location id {loc_id!r} must be lower case letters, digits and _ (at most 32, not 'auto')"
                )
        if len(set(ids)) != len(ids):
            raise ValueError("location ids must be unique")
        return value

    @field_validator("statuses")
    @classmethod
    def _check_statuses(cls, value: list[str]) -> list[str]:
        if not value or len({s.casefold() for s in value}) != len(value):
            raise ValueError("statuses must be a non-empty list without duplicates")
        if any(not s.strip() or len(s) > 40 for s in value):
            raise ValueError("a status must have 1 to 40 characters")
        return value

    @field_validator("reasons")
    @classmethod
    def _check_reasons(cls, value: list[Reason]) -> list[Reason]:
        names = [r.name.casefold() for r in value]
        if not value or len(set(names)) != len(names):
            raise ValueError("reasons must be a non-empty list with unique names")
        return value

    # Checks that involve another setting are field validators (fields are validated in
    # order), so that an error names the variable to fix.
    @field_validator("default_status")
    @classmethod
    def _check_default_status(cls, value: str, info: ValidationInfo) -> str:
        if value not in info.data.get("statuses", []):
            raise ValueError(f"{value!r} is not one of the statuses")
        return value

    @field_validator("correction_reason")
    @classmethod
    def _check_correction_reason(cls, value: str, info: ValidationInfo) -> str:
        reason = next((r for r in info.data.get("reasons", []) if r.name == value), None)
        if reason is None or reason.sign != "either":
            raise ValueError(f"{value!r} must be one of the reasons, with sign 'either'")
        return value

    @field_validator("batch_default_reason")
    @classmethod
    def _check_batch_reason(cls, value: str, info: ValidationInfo) -> str:
        if value not in [r.name for r in info.data.get("reasons", [])]:
            raise ValueError(f"{value!r} is not one of the reasons")
        return value

    @field_validator("over_factor")
    @classmethod
    def _check_over_factor(cls, value: float, info: ValidationInfo) -> float:
        if value <= info.data.get("low_factor", 0):
            raise ValueError("must be greater than low_factor")
        return value

    # -- helpers -------------------------------------------------------------------
    @property
    def location_ids(self) -> list[str]:
        return [loc.id for loc in self.locations]

    def reason(self, name: str) -> Reason | None:
        """The reason called ``name`` (case-insensitive), or None."""
        folded = name.strip().casefold()
        return next((r for r in self.reasons if r.name.casefold() == folded), None)

    def status(self, name: str) -> str | None:
        """The configured spelling of status ``name`` (case-insensitive), or None."""
        folded = name.strip().casefold()
        return next((s for s in self.statuses if s.casefold() == folded), None)
