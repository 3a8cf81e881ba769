"""Who is calling: the authenticated user as the kernel hands it to routes and handlers."""

from __future__ import annotations

from dataclasses import dataclass

from ._tabs import holds


@dataclass(frozen=True)
class Principal:
    """An authenticated user: ``tabs`` are the effective tabs (role's and the user's own)."""

    user_id: int
    username: str
    role: str
    tabs: frozenset[str]
    token_version: int = 0

    def has_tab(self, tab: str) -> bool:
        return holds(self.tabs, tab)
