"""Asks for an argument the hook does not offer: refused when registered."""

from __future__ import annotations

from typing import Any

from rm365_core import hookimpl


@hookimpl
def register_routes(kernel: Any, database: Any) -> None:
    return None
