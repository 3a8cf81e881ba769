"""Login throttling as the OWASP authentication guidance describes it: slow guessing down
without handing anyone a button that locks other people out.

- **An account from one address** (the pair) gets ``RM365_LOGIN_MAX_FAILURES`` attempts;
  after that each further attempt waits a delay that doubles (``RM365_LOGIN_DELAY_SECONDS``,
  then twice that, ... up to ``RM365_LOGIN_MAX_DELAY_SECONDS``). The same account from
  another address is not affected, so nobody can lock ``admin`` out from afar.
- **One address** gets a much higher ceiling (``RM365_LOGIN_ADDRESS_MAX_FAILURES`` attempts
  not followed by a success per ``RM365_LOGIN_WINDOW_SECONDS``), so a shift sharing one
  outward address is not locked out by one person's typos, but a guesser is stopped.
- A success forgets the pair and gives the address one attempt back. A pair is forgotten
  ``RM365_LOGIN_WINDOW_SECONDS`` after its last attempt.

Usernames are case-insensitive, so are the keys. Every attempt is counted by one atomic
upsert in its own short transaction before the password is checked, so parallel attempts
can never all slip under the limit.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, case, delete, literal, null, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .._errors import DomainError
from .._types import UTCDateTime, utcnow
from .models import LoginFailure


def pair_key(username: str, address: str) -> str:
    # A digest: a password typed into the username box is not kept in plain text.
    return "u:" + hashlib.sha256(f"{username.lower()}\0{address}".encode()).hexdigest()


def address_key(address: str) -> str:
    return f"a:{address[:190]}"


def _too_many(seconds: float) -> DomainError:
    wait = max(1, math.ceil(seconds))
    return DomainError(
        429,
        f"too many failed logins: try again in {wait} seconds",
        headers={"Retry-After": str(wait)},
        retry_after=wait,
    )


class LoginThrottle:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel
        self.settings = kernel.settings

    def _count(self, session: Session, key: str, now: datetime, *, sliding: bool) -> tuple[int, datetime, Any]:
        """Count one attempt for ``key`` atomically; answers (attempts, window start, blocked until).
        A key still blocked is not counted. ``sliding``: the window restarts at every attempt."""
        table: Table = LoginFailure.__table__  # type: ignore[assignment]
        stamp = literal(now, UTCDateTime())
        cutoff = literal(now - timedelta(seconds=self.settings.login_window_seconds), UTCDateTime())
        blocked = and_(table.c.blocked_until.is_not(None), table.c.blocked_until > stamp)
        expired = table.c.window_start < cutoff
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        statement = (
            insert(table)
            .values(key=key, failures=1, window_start=now, blocked_until=None)
            .on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "failures": case((blocked, table.c.failures), (expired, 1), else_=table.c.failures + 1),
                    "window_start": case(
                        (blocked, table.c.window_start),
                        (expired, stamp),
                        else_=stamp if sliding else table.c.window_start,
                    ),
                    "blocked_until": case((blocked, table.c.blocked_until), else_=null()),
                },
            )
            .returning(table.c.failures, table.c.window_start, table.c.blocked_until)
        )
        failures, window_start, blocked_until = session.execute(statement).one()
        return failures, window_start, blocked_until

    def attempt(self, username: str, address: str) -> None:
        """Count a login attempt before its password is checked; 429 when it must wait."""
        settings = self.settings
        now = utcnow()
        with self.kernel.databases.session("core") as session:
            attempts, window_start, _ = self._count(session, address_key(address), now, sliding=False)
            if attempts > settings.login_address_max_failures:
                session.commit()
                end = window_start + timedelta(seconds=settings.login_window_seconds)
                raise _too_many((end - now).total_seconds())
            key = pair_key(username, address)
            attempts, _, blocked_until = self._count(session, key, now, sliding=True)
            if blocked_until is not None and blocked_until > now:
                session.commit()
                raise _too_many((blocked_until - now).total_seconds())
            if attempts >= settings.login_max_failures:
                # This attempt is checked; the next one waits, twice as long each time.
                extra = attempts - settings.login_max_failures
                delay = min(settings.login_max_delay_seconds, settings.login_delay_seconds * 2 ** min(extra, 30))
                session.execute(
                    update(LoginFailure)
                    .where(LoginFailure.key == key)
                    .values(blocked_until=now + timedelta(seconds=delay))
                )

    def succeeded(self, session: Session, username: str, address: str) -> None:
        """The password was right: forget the pair, give the address its attempt back."""
        session.execute(delete(LoginFailure).where(LoginFailure.key == pair_key(username, address)))
        session.execute(
            update(LoginFailure)
            .where(LoginFailure.key == address_key(address), LoginFailure.failures > 0)
            .values(failures=LoginFailure.failures - 1)
        )
