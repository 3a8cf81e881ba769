"""Realtime rooms of the Magento pages.

After each commit the server sends ``magento.session`` ``{action, by, session}`` (the
session without its lines) to the rooms
``magento.dashboard`` and ``magento.pickpack``, and ``magento.notice`` ``{action, by,
session_id, order_number, request_id?}`` to ``magento.pickpack:user:<username>`` (takeover
requests and answers, assignments). A user may join only their own notice room."""

from __future__ import annotations

from rm365_core import Principal, RoomPolicy

from .context import user_room


def _pickpack_room(principal: Principal, room: str) -> bool:
    return room == "magento.pickpack" or room == user_room(principal.username)


def _plain(principal: Principal, room: str) -> bool:
    return ":" not in room


def room_policies() -> list[RoomPolicy]:
    return [
        RoomPolicy("magento.pickpack", _pickpack_room),
        RoomPolicy("magento.dashboard", _plain),
        RoomPolicy("magento", _plain),
    ]
