"""The Magento settings section: ``RM365_MAGENTO_*``."""

from __future__ import annotations

from pydantic import Field, field_validator

from rm365_core import PluginSettings, plugin_settings_config


class MagentoSettings(PluginSettings):
    """Where Magento is, how to reach it, and what a completed session does there."""

    model_config = plugin_settings_config("magento")

    #: e.g. ``https://shop.example.com``; unset means lookups answer 409 "not configured".
    base_url: str | None = None
    #: An integration access token, sent as ``Authorization: Bearer``. Magento 2.4.4+ accepts
    #: integration tokens as bearer tokens only with Stores > Configuration > Services >
    #: OAuth > Consumer Settings > "Allow OAuth Access Tokens to be used as standalone Bearer
    #: tokens" switched on.
    token: str | None = None
    store_code: str = Field(default="default", pattern=r"^[a-z0-9_]{1,32}$")
    timeout: float = Field(default=10.0, gt=0, le=120)
    retries: int = Field(default=3, ge=0, le=10)
    backoff: float = Field(default=0.5, ge=0, le=30)
    page_size: int = Field(default=50, ge=1, le=500)
    #: Create the Magento shipment when a pick session is completed.
    create_shipment: bool = False
    #: The inventory reasons scans record (picks remove stock, returns add it) and the
    #: reason that puts back what a cancelled session moved.
    pick_reason: str = "Pick/Pack"
    return_reason: str = "Returned"
    restore_reason: str = "Correction"

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("RM365_MAGENTO_BASE_URL must start with http:// or https://")
        return value
