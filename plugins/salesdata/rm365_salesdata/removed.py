"""What a region's excluded customers and thresholds remove from its demand, kept in
``salesdata_removed`` so that reading demand never touches the lines. An import adds the share
of its new lines (:mod:`.loaders`); a change of those filters recomputes the region here, in
the change's own transaction, taking the region's turn with its imports on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

_CAUGHT = (
    "({a}customer_email IN (SELECT value FROM salesdata_exclusions WHERE region = {r} AND kind = 'email')"
    " OR {a}qty > (SELECT max_line_qty FROM salesdata_thresholds WHERE region = {r})"
    " OR {a}grand_total_minor > (SELECT max_order_total_minor FROM salesdata_thresholds WHERE region = {r}))"
)


def caught(placeholder: str, alias: str = "") -> str:
    """The condition a line (its columns prefixed by ``alias``) meets when its region's filters
    remove it: an excluded customer, a line above the quantity threshold or an order above the
    total threshold. ``placeholder`` binds the region (``%(region)s``, ``:region``)."""
    return _CAUGHT.format(a=alias, r=placeholder)


_REFRESH = text(
    (  # noqa: S608 - constant SQL, the region is bound
        "INSERT INTO salesdata_removed (region, day, sku, status, customer_group, qty, lines) "
        "SELECT region, day, sku, status, customer_group, sum(qty), count(*) FROM salesdata_lines "
        "WHERE region = :region AND {caught} GROUP BY region, day, sku, status, customer_group"
    ).format(caught=caught(":region"))
)


#: PostgreSQL: the region's turn, held to the end of the transaction, that its imports' merges
#: and its filter changes take one after the other (driver SQL, ``%(region)s`` bound).
TURN = "SELECT pg_advisory_xact_lock(hashtext('rm365.salesdata.import'), hashtext(%(region)s))"


def take_turn(session: Session, region: str) -> None:
    """Wait for the region's running import, and hold it off, to the end of the transaction
    (PostgreSQL; SQLite's writers take turns already)."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection().exec_driver_sql(TURN, {"region": region})


def refresh(session: Session, region: str) -> None:
    """Recompute the region's removed quantities from its lines and current filters."""
    session.flush()
    take_turn(session, region)
    session.execute(text("DELETE FROM salesdata_removed WHERE region = :region"), {"region": region})
    session.execute(_REFRESH, {"region": region})
