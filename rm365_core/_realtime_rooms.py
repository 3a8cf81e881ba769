"""Realtime room names and who may join them; the rooms and intents plugins declare.

A room is ``<tab>`` or ``<tab>:<resource...>`` (``inventory``, ``inventory:item:SKU1``): a
client must hold the tab (the part before the first ``:``) and pass every
:class:`RoomPolicy` registered for a matching prefix. Job progress rooms
(``<tab>:job:<run id>``) are the kernel's: holding the tab is enough. An :class:`Intent` is a client event a
plugin handles; it names the tab a caller must hold before its handler runs.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ._principal import Principal

log = logging.getLogger("rm365.realtime")

#: Events the hub itself handles; plugins cannot register these as intents.
RESERVED_EVENTS = frozenset(
    {
        "connect",
        "disconnect",
        "join",
        "leave",
        "presence",
        "presence:update",
        "presence:ping",
        "room:left",
        "*",
        "message",
        "connect_error",
    }
)

#: Longest room name.
MAX_ROOM_LENGTH = 200

_ROOM_RE = re.compile(r"^(?P<tab>[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*)(?::[^\x00-\x20\x7f]+)?$")
# Socket.IO session ids are 20 characters of URL-safe base64, and every sid is also a room.
# Refusing room names of that shape means no client can ever join another client's sid room.
_SID_SHAPED_RE = re.compile(r"^[A-Za-z0-9_-]{20}$")
_EVENT_NAME_RE = re.compile(r"^[a-z][a-z0-9_.:-]{0,63}$")
# ``<tab>:job:<run id>``: the kernel's job progress rooms (see ``_jobs_runs.py``).
_JOB_ROOM_RE = re.compile(r"^[^:]+:job:[A-Za-z0-9_-]+$")
_TAB_RE = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*$")

#: ``check(principal, room)``: truthy admits; it may be async.
RoomCheck = Callable[[Principal, str], "bool | Awaitable[bool]"]
#: ``handler(principal, data, sid)`` returns the acknowledgement (None is ``{ok: true}``).
IntentHandler = Callable[[Principal, Any, str], Any]


@dataclass(frozen=True)
class RoomPolicy:
    """A check for the rooms ``prefix`` and ``prefix:...``: every matching policy must pass,
    on top of the tab the room needs. ``check`` runs on the event loop: keep it fast or
    make it async. An exception counts as a refusal."""

    prefix: str
    check: RoomCheck

    def __post_init__(self) -> None:
        if not isinstance(self.prefix, str) or not self.prefix:
            raise ValueError("a room policy needs a non-empty prefix")
        if not callable(self.check):
            raise TypeError(f"the room policy for {self.prefix!r} is not callable")


@dataclass(frozen=True)
class Intent:
    """A client event handled by a plugin. Only callers holding ``tab`` reach ``handler``;
    others are answered ``{ok: false, error: "forbidden"}``."""

    event: str
    tab: str
    handler: IntentHandler

    def __post_init__(self) -> None:
        check_event_name(self.event)
        if not isinstance(self.tab, str) or not _TAB_RE.match(self.tab):
            raise ValueError(f"realtime intent {self.event!r} must declare the tab a caller needs (tab='...')")
        if not callable(self.handler):
            raise TypeError(f"the handler of realtime intent {self.event!r} is not callable")


def check_event_name(event: Any) -> None:
    """Raise ``ValueError`` when ``event`` cannot be a plugin's intent."""
    if not isinstance(event, str) or event in RESERVED_EVENTS or not _EVENT_NAME_RE.match(event):
        raise ValueError(f"cannot register realtime event {event!r}: reserved or invalid name")


def room_tab(room: Any) -> str | None:
    """The tab a room needs, or None when the name is not a valid room.

    A room is ``<tab>`` or ``<tab>:<anything without spaces>``, at most MAX_ROOM_LENGTH
    characters; a name shaped like a Socket.IO sid (20 URL-safe base64 characters) is never
    valid, so nobody can join another connection's private sid room.
    """
    if not isinstance(room, str) or not room or len(room) > MAX_ROOM_LENGTH:
        return None
    if _SID_SHAPED_RE.match(room):
        return None
    match = _ROOM_RE.match(room)
    return match.group("tab") if match else None


class RoomRules:
    """The room policies of one hub and the decision who may be in a room."""

    def __init__(self) -> None:
        self.policies: list[RoomPolicy] = []

    def add(self, policy: RoomPolicy) -> None:
        self.policies.append(policy)

    async def refusal(self, principal: Principal, room: str) -> str | None:
        """None when ``principal`` may be in ``room``, else the reason."""
        tab = room_tab(room)
        if tab is None:
            return "invalid room"
        if not principal.has_tab(tab):
            return "forbidden"
        if _JOB_ROOM_RE.match(room):
            return None  # the kernel's room: every holder of the job's tab may follow a run
        for policy in self.policies:
            prefix = policy.prefix
            boundary = prefix if prefix.endswith(":") else prefix + ":"
            if room != prefix and not room.startswith(boundary):
                continue
            try:
                result = policy.check(principal, room)
                if inspect.isawaitable(result):
                    result = await result
            except Exception:
                log.exception("room policy %r raised for room %r", prefix, room)
                return "forbidden"
            if not result:
                return "forbidden"
        return None
