"""RM365 Toolbox kernel: the public API for plugins. Everything not exported here is private."""

from ._auth import login_required, public, require_tab
from ._db import database_metadata, emit_on_commit, make_base
from ._deps import db_session, get_kernel, service
from ._devices import DeviceEvent, DeviceInfo, DeviceStatus
from ._errors import DomainError
from ._http import body_limit
from ._jobs import Job, JobRun, Progress
from ._kernel import Kernel, Tables
from ._migrations import run_migrations
from ._pagination import MAX_PAGE, MAX_SIZE, Page, PageParams, page_params, paginate
from ._plugins import PluginManifest
from ._principal import Principal
from ._realtime import Hub
from ._realtime_intents import RealtimeError
from ._realtime_rooms import Intent, RoomPolicy
from ._settings import PluginSettings, SettingsError, plugin_settings_config
from ._tabs import Tab
from ._text import check_text, control_character
from ._types import UTCDateTime, utcnow
from ._version import CORE_API_VERSION
from .hookspecs import hookimpl, hookspec

__all__ = [
    "CORE_API_VERSION",
    "MAX_PAGE",
    "MAX_SIZE",
    "DeviceEvent",
    "DeviceInfo",
    "DeviceStatus",
    "DomainError",
    "Hub",
    "Intent",
    "Job",
    "JobRun",
    "Kernel",
    "Page",
    "PageParams",
    "UTCDateTime",
    "PluginManifest",
    "PluginSettings",
    "Progress",
    "Principal",
    "RealtimeError",
    "RoomPolicy",
    "SettingsError",
    "Tab",
    "Tables",
    "body_limit",
    "check_text",
    "control_character",
    "database_metadata",
    "db_session",
    "emit_on_commit",
    "get_kernel",
    "hookimpl",
    "hookspec",
    "login_required",
    "make_base",
    "page_params",
    "paginate",
    "plugin_settings_config",
    "public",
    "require_tab",
    "run_migrations",
    "service",
    "utcnow",
]
