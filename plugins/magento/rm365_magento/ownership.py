"""Who holds a session: release, claim, takeover requests and the owner's answer, and the
supervisor's assign, take-over and over-scan switch."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rm365_core import Principal, utcnow

from .base import Rules
from .errors import Conflict, Forbidden, Invalid, NotFound
from .models import PickSession, TakeoverRequest
from .views import detail_out, request_out


class Ownership(Rules):
    """The ownership rules of :class:`~rm365_magento.service.PickPack`."""

    # -- ownership --------------------------------------------------------------------------
    def release(self, session_id: int, user: Principal) -> dict[str, Any]:
        """Back to draft, scans kept: anyone may claim it."""
        with self.session() as session:
            ps = self._load(session, session_id, lock=True)
            self._check_open(ps)
            self._check_owner_or_supervisor(ps, user, "release")
            previous, ps.owner, ps.status = ps.owner, None, "draft"
            self._withdraw_requests(session, ps)
            self._touch(ps)
            self._audit(session, ps, "released", user.username, previous_owner=previous)
            self._announce(session, ps, "released", user.username)
            session.flush()
            return detail_out(session, ps)

    def claim(self, session_id: int, user: Principal) -> dict[str, Any]:
        with self.session() as session:
            ps = self._load(session, session_id, lock=True)
            self._check_open(ps)
            if ps.owner == user.username:
                return detail_out(session, ps)
            if ps.owner is not None:
                raise Conflict(f"session #{ps.id} belongs to {ps.owner}; ask for a takeover instead", owner=ps.owner)
            return self._give(session, ps, user.username, "claimed", user.username)

    def request_takeover(self, session_id: int, user: Principal) -> dict[str, Any]:
        with self.session() as session:
            ps = self._load(session, session_id, lock=True)
            self._check_open(ps)
            if ps.owner is None:
                raise Conflict(f"session #{ps.id} has no owner: claim it instead")
            if ps.owner == user.username:
                raise Conflict(f"session #{ps.id} is already yours")
            req = session.scalar(
                select(TakeoverRequest).where(
                    TakeoverRequest.session_id == ps.id,
                    TakeoverRequest.requester == user.username,
                    TakeoverRequest.status == "pending",
                )
            )
            if req is None:
                req = TakeoverRequest(session_id=ps.id, requester=user.username, owner=ps.owner, status="pending")
                session.add(req)
                session.flush()
                self._audit(session, ps, "takeover-requested", user.username, request_id=req.id)
                self._notify(session, ps.owner, "takeover-requested", ps, user.username, request_id=req.id)
                self._announce(session, ps, "takeover-requested", user.username)
            return request_out(req)

    def decide_takeover(self, session_id: int, request_id: int, accept: bool, user: Principal) -> dict[str, Any]:
        with self.session() as session:
            ps = self._load(session, session_id, lock=True)
            req = session.get(TakeoverRequest, request_id)
            if req is None or req.session_id != ps.id:
                raise NotFound(f"session #{ps.id} has no takeover request {request_id}")
            if req.status != "pending":
                raise Conflict(f"takeover request {request_id} is already {req.status}", request_status=req.status)
            if ps.owner != user.username:
                raise Forbidden(f"only the owner of session #{ps.id} ({ps.owner}) may answer a takeover request")
            self._check_open(ps)
            req.status, req.decided_at = ("accepted" if accept else "declined"), utcnow()
            self._notify(session, req.requester, f"takeover-{req.status}", ps, user.username, request_id=req.id)
            if accept:
                return self._give(session, ps, req.requester, "takeover-accepted", user.username, request_id=req.id)
            self._audit(session, ps, "takeover-declined", user.username, request_id=req.id, requester=req.requester)
            self._announce(session, ps, "takeover-declined", user.username)
            session.flush()
            return detail_out(session, ps)

    # -- supervisor -------------------------------------------------------------------------
    def assign(self, session_id: int, username: str, user: Principal) -> dict[str, Any]:
        username = username.strip()
        if not username or len(username) > 150:
            raise Invalid("name the user to assign the session to", field="username")
        with self.session() as session:
            ps = self._load(session, session_id, lock=True)
            self._check_open(ps)
            return self._give(session, ps, username, "force-assigned", user.username)

    def take_over(self, session_id: int, user: Principal) -> dict[str, Any]:
        with self.session() as session:
            ps = self._load(session, session_id, lock=True)
            self._check_open(ps)
            return self._give(session, ps, user.username, "taken-over", user.username)

    def allow_overscan(self, session_id: int, allow: bool, user: Principal) -> dict[str, Any]:
        with self.session() as session:
            ps = self._load(session, session_id, lock=True)
            self._check_open(ps)
            ps.allow_overscan = allow
            self._touch(ps)
            self._audit(session, ps, "overscan-allowed" if allow else "overscan-refused", user.username)
            self._announce(session, ps, "updated", user.username)
            session.flush()
            return detail_out(session, ps)

    def _give(self, session: Session, ps: PickSession, to: str, action: str, by: str, **detail: Any) -> dict[str, Any]:
        previous = ps.owner
        ps.owner, ps.status = to, "active"
        self._withdraw_requests(session, ps)
        self._touch(ps)
        self._audit(session, ps, action, by, previous_owner=previous, owner=to, **detail)
        self._announce(session, ps, action, by)
        for name in {previous, to} - {None, by}:
            self._notify(session, str(name), action, ps, by)
        session.flush()
        return detail_out(session, ps)

    def _withdraw_requests(self, session: Session, ps: PickSession) -> None:
        session.execute(
            update(TakeoverRequest)
            .where(
                TakeoverRequest.session_id == ps.id,
                TakeoverRequest.status == "pending",
                TakeoverRequest.requester != (ps.owner or ""),
            )
            .values(status="withdrawn", decided_at=utcnow())
        )
