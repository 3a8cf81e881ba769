"""Implements ``register_tab`` (no such hook): pluggy's check_pending fails it."""

from __future__ import annotations

from rm365_core import Tab, hookimpl


@hookimpl
def register_tab() -> list[Tab]:
    return [Tab(id="misspelled", title="Misspelled")]
