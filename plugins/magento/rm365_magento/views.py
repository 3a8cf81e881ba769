"""Shapes of sessions as the API and the realtime hub send them."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import AuditEntry, PickSession, SessionLine, TakeoverRequest


def line_out(line: SessionLine) -> dict[str, Any]:
    return {
        "id": line.id,
        "sku": line.sku,
        "item_id": line.item_id,
        "name": line.name,
        "order_item_id": line.order_item_id,
        "qty_expected": line.qty_expected,
        "qty_scanned": line.qty_scanned,
        "done": line.qty_scanned >= line.qty_expected,
    }


def progress(lines: list[SessionLine]) -> dict[str, Any]:
    expected = sum(line.qty_expected for line in lines)
    scanned = sum(min(line.qty_scanned, line.qty_expected) for line in lines)
    done = sum(1 for line in lines if line.qty_scanned >= line.qty_expected)
    return {
        "scanned": scanned,
        "expected": expected,
        "lines_done": done,
        "lines": len(lines),
        "percent": round(100 * scanned / expected, 1) if expected else 100.0,
        "complete": done == len(lines),
    }


def summary_out(ps: PickSession, lines: list[SessionLine]) -> dict[str, Any]:
    """The session without its lines (what the realtime hub sends on every change)."""
    out = session_out(ps, lines)
    del out["lines"]
    return out


def session_out(ps: PickSession, lines: list[SessionLine] | None = None) -> dict[str, Any]:
    lines = list(ps.lines) if lines is None else lines
    invoice = json.loads(ps.invoice or "{}")
    return {
        "id": ps.id,
        "type": ps.type,
        "status": ps.status,
        "order_number": ps.order_number,
        "order_id": ps.order_id,
        "invoice_number": ps.invoice_number,
        "customer": invoice.get("customer", ""),
        "owner": ps.owner,
        "created_by": ps.created_by,
        "allow_overscan": ps.allow_overscan,
        "shipment_id": ps.shipment_id,
        "version": ps.version,
        "created_at": ps.created_at,
        "updated_at": ps.updated_at,
        "closed_at": ps.closed_at,
        "lines": [line_out(line) for line in lines],
        "progress": progress(lines),
    }


def audit_out(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "action": entry.action,
        "username": entry.username,
        "detail": json.loads(entry.detail or "{}"),
        "created_at": entry.created_at,
    }


def request_out(req: TakeoverRequest) -> dict[str, Any]:
    return {
        "id": req.id,
        "session_id": req.session_id,
        "requester": req.requester,
        "owner": req.owner,
        "status": req.status,
        "created_at": req.created_at,
        "decided_at": req.decided_at,
    }


#: A session's detail carries its newest audit entries, at most this many.
AUDIT_SHOWN = 200


def detail_out(session: Session, ps: PickSession) -> dict[str, Any]:
    """The session with its audit log (oldest first; the newest ``AUDIT_SHOWN`` entries and
    the total) and takeover requests."""
    newest = select(AuditEntry).where(AuditEntry.session_id == ps.id).order_by(AuditEntry.id.desc())
    audit = reversed(session.scalars(newest.limit(AUDIT_SHOWN)).all())
    audit_total = session.scalar(select(func.count()).where(AuditEntry.session_id == ps.id))
    requests = session.scalars(
        select(TakeoverRequest).where(TakeoverRequest.session_id == ps.id).order_by(TakeoverRequest.id)
    )
    return {
        **session_out(ps),
        "audit": [audit_out(a) for a in audit],
        "audit_total": audit_total or 0,
        "takeover_requests": [request_out(r) for r in requests],
    }
