"""What the pages read: raw lines with search and dates, import history and its errors,
and the chart series (from the daily summary; money never summed across currencies)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from rm365_core import DomainError, Page, PageParams, paginate

from .context import Context
from .models import DailySales, ImportError_, ImportRun, SaleLine


def line_out(line: SaleLine, currency: str) -> dict[str, Any]:
    return {
        "id": line.id,
        "order_number": line.order_number,
        "line_no": line.line_no,
        "created_at": line.created_at,
        "day": line.day,
        "sku": line.sku,
        "name": line.name,
        "qty": line.qty,
        "price": line.price_minor / 100,
        "grand_total": line.grand_total_minor / 100,
        "currency": currency,
        "exported_currency": line.currency,
        "status": line.status,
        "customer_email": line.customer_email,
        "customer_name": line.customer_name,
        "customer_group": line.customer_group,
    }


def browse(
    ctx: Context,
    region_id: str,
    params: PageParams,
    search: str | None,
    start: date | None,
    end: date | None,
    status: str | None,
) -> Page[dict[str, Any]]:
    currency = ctx.region(region_id).currency
    query = select(SaleLine).where(SaleLine.region == region_id)
    if start is not None:
        query = query.where(SaleLine.day >= start)
    if end is not None:
        query = query.where(SaleLine.day <= end)
    if status:
        query = query.where(SaleLine.status == status.strip().lower())
    if search and search.strip():
        term = f"%{search.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(SaleLine.sku).like(term),
                func.lower(SaleLine.name).like(term),
                func.lower(SaleLine.order_number).like(term),
                SaleLine.customer_email.like(term),
            )
        )
    query = query.order_by(SaleLine.day.desc(), SaleLine.id.desc())
    with ctx.session(readonly=True) as session:
        return paginate(session, query, params, lambda line: line_out(line, currency))


def run_out(run: ImportRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "region": run.region,
        "filename": run.filename,
        "username": run.username,
        "dry_run": run.dry_run,
        "status": run.status,
        "message": run.message,
        "job_id": run.job_id,
        "rows_total": run.rows_total,
        "rows_imported": run.rows_imported,
        "rows_duplicate": run.rows_duplicate,
        "rows_updated": run.rows_updated,
        "rows_failed": run.rows_failed,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration_ms": run.duration_ms,
    }


def history(ctx: Context, params: PageParams, region_id: str | None) -> Page[dict[str, Any]]:
    query = select(ImportRun).order_by(ImportRun.started_at.desc(), ImportRun.id.desc())
    if region_id:
        ctx.region(region_id)
        query = query.where(ImportRun.region == region_id)
    with ctx.session(readonly=True) as session:
        return paginate(session, query, params, run_out)


def get_run(ctx: Context, import_id: int) -> dict[str, Any]:
    with ctx.session(readonly=True) as session:
        run = session.get(ImportRun, import_id)
        if run is None:
            raise DomainError(404, f"no import {import_id}", field="id")
        return run_out(run)


def errors_csv(ctx: Context, import_id: int) -> Iterator[str]:
    """The import's row errors as CSV text, in chunks: row, column, value, message."""
    get_run(ctx, import_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["row", "column", "value", "message"])
    with ctx.session(readonly=True) as session:
        query = (
            select(ImportError_.row, ImportError_.column, ImportError_.value, ImportError_.message)
            .where(ImportError_.import_id == import_id)
            .order_by(ImportError_.row, ImportError_.id)
            .execution_options(yield_per=2000)
        )
        for count, record in enumerate(session.execute(query), 1):
            writer.writerow(record)
            if count % 2000 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue()


def charts(ctx: Context, region_id: str, start: date, end: date | None, top: int) -> dict[str, Any]:
    """Weekly quantity and revenue (weeks start on Monday) and the top SKUs by quantity, from
    the lines whose status counts; one region, so one currency."""
    region = ctx.region(region_id)
    excluded = list(region.excluded_statuses)
    base = [DailySales.region == region_id, DailySales.day >= start, DailySales.status.not_in(excluded)]
    if end is not None:
        base.append(DailySales.day <= end)
    weeks: dict[date, list[int]] = {}
    with ctx.session(readonly=True) as session:
        by_day = select(DailySales.day, func.sum(DailySales.qty), func.sum(DailySales.revenue_minor)).where(*base)
        for day, qty, revenue in session.execute(by_day.group_by(DailySales.day)):
            monday = day - timedelta(days=day.weekday())
            entry = weeks.setdefault(monday, [0, 0])
            entry[0] += int(qty)
            entry[1] += int(revenue)
        top_query = (
            select(DailySales.sku, func.sum(DailySales.qty).label("qty"), func.sum(DailySales.revenue_minor))
            .where(*base)
            .group_by(DailySales.sku)
            .order_by(func.sum(DailySales.qty).desc(), DailySales.sku)
            .limit(top)
        )
        top_rows = session.execute(top_query).all()
    return {
        "region": region_id,
        "currency": region.currency,
        "weeks": [
            {"week": week, "qty": qty, "revenue": revenue / 100} for week, (qty, revenue) in sorted(weeks.items())
        ],
        "top_skus": [{"sku": sku, "qty": int(qty), "revenue": int(revenue) / 100} for sku, qty, revenue in top_rows],
    }
