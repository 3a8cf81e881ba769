"""Realtime rooms of the inventory screens.

The server broadcasts ``inventory.changed`` (stock), ``inventory.item`` (created / updated /
deleted) and ``inventory.imported`` to the rooms ``inventory``, ``inventory.management`` and
``inventory.adjustments`` after each commit (``context.announce``). Clients only join
rooms and share presence (``presence:update {room, state: {viewing, editing}}``, built into the
hub); the plugin registers no client event, so nothing a browser sends is relayed as a change.
"""

from __future__ import annotations

from rm365_core import Principal, RoomPolicy

ROOM_PREFIXES = ("inventory", "inventory.management", "inventory.adjustments")


def _only_plain_rooms(principal: Principal, room: str) -> bool:
    # The hub already checks the tab; sub-rooms (``inventory:...``) are not used, so refuse
    # them rather than let clients invent channels nobody broadcasts to.
    return ":" not in room


def room_policies() -> list[RoomPolicy]:
    return [RoomPolicy(prefix, _only_plain_rooms) for prefix in ROOM_PREFIXES]
