"""The bridge's config folder: ``bridge.toml`` (what a person edits: drivers and their
settings), ``credentials.json`` (server URL and device token, written by ``pair``, mode
0600) and ``queue.sqlite3`` (the offline queue)."""

from __future__ import annotations

import json
import os
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_DIR = "RM365_BRIDGE_CONFIG_DIR"

TEMPLATE = """\
# RM365 bridge settings: which drivers run and each one's settings.
# The server and the device token are kept apart, in credentials.json (written by `pair`).
# `rm365-bridge drivers` lists the installed drivers and what each one finds.

# [bridge]
# batch = 100              # events sent per message while catching up

# A card reader and a fingerprint sensor fed from a text file (or "-" for standard input):
# each appended line is `card <UID>` or `finger <employee code>`.
# [drivers.simulated]
# input = "/path/to/events.txt"

# An RFID/NFC reader that presents a serial port:
# [drivers.serial-card]
# port = "auto"            # or "COM3", "/dev/ttyUSB0"; "auto" finds it by vid/pid
# vid = 0x10C4
# pid = 0xEA60
# baudrate = 9600
# format = "line"          # or "raw"

# An R30x / ZhianTec fingerprint sensor (R307, R503...) on a serial port:
# [drivers.r30x-fingerprint]
# port = "/dev/ttyUSB1"
# baudrate = 57600

# A SecuGen Hamster through the vendor's FDx SDK Pro library:
# [drivers.secugen]
# library = "C:/Program Files/SecuGen/sgfplib.dll"
# threshold = 50
"""


def default_dir() -> Path:
    """``%APPDATA%\\rm365-bridge`` on Windows, ``$XDG_CONFIG_HOME/rm365-bridge`` (or
    ``~/.config/rm365-bridge``) elsewhere; ``RM365_BRIDGE_CONFIG_DIR`` overrides both."""
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR])
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "rm365-bridge"
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "rm365-bridge"


class ConfigError(Exception):
    """A setting is missing or wrong; the message says which and where."""


@dataclass
class Credentials:
    server: str
    token: str
    device_id: int
    name: str
    site: str = ""


class BridgeConfig:
    def __init__(self, folder: Path | str | None = None) -> None:
        self.folder = Path(folder) if folder is not None else default_dir()

    @property
    def settings_path(self) -> Path:
        return self.folder / "bridge.toml"

    @property
    def credentials_path(self) -> Path:
        return self.folder / "credentials.json"

    @property
    def queue_path(self) -> Path:
        return self.folder / "queue.sqlite3"

    def ensure_folder(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.name != "nt":
            self.folder.chmod(0o700)

    # ------------------------------------------------------------------ settings
    def settings(self) -> dict[str, Any]:
        if not self.settings_path.exists():
            return {}
        try:
            return tomllib.loads(self.settings_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{self.settings_path}: {exc}") from None

    def drivers(self) -> dict[str, dict[str, Any]]:
        """``{driver name: its settings}`` for every ``[drivers.<name>]`` table."""
        drivers = self.settings().get("drivers", {})
        if not isinstance(drivers, dict) or not all(isinstance(v, dict) for v in drivers.values()):
            raise ConfigError(f"{self.settings_path}: [drivers.<name>] tables expected")
        return drivers

    def write_template(self) -> None:
        self.ensure_folder()
        if not self.settings_path.exists():
            self.settings_path.write_text(TEMPLATE, encoding="utf-8")

    def write_drivers(self, drivers: dict[str, dict[str, Any]], bridge: dict[str, Any] | None = None) -> None:
        """Write ``bridge.toml`` with these driver tables (used by demos and tests)."""
        self.ensure_folder()
        lines = []
        if bridge:
            lines.append("[bridge]")
            lines += [f"{key} = {json.dumps(value)}" for key, value in bridge.items()]
            lines.append("")
        for name, settings in drivers.items():
            lines.append(f"[drivers.{name}]")
            lines += [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
            lines.append("")
        self.settings_path.write_text("\n".join(lines), encoding="utf-8")

    # ------------------------------------------------------------------ credentials
    def credentials(self) -> Credentials | None:
        if not self.credentials_path.exists():
            return None
        try:
            data = json.loads(self.credentials_path.read_text(encoding="utf-8"))
            return Credentials(
                server=str(data["server"]),
                token=str(data["token"]),
                device_id=int(data["device_id"]),
                name=str(data.get("name", "")),
                site=str(data.get("site", "")),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{self.credentials_path} is damaged ({exc}): pair this bridge again") from None

    def save_credentials(self, credentials: Credentials) -> None:
        """Write the token readable by this user only (0600 where the OS has modes)."""
        self.ensure_folder()
        path = self.credentials_path
        tmp = path.with_suffix(".tmp")
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        fd = os.open(tmp, flags, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(credentials.__dict__, handle, indent=2)
        if os.name != "nt":
            tmp.chmod(0o600)
        os.replace(tmp, path)
