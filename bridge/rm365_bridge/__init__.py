"""RM365 bridge: runs on a PC with card readers and fingerprint sensors, connects out to the
server with its device token, queues every event locally and delivers each one once."""

from .driver import Driver, DriverError, EmitEvent, hookimpl, hookspec

__version__ = "1.0.0"

__all__ = ["Driver", "DriverError", "EmitEvent", "hookimpl", "hookspec", "__version__"]
