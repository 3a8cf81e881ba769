"""Sorts last by name; alpha waits for it (``after``)."""

from __future__ import annotations

from typing import Any

from sample_calls import CALLS

from rm365_core import Tab, hookimpl


@hookimpl
def register_tabs() -> list[Tab]:
    CALLS.append("omega.register_tabs")
    return [Tab(id="omega", title="Omega")]


@hookimpl
def startup(kernel: Any) -> None:
    CALLS.append("omega.startup")


@hookimpl
def shutdown(kernel: Any) -> None:
    CALLS.append("omega.shutdown")
