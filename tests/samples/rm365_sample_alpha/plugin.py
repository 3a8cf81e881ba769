"""Records its registration and start-up so the test can see the order."""

from __future__ import annotations

from typing import Any

from sample_calls import CALLS

from rm365_core import Tab, hookimpl


@hookimpl
def register_tabs() -> list[Tab]:
    CALLS.append("alpha.register_tabs")
    return [Tab(id="alpha", title="Alpha")]


@hookimpl
def startup(kernel: Any) -> None:
    CALLS.append("alpha.startup")


@hookimpl
def shutdown(kernel: Any) -> None:
    CALLS.append("alpha.shutdown")
