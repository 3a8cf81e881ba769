"""Kernel settings, read from RM365_ environment variables and a .env file."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MIN_SECRET_LENGTH = 32


class SettingsError(RuntimeError):
    """Settings that stop start-up; the message names the setting."""


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class PluginSettings(BaseSettings):
    """Base class for a plugin's own settings section.

    A subclass reads ``RM365_<PLUGIN>_<FIELD>`` environment variables when it sets
    ``model_config = plugin_settings_config("inventory")``.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")


def plugin_settings_config(plugin: str) -> SettingsConfigDict:
    """The settings config for a plugin section: prefix ``RM365_<PLUGIN>_``."""
    return SettingsConfigDict(env_prefix=f"RM365_{plugin.upper()}_", env_file=".env", extra="ignore")


class Settings(BaseSettings):
    """Every kernel setting. Environment variables are ``RM365_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="RM365_", env_file=".env", extra="ignore")

    env: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("./data")
    database_url: str | None = None
    secret_key: str | None = None
    plugins: Annotated[list[str] | None, NoDecode] = None
    strict_plugins: bool = False
    #: Plugins not installed as distributions, ``name=module.path`` (development, benchmarks).
    plugin_paths: Annotated[list[str], NoDecode] = Field(default_factory=list)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    redis_url: str | None = None
    #: Namespace of this site's keys and channels, so several sites can share one Redis.
    redis_prefix: str = "rm365"
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=14, ge=1, le=365)
    jwt_issuer: str = "rm365"
    jwt_audience: str = "rm365"
    #: Login throttling (see ``_core/throttle.py``): attempts per account and address before
    #: the growing delay, the delay's start and cap, the per-address ceiling and its window.
    login_max_failures: int = Field(default=5, ge=1)
    login_delay_seconds: float = Field(default=2.0, gt=0, le=3600)
    login_max_delay_seconds: float = Field(default=120.0, gt=0, le=86400)
    login_address_max_failures: int = Field(default=100, ge=1)
    login_window_seconds: int = Field(default=300, ge=1)
    #: Addresses or networks of reverse proxies whose X-Forwarded-For/-Proto are believed.
    #: None by default: without it every client is the address it connects from.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    #: Largest request body (bytes) a route takes unless it declares more with ``body_limit``.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=1024**3)
    auth_cache_seconds: float = Field(default=1.0, ge=0)
    #: Days the server remembers each device event (its id, for applying it once, and the dead
    #: letters): older ones are deleted by a daily job. Handlers keep their own (device, event
    #: id) unique, so a copy sent later still lands once.
    device_events_keep_days: int = Field(default=90, ge=2, le=3650)
    auto_upgrade: bool | None = None
    #: Threads per worker for sync routes and database work. Few threads queue fairly;
    #: many threads fight over the GIL and starve the event loop (long latency tails).
    threadpool_size: int = Field(default=8, ge=1, le=200)
    #: The job queue: a redis:// URL or sqlite:///path (default: RM365_REDIS_URL when set,
    #: else jobs.sqlite3 in the data folder). See docs/jobs.md.
    jobs_url: str | None = None
    #: Web processes also run jobs (threads in the server); 0 when `rm365 worker`s do.
    jobs_in_web: bool = True
    #: Jobs one process runs at once.
    jobs_threads: int = Field(default=2, ge=1, le=64)
    #: How often a process marks its running jobs alive; and after how long without that a
    #: run counts as lost (its worker died) and is retried or failed.
    jobs_heartbeat_seconds: float = Field(default=10.0, gt=0, le=3600)
    jobs_stale_seconds: float = Field(default=60.0, gt=0)

    @field_validator("jobs_url", mode="before")
    @classmethod
    def _parse_jobs_url(cls, value: object) -> object:
        if isinstance(value, str) and value.strip():
            if not value.startswith(("redis://", "rediss://", "unix://", "sqlite:///")):
                raise ValueError("must be a redis://, rediss://, unix:// or sqlite:/// URL")
            return value.strip()
        return None if isinstance(value, str) else value

    @field_validator("plugins", mode="before")
    @classmethod
    def _parse_plugins(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and value.strip() in ("", "*", "all")):
            return None
        return _split_csv(value)

    @field_validator("plugin_paths", mode="before")
    @classmethod
    def _parse_plugin_paths(cls, value: object) -> object:
        paths = _split_csv(value)
        if isinstance(paths, list):
            for entry in paths:
                if "=" not in entry:
                    raise ValueError(f"{entry!r} is not name=module.path")
        return paths

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _parse_proxies(cls, value: object) -> object:
        import ipaddress

        proxies = _split_csv(value)
        if isinstance(proxies, list):
            for entry in proxies:
                if entry == "*":
                    raise ValueError("'*' would let any client choose its own address: list the proxies")
                try:
                    ipaddress.ip_network(entry, strict=False)
                except ValueError:
                    raise ValueError(f"{entry!r} is not an IP address or network") from None
        return proxies

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _parse_origins(cls, value: object) -> object:
        origins = _split_csv(value)
        if isinstance(origins, list) and "*" in origins:
            raise ValueError("a wildcard origin is not allowed: list the origins that may call the API")
        return origins

    def database_url_for(self, name: str) -> str:
        """The URL of a logical database: RM365_DB_<NAME>_URL, RM365_DATABASE_URL, or SQLite."""
        import os

        override = os.environ.get(f"RM365_DB_{name.upper()}_URL")
        if override:
            return override
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / f'{name}.sqlite3').resolve()}"

    @property
    def embedded(self) -> bool:
        """True when every database is a local SQLite file (the default single-machine mode)."""
        return self.database_url is None or self.database_url.startswith("sqlite")

    def resolve_secret(self) -> str:
        """The JWT signing secret; generated once and kept in the data folder when not set."""
        if self.secret_key:
            if self.env == "production" and len(self.secret_key) < MIN_SECRET_LENGTH:
                raise SettingsError(
                    f"RM365_SECRET_KEY is too short ({len(self.secret_key)} characters): "
                    f"production needs at least {MIN_SECRET_LENGTH} random characters"
                )
            return self.secret_key
        if self.env == "production":
            raise SettingsError(
                "RM365_SECRET_KEY is not set: production needs a random secret of at least "
                f"{MIN_SECRET_LENGTH} characters (e.g. python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))')"
            )
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        # Create with 0600 from the start so the secret is never readable by others.
        import os

        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key


def load_settings(**overrides: object) -> Settings:
    """Read settings; a bad value raises SettingsError naming the RM365_ variable."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            problems.append(f"RM365_{field.upper()}: {error['msg']}")
        raise SettingsError("; ".join(problems)) from None
