"""Who may hold a realtime connection, and for how long: origins, per-user limits, token
expiry, and the database changes that make the hub re-check its connections.

A connection lives as long as its access token is valid: it is closed when the token
expires, when it is revoked (logout, password or role change), and it leaves the rooms its
user no longer may be in as soon as a change to users, roles or revoked tokens commits
(on every worker, through the hub's control channel). ``RM365_REALTIME_*`` settings bound
what one user may open and send.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from socketio.exceptions import ConnectionRefusedError as SioConnectionRefusedError
from sqlalchemy import event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from ._principal import Principal

if TYPE_CHECKING:
    from ._realtime import Hub
    from ._realtime_redis import ConnectionCounts

log = logging.getLogger("rm365.realtime")

#: ``Session.info`` key of the callback told which users' access changed (None: everyone's).
ACCESS_KEY = "rm365_access_changed"
_PENDING_KEY = "rm365_access_pending"
#: User columns whose change can take rooms away from open connections.
_WATCHED_USER_FIELDS = ("role", "allowed_tabs", "active", "token_version", "username")


class RealtimeSettings(BaseSettings):
    """Limits of the realtime hub (``RM365_REALTIME_<NAME>``), per user and per worker."""

    model_config = SettingsConfigDict(env_prefix="RM365_REALTIME_", env_file=".env", extra="ignore")

    #: Open connections of one user (on the whole site with Redis); more are refused.
    max_connections_per_user: int = Field(default=20, ge=1, le=10_000)
    #: Client events (joins, presence, intents) one user may send per second, on average ...
    events_per_second: float = Field(default=30.0, gt=0, le=10_000)
    #: ... and in one burst; events past it are answered ``too many events``.
    event_burst: int = Field(default=200, ge=1, le=100_000)
    #: Every connection's token and rooms are checked again at least this often (seconds).
    recheck_seconds: float = Field(default=60.0, ge=1, le=86_400)


class TokenBucket:
    """``rate`` events per second on average, ``burst`` at once."""

    __slots__ = ("rate", "burst", "tokens", "stamp")

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, float(burst)
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass(eq=False)
class Connection:
    """One open Socket.IO connection on this worker."""

    sid: str
    principal: Principal
    token: str
    joined: set[str] = field(default_factory=set)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    expiry: asyncio.TimerHandle | None = None
    #: Set once the connection is gone; a handler waiting on the lock then does nothing.
    closed: bool = False


class Connections:
    """This worker's connections by sid and by user, with the per-user limits."""

    def __init__(self, limits: RealtimeSettings) -> None:
        self.limits = limits
        self.by_sid: dict[str, Connection] = {}
        self._by_user: dict[str, set[str]] = {}
        self._buckets: dict[str, TokenBucket] = {}
        #: With Redis: every worker's connections, so the limit holds for the whole site.
        self.shared: ConnectionCounts | None = None

    async def claim(self, connection: Connection) -> str | None:
        """Count ``connection`` (None) or say why its user may not open one more."""
        username, limit = connection.principal.username, self.limits.max_connections_per_user
        if len(self._by_user.get(username, ())) >= limit:
            return "too many connections"
        if self.shared is not None:
            try:
                if not await self.shared.claim(username, connection.sid, limit):
                    return "too many connections"
            except Exception:  # Redis trouble: this worker's own limit still holds
                log.exception("could not count realtime connections in Redis")
        self.add(connection)
        return None

    async def release(self, sid: str) -> Connection | None:
        """Forget a closed connection, here and in the shared count."""
        connection = self.remove(sid)
        if connection is not None and self.shared is not None:
            try:
                await self.shared.release(connection.principal.username, sid)
            except Exception:  # its entry lapses on its own
                log.exception("could not uncount a realtime connection in Redis")
        return connection

    async def refresh_shared(self) -> None:
        if self.shared is not None:
            await self.shared.refresh([(c.principal.username, c.sid) for c in self.by_sid.values()])

    def add(self, connection: Connection) -> None:
        self.by_sid[connection.sid] = connection
        self._by_user.setdefault(connection.principal.username, set()).add(connection.sid)

    def remove(self, sid: str) -> Connection | None:
        connection = self.by_sid.pop(sid, None)
        if connection is None:
            return None
        connection.closed = True
        if connection.expiry is not None:
            connection.expiry.cancel()
        username = connection.principal.username
        sids = self._by_user.get(username)
        if sids is not None:
            sids.discard(sid)
            if not sids:
                del self._by_user[username]
                self._buckets.pop(username, None)
        return connection

    def of_user(self, username: str) -> list[Connection]:
        return [self.by_sid[sid] for sid in self._by_user.get(username, ()) if sid in self.by_sid]

    def of_user_ids(self, user_ids: set[int] | None) -> list[Connection]:
        """The connections of these users (every connection when None)."""
        return [c for c in self.by_sid.values() if user_ids is None or c.principal.user_id in user_ids]

    def allow_event(self, sid: str) -> bool:
        """Count one client event of ``sid``'s user; False once the user is over the limit."""
        connection = self.by_sid.get(sid)
        if connection is None:
            return True  # not yet (or no longer) connected: the handler refuses it
        username = connection.principal.username
        bucket = self._buckets.get(username)
        if bucket is None:
            bucket = self._buckets[username] = TokenBucket(self.limits.events_per_second, self.limits.event_burst)
        return bucket.take()

    def rooms(self) -> set[str]:
        return {room for connection in self.by_sid.values() for room in connection.joined}


class AccessGuard:
    """Keeps a hub's connections within what their tokens and users allow today."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def admit(self, sid: str, auth: Any) -> Connection:
        """The connection of a client whose ``auth`` carries a valid token; raises the
        refusal the client is told."""
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token or len(token) > 8192:
            raise SioConnectionRefusedError("authentication required")
        try:
            principal = await self.hub.authenticate(token)
        except Exception:
            log.exception("realtime authentication failed with an error")
            principal = None
        if principal is None:
            raise SioConnectionRefusedError("invalid or expired token")
        connection = Connection(sid, principal, token)
        refusal = await self.hub.connections.claim(connection)
        if refusal is not None:
            raise SioConnectionRefusedError(refusal)
        return connection

    def track(self, connection: Connection) -> None:
        """Close an admitted connection when its token expires."""
        expires = token_expiry(connection.token)
        if expires is not None:
            self.expire_at(connection, expires)

    async def recheck(self, user_ids: set[int] | None, *, forget: bool = True) -> None:
        """Re-check this worker's connections of ``user_ids`` (every connection when None);
        with ``forget`` the authenticator's cached copy of those users is dropped first."""
        forget_user = self.hub.forget_user
        if forget and forget_user is not None:
            for user_id in [None] if user_ids is None else sorted(user_ids):
                forget_user(user_id)
        for connection in self.hub.connections.of_user_ids(user_ids):
            try:
                await self.recheck_connection(connection)
            except Exception:
                log.exception("realtime access re-check of %s failed", connection.sid)

    async def recheck_connection(self, connection: Connection) -> None:
        """Close the connection when its token is no longer valid; else leave the rooms
        its user may no longer be in, telling the client ``room:left {room, reason}``."""
        hub, sid = self.hub, connection.sid
        try:
            principal = await hub.authenticate(connection.token)
        except Exception:
            log.exception("realtime authentication failed with an error")
            return  # keep the connection; the next re-check tries again
        if principal is None:
            with contextlib.suppress(Exception):
                await hub.sio.disconnect(sid, ignore_queue=True)
            return
        connection.principal = principal
        left = []
        async with connection.lock:
            for room in sorted(connection.joined):
                reason = await hub.rooms.refusal(principal, room)
                if reason is None:
                    continue
                connection.joined.discard(room)
                await hub.sio.leave_room(sid, room)
                await hub.presence_state.leave(sid, room)
                left.append(room)
                await hub.sio.emit("room:left", {"room": room, "reason": reason}, to=sid)
        for room in left:
            hub.presence_state.schedule(room)

    def expire_at(self, connection: Connection, expires: float) -> None:
        """Check the connection again the moment its token expires (it is then closed)."""
        loop = asyncio.get_running_loop()
        delay = max(0.0, expires - time.time()) + 0.5  # past the second the token names

        def fire() -> None:
            if self.hub.connections.by_sid.get(connection.sid) is connection:
                self.hub.emitter.spawn(self.recheck_connection(connection))

        connection.expiry = loop.call_later(delay, fire)


def token_expiry(token: str) -> float | None:
    """The ``exp`` of an access token the hub already authenticated (None if it has none)."""
    import jwt

    try:
        exp = jwt.decode(token, options={"verify_signature": False}).get("exp")
    except jwt.PyJWTError:
        return None
    return float(exp) if isinstance(exp, int | float) else None


def origin_allowed(origin: str | None, environ: dict[str, Any] | None, listed: list[str]) -> bool:
    """Same origin (also behind a proxy setting X-Forwarded-*) or a configured origin."""
    if not origin:
        return True
    if origin in listed:
        return True
    if not environ:
        return False
    host = environ.get("HTTP_HOST")
    if not host:
        return False
    # A WebSocket request's scheme is ws/wss; the page's Origin is http/https.
    web = {"ws": "http", "wss": "https"}
    scheme = str(environ.get("wsgi.url_scheme", "http")).lower()
    scheme = web.get(scheme, scheme)
    allowed = {f"{scheme}://{host}"}
    forwarded_proto = environ.get("HTTP_X_FORWARDED_PROTO")
    forwarded_host = environ.get("HTTP_X_FORWARDED_HOST")
    if forwarded_proto or forwarded_host:
        fscheme = (forwarded_proto or scheme).split(",")[0].strip().lower()
        fhost = (forwarded_host or host).split(",")[0].strip()
        allowed.add(f"{web.get(fscheme, fscheme)}://{fhost}")
    return origin.lower() in {a.lower() for a in allowed}


# -- database changes that reach open connections ------------------------------------------


def _changed(obj: Any, fields: tuple[str, ...]) -> bool:
    attrs = sa_inspect(obj).attrs
    return any(name in attrs and attrs[name].history.has_changes() for name in fields)


def _note_access_changes(session: Session, context: Any) -> None:
    if session.info.get(ACCESS_KEY) is None:
        return
    try:
        _collect_access_changes(session)
    except Exception:  # never let this bookkeeping fail the caller's flush
        log.exception("could not tell which users' realtime access changed; re-checking everyone")
        session.info[_PENDING_KEY] = None


def _collect_access_changes(session: Session) -> None:
    from ._core.models import RevokedAccessToken, Role, User

    pending: set[int] | None = session.info.get(_PENDING_KEY, set())
    for obj in itertools.chain(session.new, session.dirty, session.deleted):
        if pending is None:
            break
        if isinstance(obj, User) and obj.id is not None:
            if obj in session.deleted or (obj not in session.new and _changed(obj, _WATCHED_USER_FIELDS)):
                pending.add(obj.id)
        elif isinstance(obj, Role) and obj not in session.new:
            if obj in session.deleted or _changed(obj, ("allowed_tabs",)):
                pending = None  # every holder of the role: re-check everyone
        elif isinstance(obj, RevokedAccessToken) and obj in session.new:
            pending.add(obj.user_id)
    if pending is None or pending:
        session.info[_PENDING_KEY] = pending


def _announce_access_changes(session: Session) -> None:
    if _PENDING_KEY not in session.info:
        return
    pending = session.info.pop(_PENDING_KEY)
    notify: Callable[[set[int] | None], None] | None = session.info.get(ACCESS_KEY)
    if notify is not None:
        notify(pending)


def _forget_access_changes(session: Session, previous: Any) -> None:
    if previous.parent is None:
        session.info.pop(_PENDING_KEY, None)


event.listen(Session, "after_flush", _note_access_changes)
event.listen(Session, "after_commit", _announce_access_changes)
event.listen(Session, "after_soft_rollback", _forget_access_changes)
