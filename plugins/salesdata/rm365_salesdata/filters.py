"""The demand filters people edit (aliases, excluded customers and groups, thresholds) and
the currency rates; every change is logged with who and when."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from rm365_core import DomainError, utcnow

from .context import Context, announce
from .models import Alias, Exclusion, FilterChange, Rate, Threshold
from .removed import refresh

KINDS = ("email", "group")


def _log(session: Session, username: str, action: str, kind: str, detail: str, region: str = "") -> None:
    session.add(FilterChange(username=username, action=action, kind=kind, region=region, detail=detail[:2000]))
    rooms = ["salesdata.filters", *([f"salesdata.{region}"] if region else [])]
    announce(session, "salesdata.filters", {"kind": kind, "region": region}, rooms=rooms)


def alias_out(alias: Alias) -> dict[str, Any]:
    return {
        "id": alias.id,
        "alias": alias.alias,
        "sku": alias.sku,
        "created_by": alias.created_by,
        "created_at": alias.created_at,
    }


def list_aliases(ctx: Context) -> list[dict[str, Any]]:
    with ctx.session(readonly=True) as session:
        return [alias_out(a) for a in session.scalars(select(Alias).order_by(Alias.alias))]


def add_alias(ctx: Context, alias: str, sku: str, username: str) -> dict[str, Any]:
    alias, sku = alias.strip(), sku.strip()
    if alias.lower() == sku.lower():
        raise DomainError(422, "an alias must differ from the SKU it counts for", field="alias")
    with ctx.session() as session:
        if session.scalar(select(Alias.id).where(func.lower(Alias.alias) == alias.lower())) is not None:
            raise DomainError(409, f"{alias!r} is already an alias", field="alias")
        row = Alias(alias=alias, sku=sku, created_by=username)
        session.add(row)
        _log(session, username, "add", "alias", f"{alias} -> {sku}")
        session.flush()
        return alias_out(row)


def delete_alias(ctx: Context, alias_id: int, username: str) -> None:
    with ctx.session() as session:
        row = session.get(Alias, alias_id)
        if row is None:
            raise DomainError(404, f"no alias {alias_id}", field="id")
        session.delete(row)
        _log(session, username, "delete", "alias", f"{row.alias} -> {row.sku}")


def exclusion_out(row: Exclusion) -> dict[str, Any]:
    return {
        "id": row.id,
        "region": row.region,
        "kind": row.kind,
        "value": row.value,
        "created_by": row.created_by,
        "created_at": row.created_at,
    }


def list_exclusions(ctx: Context, region_id: str) -> list[dict[str, Any]]:
    ctx.region(region_id)
    with ctx.session(readonly=True) as session:
        rows = session.scalars(
            select(Exclusion).where(Exclusion.region == region_id).order_by(Exclusion.kind, Exclusion.value)
        )
        return [exclusion_out(r) for r in rows]


def add_exclusion(ctx: Context, region_id: str, kind: str, value: str, username: str) -> dict[str, Any]:
    ctx.region(region_id)
    value = value.strip().lower() if kind == "email" else value.strip()
    if not value:
        raise DomainError(422, "the value is empty", field="value")
    with ctx.session() as session:
        exists = session.scalar(
            select(Exclusion.id).where(Exclusion.region == region_id, Exclusion.kind == kind, Exclusion.value == value)
        )
        if exists is not None:
            raise DomainError(409, f"{kind} {value!r} is already excluded in {region_id}", field="value")
        row = Exclusion(region=region_id, kind=kind, value=value, created_by=username)
        session.add(row)
        _log(session, username, "add", f"exclude-{kind}", value, region_id)
        if kind == "email":
            refresh(session, region_id)
        session.flush()
        return exclusion_out(row)


def delete_exclusion(ctx: Context, region_id: str, exclusion_id: int, username: str) -> None:
    with ctx.session() as session:
        row = session.get(Exclusion, exclusion_id)
        if row is None or row.region != region_id:
            raise DomainError(404, f"no exclusion {exclusion_id} in {region_id}", field="id")
        session.delete(row)
        _log(session, username, "delete", f"exclude-{row.kind}", row.value, region_id)
        if row.kind == "email":
            refresh(session, region_id)


def get_thresholds(ctx: Context, region_id: str) -> dict[str, Any]:
    region = ctx.region(region_id)
    with ctx.session(readonly=True) as session:
        row = session.get(Threshold, region_id)
    return {
        "region": region_id,
        "currency": region.currency,
        "max_line_qty": row.max_line_qty if row else None,
        "max_order_total": None
        if row is None or row.max_order_total_minor is None
        else row.max_order_total_minor / 100,
        "updated_by": row.updated_by if row else None,
        "updated_at": row.updated_at if row else None,
    }


def set_thresholds(
    ctx: Context, region_id: str, max_line_qty: int | None, max_order_total: float | None, username: str
) -> dict[str, Any]:
    ctx.region(region_id)
    with ctx.session() as session:
        row = session.get(Threshold, region_id)
        if row is None:
            row = Threshold(region=region_id, updated_by=username)
            session.add(row)
        row.max_line_qty = max_line_qty
        row.max_order_total_minor = None if max_order_total is None else round(max_order_total * 100)
        row.updated_by = username
        row.updated_at = utcnow()
        _log(
            session,
            username,
            "set",
            "thresholds",
            f"max_line_qty={max_line_qty} max_order_total={max_order_total}",
            region_id,
        )
        refresh(session, region_id)
    return get_thresholds(ctx, region_id)


def list_rates(ctx: Context) -> list[dict[str, Any]]:
    with ctx.session(readonly=True) as session:
        rows = session.scalars(select(Rate).order_by(Rate.base, Rate.quote, Rate.as_of.desc()))
        return [
            {
                "base": r.base,
                "quote": r.quote,
                "rate": r.rate,
                "as_of": r.as_of,
                "updated_by": r.updated_by,
                "updated_at": r.updated_at,
            }
            for r in rows
        ]


def put_rates(ctx: Context, rates: list[dict[str, Any]], username: str) -> list[dict[str, Any]]:
    """Store rates (a rate of the same pair and date is replaced)."""
    with ctx.session() as session:
        for rate in rates:
            base, quote, as_of = rate["base"].upper(), rate["quote"].upper(), rate.get("as_of") or date.today()
            if base == quote:
                raise DomainError(422, f"a rate needs two different currencies, not {base} and {quote}", field="quote")
            session.execute(delete(Rate).where(Rate.base == base, Rate.quote == quote, Rate.as_of == as_of))
            session.add(Rate(base=base, quote=quote, rate=rate["rate"], as_of=as_of, updated_by=username))
            _log(session, username, "set", "rate", f"1 {base} = {rate['rate']} {quote} as of {as_of}")
    return list_rates(ctx)


def change_log(ctx: Context) -> Any:
    return select(FilterChange).order_by(FilterChange.at.desc(), FilterChange.id.desc())
