"""The labels settings section: ``RM365_LABELS_*`` (dicts and lists as JSON)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field, field_validator

from rm365_core import PluginSettings, plugin_settings_config


class Region(BaseModel):
    """A storefront region: the currency its labels print, and how."""

    currency: str = Field(min_length=3, max_length=3)
    symbol: str = Field(min_length=1, max_length=4)
    symbol_after: bool = False
    decimal_comma: bool = False


DEFAULT_REGIONS = {
    "uk": Region(currency="GBP", symbol="\u00a3"),
    "fr": Region(currency="EUR", symbol="\u20ac", symbol_after=True, decimal_comma=True),
    "nl": Region(currency="EUR", symbol="\u20ac", symbol_after=False, decimal_comma=True),
}


class LabelsSettings(PluginSettings):
    """Regions and their currencies, exchange rates, the 6-month quantity columns and limits."""

    model_config = plugin_settings_config("labels")

    regions: dict[str, Region] = Field(default_factory=lambda: dict(DEFAULT_REGIONS))
    #: Units of each currency per 1 GBP: converts a price from another region when the chosen
    #: region has none (such prices are marked ``price_converted``).
    rates: dict[str, Decimal] = Field(default_factory=lambda: {"GBP": Decimal("1"), "EUR": Decimal("1.17")})
    #: The regions summed into the label's UK and FR 6-month quantities (FR includes NL).
    uk_regions: list[str] = Field(default_factory=lambda: ["uk"])
    fr_regions: list[str] = Field(default_factory=lambda: ["fr", "nl"])
    #: Jobs with more labels than this render as a background job with progress.
    background_over: int = Field(default=2000, ge=1)
    max_labels: int = Field(default=50_000, ge=1, le=1_000_000)
    max_copies: int = Field(default=500, ge=1, le=100_000)

    @field_validator("regions")
    @classmethod
    def _check_regions(cls, value: dict[str, Region]) -> dict[str, Region]:
        if not value:
            raise ValueError("at least one region is needed")
        for name in value:
            if not name.isascii() or not name.isalnum() or name != name.lower() or len(name) > 8:
                raise ValueError(f"region {name!r} must be 1 to 8 lower case letters or digits")
        return value

    @field_validator("rates")
    @classmethod
    def _check_rates(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        if any(rate <= 0 for rate in value.values()):
            raise ValueError("every rate must be above 0")
        return value
