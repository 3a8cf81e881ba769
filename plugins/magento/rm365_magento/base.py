"""What every pick & pack rule shares: loading a session under its row lock, the checks
on its state and owner, the audit log, and announcing changes after the commit."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rm365_core import Principal, emit_on_commit, utcnow

from .context import ROOMS, SUPERVISOR_TAB, Context, user_room
from .errors import Conflict, Forbidden, NotFound
from .models import OPEN, AuditEntry, PickSession
from .views import summary_out


def is_supervisor(user: Principal) -> bool:
    return user.has_tab(SUPERVISOR_TAB)


class Rules(Context):
    """Helpers of the session rules (no rule of their own)."""

    def _load(self, session: Session, session_id: int, *, lock: bool = False) -> PickSession:
        statement = select(PickSession).where(PickSession.id == session_id)
        if lock:
            statement = statement.with_for_update()
        ps = session.scalar(statement)
        if ps is None:
            raise NotFound(f"there is no pick & pack session #{session_id}")
        return ps

    @staticmethod
    def _check_open(ps: PickSession) -> None:
        if ps.status not in OPEN:
            raise Conflict(f"session #{ps.id} is {ps.status}", session_status=ps.status)

    @staticmethod
    def _check_owner_or_supervisor(ps: PickSession, user: Principal, action: str) -> None:
        if ps.owner != user.username and not is_supervisor(user):
            raise Forbidden(
                f"session #{ps.id} belongs to {ps.owner}; only its owner or a supervisor may {action} it",
                owner=ps.owner,
            )

    @staticmethod
    def _touch(ps: PickSession) -> None:
        ps.updated_at = utcnow()
        ps.version = (ps.version or 0) + 1

    @staticmethod
    def _audit(session: Session, ps: PickSession, action: str, by: str, **detail: Any) -> None:
        clean = {k: v for k, v in detail.items() if v is not None}
        session.add(AuditEntry(session_id=ps.id, action=action, username=by, detail=json.dumps(clean, default=str)))

    @staticmethod
    def _announce(session: Session, ps: PickSession, action: str, by: str) -> None:
        session.flush()
        summary = summary_out(ps, list(ps.lines))
        data = {"action": action, "by": by, "session": json.loads(json.dumps(summary, default=str))}
        emit_on_commit(session, "magento.session", data, room=ROOMS)

    @staticmethod
    def _notify(session: Session, to: str, action: str, ps: PickSession, by: str, **detail: Any) -> None:
        data = {"action": action, "by": by, "session_id": ps.id, "order_number": ps.order_number, **detail}
        emit_on_commit(session, "magento.notice", data, room=user_room(to))
