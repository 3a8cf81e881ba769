"""The enrollment settings section: ``RM365_ENROLLMENT_*``."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from rm365_core import PluginSettings, plugin_settings_config


class EnrollmentSettings(PluginSettings):
    """The template key (generated into the data folder when unset) and the keys it replaced."""

    model_config = plugin_settings_config("enrollment")

    #: Fernet key (urlsafe base64 of 32 bytes) that encrypts fingerprint templates.
    template_key: str | None = None
    #: Keys still accepted for reading during a rotation (comma separated), newest first.
    old_template_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    #: Seconds a scan waits for a card at the station; fingerprints take several presses.
    card_scan_seconds: float = Field(default=30.0, gt=0, le=300)
    fingerprint_scan_seconds: float = Field(default=60.0, gt=0, le=300)

    @field_validator("old_template_keys", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("template_key", "old_template_keys")
    @classmethod
    def _valid_keys(cls, value: object) -> object:
        from cryptography.fernet import Fernet

        keys: list[object] = [value] if isinstance(value, str) else list(value or [])  # type: ignore[call-overload]
        for key in keys:
            try:
                Fernet(str(key))
            except ValueError:
                raise ValueError(
                    "must be a Fernet key: 32 random bytes in urlsafe base64 "
                    "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
                ) from None
        return value
