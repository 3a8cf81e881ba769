"""Pick & pack sessions: start from a Magento invoice, scan (each scan moves stock through the
inventory plugin's ``inventory.stock`` service), complete, cancel (restoring every unit moved),
release, claim and hand over (:mod:`~rm365_magento.ownership`). Sessions live in the
database; every action is audited and announced after its commit.

Stock moves in its own transaction (the inventory service commits it), so a scan checks its
rules, moves stock with a ``client_id`` derived from the scan's, then records the scan under
the session's row lock; a scan refused at that point gives the stock back."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from rm365_core import Page, PageParams, Principal, paginate, utcnow

from .base import is_supervisor
from .client import lookup_invoice
from .errors import Conflict, Forbidden, Invalid, Upstream
from .models import OPEN, PickSession, Scan, SessionLine
from .ownership import Ownership
from .views import detail_out, line_out, session_out

MAX_QUANTITY = 1000


class PickPack(Ownership):
    """The rules of pick & pack sessions; the API calls these, nothing else does."""

    # -- Magento ----------------------------------------------------------------------------
    def lookup(self, number: str) -> dict[str, Any]:
        """The invoice an order number (or an invoice number) names, fetched from Magento."""
        number = number.strip()
        if not number or len(number) > 64:
            raise Invalid("give an order or invoice number (at most 64 characters)", field="order_number")
        return lookup_invoice(self.client, number)

    # -- reading ----------------------------------------------------------------------------
    def get(self, session_id: int) -> dict[str, Any]:
        """The session as stored: no Magento call."""
        with self.session(readonly=True) as session:
            return detail_out(session, self._load(session, session_id))

    def list(self, params: PageParams, *, status: str | None, user: str | None, type_: str | None) -> Page[Any]:
        statement = (
            select(PickSession)
            .options(selectinload(PickSession.lines))
            .order_by(PickSession.created_at.desc(), PickSession.id.desc())
        )
        if status:
            wanted = {s.strip() for s in status.split(",") if s.strip()}
            if "open" in wanted:
                wanted |= set(OPEN)
            statement = statement.where(PickSession.status.in_(wanted))
        if user:
            statement = statement.where(PickSession.owner == user.strip())
        if type_:
            statement = statement.where(PickSession.type == type_)
        with self.session(readonly=True) as session:
            return paginate(session, statement, params, session_out)

    # -- starting ---------------------------------------------------------------------------
    def start(self, number: str, type_: str, user: Principal) -> dict[str, Any]:
        """A new session owned by ``user`` from the invoice Magento has for ``number``; 409
        naming the session (and its owner) when the invoice already has one of this type."""
        invoice = self.lookup(number)
        if not invoice["lines"]:
            raise Conflict(f"invoice {invoice['invoice_number']} has no lines to {type_}")
        guard = f"{invoice['invoice_id']}:{type_}"
        with self.session(readonly=True) as session:
            self._refuse_duplicate(session, guard, invoice, type_)
        item_ids = self.stock.item_ids(sorted({line["sku"] for line in invoice["lines"]}))
        with self.session() as session:
            ps = PickSession(
                type=type_,
                status="active",
                order_number=invoice["order_number"] or number.strip(),
                order_id=invoice["order_id"],
                invoice_number=invoice["invoice_number"],
                invoice_id=invoice["invoice_id"],
                guard=guard,
                owner=user.username,
                created_by=user.username,
                invoice=json.dumps(invoice),
                lines=[
                    SessionLine(
                        position=i,
                        order_item_id=line["order_item_id"],
                        sku=line["sku"],
                        item_id=item_ids.get(line["sku"]),
                        name=line["name"],
                        qty_expected=line["qty"],
                        qty_scanned=0,
                        qty_restored=0,
                    )
                    for i, line in enumerate(invoice["lines"])
                ],
            )
            try:
                with session.begin_nested():
                    session.add(ps)
                    session.flush()
            except IntegrityError:
                self._refuse_duplicate(session, guard, invoice, type_)
                raise
            self._audit(session, ps, "started", user.username, order_number=ps.order_number)
            self._announce(session, ps, "started", user.username)
            session.flush()
            return detail_out(session, ps)

    def _refuse_duplicate(self, session: Session, guard: str, invoice: dict[str, Any], type_: str) -> None:
        other = session.scalar(select(PickSession).where(PickSession.guard == guard))
        if other is not None:
            whose = f"owned by {other.owner}" if other.owner else "not owned by anyone"
            raise Conflict(
                f"invoice {invoice['invoice_number']} already has a {other.status} {type_} session "
                f"(#{other.id}, {whose})",
                session_id=other.id,
                owner=other.owner,
                session_status=other.status,
            )

    # -- scanning ---------------------------------------------------------------------------
    def scan(self, session_id: int, code: str, quantity: int, client_id: str | None, user: Principal) -> dict[str, Any]:
        """Accept one scan of ``code`` (a SKU or item_id, any case) into the owner's session,
        moving ``quantity`` units through inventory; a known ``client_id`` applies once."""
        code = code.strip()
        if not code or len(code) > 64:
            raise Invalid("scan a SKU or barcode (at most 64 characters)", field="code")
        if not 1 <= quantity <= MAX_QUANTITY:
            raise Invalid(f"quantity must be between 1 and {MAX_QUANTITY}", field="quantity")
        client_id = (client_id or "").strip() or uuid.uuid4().hex
        with self.session(readonly=True) as session:
            ps = self._load(session, session_id)
            known = session.scalar(select(Scan).where(Scan.session_id == ps.id, Scan.client_id == client_id))
            if known is not None:
                return self._scan_answer(session, ps, known, duplicate=True)
            self._check_scanner(ps, user)
            line = self._match(session, ps, code)
            self._check_overscan(ps, line, quantity)
            sku, line_id, type_ = line.sku, line.id, ps.type
            note = f"Magento {type_} session #{ps.id}, order {ps.order_number}, invoice {ps.invoice_number}"
        settings = self.settings
        reason = settings.pick_reason if type_ == "pick" else settings.return_reason
        stock_client = f"magento:{session_id}:{client_id}"[:100]
        moved = self.stock.adjust(
            sku,
            quantity,
            reason,
            user=user.username,
            source="pick" if type_ == "pick" else "returns",
            client_id=stock_client,
            note=note,
        )
        try:
            with self.session() as session:
                ps = self._load(session, session_id, lock=True)
                found = session.get(SessionLine, line_id)
                assert found is not None  # lines are never deleted while their session exists
                line = found
                scan = Scan(
                    session_id=ps.id,
                    line_id=line.id,
                    client_id=client_id,
                    code=code,
                    quantity=quantity,
                    username=user.username,
                    adjustment_id=moved.get("id"),
                )
                try:
                    with session.begin_nested():
                        session.add(scan)
                        session.flush()
                except IntegrityError:
                    known = session.scalar(select(Scan).where(Scan.session_id == ps.id, Scan.client_id == client_id))
                    if known is None:
                        raise
                    return self._scan_answer(session, ps, known, duplicate=True)
                self._check_scanner(ps, user)
                self._check_overscan(ps, line, quantity)
                line.qty_scanned += quantity
                self._touch(ps)
                self._audit(
                    session,
                    ps,
                    "scanned",
                    user.username,
                    sku=line.sku,
                    code=code,
                    quantity=quantity,
                    adjustment_id=moved.get("id"),
                )
                self._announce(session, ps, "scanned", user.username)
                session.flush()
                return self._scan_answer(session, ps, scan, duplicate=False)
        except (Conflict, Forbidden):
            if not moved.get("duplicate"):
                undo = quantity if type_ == "pick" else -quantity
                self.stock.adjust(
                    sku,
                    undo,
                    settings.restore_reason,
                    user=user.username,
                    source="pick",
                    client_id=f"{stock_client}:undo"[:100],
                    note=f"{note}: scan refused, undone",
                )
            raise

    def _match(self, session: Session, ps: PickSession, code: str) -> SessionLine:
        """The line a code names: its SKU or item_id in any case, else the SKU inventory
        resolves the code to (a variant, another barcode form)."""
        lines = select(SessionLine).where(SessionLine.session_id == ps.id).order_by(SessionLine.position)
        folded = code.lower()
        line = session.scalars(
            lines.where(or_(func.lower(SessionLine.sku) == folded, func.lower(SessionLine.item_id) == folded)).limit(1)
        ).first()
        if line is not None:
            return line
        sku = self.stock.resolve(code)
        if sku is not None:
            line = session.scalars(lines.where(func.lower(SessionLine.sku) == sku.lower()).limit(1)).first()
            if line is not None:
                return line
        raise Invalid(
            f"{code} is not on invoice {ps.invoice_number} (order {ps.order_number})",
            field="code",
            outcome="wrong_item",
            code=code,
        )

    def _check_scanner(self, ps: PickSession, user: Principal) -> None:
        if ps.status not in OPEN:
            raise Conflict(f"session #{ps.id} is {ps.status}; nothing more can be scanned", session_status=ps.status)
        if ps.owner is None:
            raise Conflict(f"session #{ps.id} has no owner: claim it before scanning", owner=None)
        if ps.owner != user.username:
            raise Forbidden(f"session #{ps.id} belongs to {ps.owner}; only its owner may scan into it", owner=ps.owner)

    def _check_overscan(self, ps: PickSession, line: SessionLine, quantity: int) -> None:
        if line.qty_scanned + quantity > line.qty_expected and not ps.allow_overscan:
            raise Conflict(
                f"over-scan: {line.sku} expects {line.qty_expected} and {line.qty_scanned} are already "
                f"scanned; a supervisor can allow over-scans for this session",
                outcome="over_scan",
                sku=line.sku,
                qty_expected=line.qty_expected,
                qty_scanned=line.qty_scanned,
            )

    def _scan_answer(self, session: Session, ps: PickSession, scan: Scan, *, duplicate: bool) -> dict[str, Any]:
        line = next(li for li in ps.lines if li.id == scan.line_id)
        out = session_out(ps)
        if out["progress"]["complete"]:
            outcome = "session_complete"
        elif line.qty_scanned >= line.qty_expected:
            outcome = "line_complete"
        else:
            outcome = "ok"
        return {
            "outcome": outcome,
            "duplicate": duplicate,
            "scan": {
                "id": scan.id,
                "client_id": scan.client_id,
                "code": scan.code,
                "sku": line.sku,
                "quantity": scan.quantity,
                "adjustment_id": scan.adjustment_id,
            },
            "line": line_out(line),
            "session": out,
        }

    # -- finishing --------------------------------------------------------------------------
    def complete(
        self, session_id: int, user: Principal, *, force: bool = False, reason: str = "", tracking: str | None = None
    ) -> dict[str, Any]:
        """Close a session whose lines are all scanned (or, ``force`` with a reason, by a
        supervisor); a pick may create the Magento shipment first (site setting)."""
        with self.session(readonly=True) as session:
            ps = self._load(session, session_id)
            self._check_open(ps)
            self._check_owner_or_supervisor(ps, user, "complete")
            done = session_out(ps)["progress"]["complete"]
            if not done and not force:
                raise Conflict(
                    f"session #{ps.id} still has lines to scan; a supervisor can force completion",
                    progress=session_out(ps)["progress"],
                )
            if force and not done:
                if not is_supervisor(user):
                    raise Forbidden("only a supervisor can force the completion of a session")
                if not reason.strip():
                    raise Invalid("a forced completion needs a reason", field="reason")
            ship = [{"order_item_id": li.order_item_id, "qty": li.qty_scanned} for li in ps.lines if li.qty_scanned]
            order_id, type_ = ps.order_id, ps.type
        shipment = None
        if type_ == "pick" and self.settings.create_shipment and ship:
            try:
                shipment = str(self.client.ship(order_id, ship, tracking))
            except Upstream as exc:
                if exc.fields.get("magento_status"):
                    raise Upstream(502, f"Magento refused the shipment: {exc.message}") from exc
                raise
        with self.session() as session:
            ps = self._load(session, session_id, lock=True)
            self._check_open(ps)
            ps.status, ps.closed_at, ps.shipment_id = "completed", utcnow(), shipment
            if force and not done:
                ps.note = reason.strip()[:500]
            self._touch(ps)
            self._audit(
                session,
                ps,
                "forced-complete" if force and not done else "completed",
                user.username,
                reason=reason.strip()[:500] or None,
                shipment_id=shipment,
                tracking=tracking,
            )
            self._announce(session, ps, "completed", user.username)
            session.flush()
            return detail_out(session, ps)

    def cancel(self, session_id: int, user: Principal, *, force: bool = False) -> dict[str, Any]:
        """Cancel a session and put back every unit it moved. Retrying a cancel that could not
        restore everything restores the rest, each unit once."""
        with self.session() as session:
            ps = self._load(session, session_id, lock=True)
            if ps.status == "completed":
                raise Conflict(f"session #{ps.id} is completed and cannot be cancelled")
            if ps.status != "cancelled":
                if force:
                    if not is_supervisor(user):
                        raise Forbidden("only a supervisor can force-cancel a session")
                elif ps.owner is not None and ps.owner != user.username:
                    raise Forbidden(
                        f"session #{ps.id} belongs to {ps.owner}; only its owner or a supervisor may cancel it",
                        owner=ps.owner,
                    )
                ps.status, ps.guard, ps.closed_at = "cancelled", None, utcnow()
                self._touch(ps)
                self._audit(session, ps, "force-cancelled" if force else "cancelled", user.username)
                self._announce(session, ps, "cancelled", user.username)
                if force and ps.owner and ps.owner != user.username:
                    self._notify(session, ps.owner, "cancelled", ps, user.username)
            todo = [
                (li.id, li.sku, li.qty_scanned - li.qty_restored, li.qty_restored)
                for li in ps.lines
                if li.qty_scanned > li.qty_restored
            ]
            type_, order = ps.type, ps.order_number
        settings = self.settings
        failed: list[dict[str, Any]] = []
        for line_id, sku, count, restored in todo:
            delta = count if type_ == "pick" else -count
            try:
                self.stock.adjust(
                    sku,
                    delta,
                    settings.restore_reason,
                    user=user.username,
                    source="pick",
                    client_id=f"magento:{session_id}:restore:{line_id}:{restored}",
                    note=f"Magento {type_} session #{session_id} (order {order}) cancelled",
                )
            except Exception as exc:  # noqa: BLE001 - reported below; a retried cancel tries again
                failed.append({"sku": sku, "quantity": delta, "error": str(exc)})
                continue
            with self.session() as session:
                session.execute(
                    update(SessionLine)
                    .where(SessionLine.id == line_id, SessionLine.qty_restored == restored)
                    .values(qty_restored=restored + count)
                )
                ps = self._load(session, session_id)
                self._audit(session, ps, "restored", user.username, sku=sku, quantity=delta)
        if failed:
            with self.session() as session:
                self._audit(session, self._load(session, session_id), "restore-failed", user.username, lines=failed)
            raise Conflict(
                f"session #{session_id} is cancelled but some stock could not be put back "
                f"({', '.join(f['sku'] for f in failed)}); cancel again to retry",
                failed=failed,
            )
        return self.get(session_id)
