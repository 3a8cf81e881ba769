"""Loading an export: validated lines go in one transaction, in batches (``COPY`` into a staging
table and one merge on PostgreSQL, ``executemany`` on SQLite); lines already there are counted as
duplicates, and the daily summary grows by exactly the lines inserted, in the same transaction."""

from __future__ import annotations

import csv
import io
import os
import time
from collections.abc import Callable
from typing import IO, Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from rm365_core import DomainError, utcnow

from .context import Context, announce
from .models import ImportError_, ImportRun, Rate
from .parse import Line, ParseResult, Rates, parse_export
from .pgcopy import CannotCopy, copy_import
from .settings import Region

#: ``progress(done, total, message)``, as a kernel job's ``Progress`` takes it.
ProgressFn = Callable[..., Any]

LINE_COLUMNS = (
    "order_number, sku, line_no, name, created_at, day, qty, price_minor, status, currency, "
    "grand_total_minor, customer_email, customer_name, customer_group"
)

_PG_STAGING = """
CREATE TEMPORARY TABLE IF NOT EXISTS salesdata_staging (
    ord bigint, order_number varchar(64) NOT NULL, sku varchar(64) NOT NULL, line_no integer NOT NULL,
    name varchar(255) NOT NULL, created_at timestamptz NOT NULL, day date NOT NULL,
    qty integer NOT NULL, price_minor bigint NOT NULL, status varchar(40) NOT NULL,
    currency varchar(3) NOT NULL, grand_total_minor bigint NOT NULL,
    customer_email varchar(255) NOT NULL, customer_name varchar(255) NOT NULL,
    customer_group varchar(64) NOT NULL
) ON COMMIT DROP
"""
_PG_COPY = (
    f"COPY salesdata_staging ({LINE_COLUMNS}) FROM STDIN WITH (FORMAT csv, "
    "FORCE_NOT_NULL (name, customer_email, customer_name, customer_group))"
)
# The data-modifying CTEs run once each whatever the outer query reads; ``ins`` holds exactly
# the lines this statement inserted (ON CONFLICT skipped the others, even a concurrent import's).
_PG_MERGE = f"""
WITH ins AS (
    INSERT INTO salesdata_lines (region, import_id, {LINE_COLUMNS})
    SELECT %(region)s, %(import_id)s, {LINE_COLUMNS} FROM salesdata_staging
    ON CONFLICT (region, order_number, sku, line_no) DO NOTHING
    RETURNING day, sku, status, customer_group, qty, price_minor
), summary AS (
    INSERT INTO salesdata_daily (region, day, sku, status, customer_group, qty, revenue_minor, lines)
    SELECT %(region)s, day, sku, status, customer_group, sum(qty), sum(qty * price_minor), count(*)
    FROM ins GROUP BY day, sku, status, customer_group
    ON CONFLICT (region, day, sku, status, customer_group) DO UPDATE SET
        qty = salesdata_daily.qty + EXCLUDED.qty,
        revenue_minor = salesdata_daily.revenue_minor + EXCLUDED.revenue_minor,
        lines = salesdata_daily.lines + EXCLUDED.lines
), monthly AS (
    INSERT INTO salesdata_monthly (region, month, sku, status, customer_group, qty, revenue_minor, lines)
    SELECT %(region)s, date_trunc('month', day)::date, sku, status, customer_group, sum(qty),
        sum(qty * price_minor), count(*)
    FROM ins GROUP BY 2, sku, status, customer_group
    ON CONFLICT (region, month, sku, status, customer_group) DO UPDATE SET
        qty = salesdata_monthly.qty + EXCLUDED.qty,
        revenue_minor = salesdata_monthly.revenue_minor + EXCLUDED.revenue_minor,
        lines = salesdata_monthly.lines + EXCLUDED.lines
)
SELECT count(*) FROM ins
"""  # noqa: S608 - constant column names, values bound

# Lines already there whose order status changed since (cancelled, refunded): the line takes
# the new status and both summaries move its quantity from the old status to the new one.
_PG_STATUS = """
WITH changed AS (
    SELECT l.id, l.day, l.sku, l.customer_group, l.qty, l.price_minor, l.status AS old, s.status AS new
    FROM salesdata_staging s JOIN salesdata_lines l ON l.region = %(region)s AND l.order_number = s.order_number
        AND l.sku = s.sku AND l.line_no = s.line_no
    WHERE l.status <> s.status
), updated AS (
    UPDATE salesdata_lines l SET status = c.new FROM changed c WHERE l.id = c.id RETURNING l.id
), delta AS (
    SELECT day, sku, old AS status, customer_group, -qty AS qty, -qty * price_minor AS revenue, -1 AS lines FROM changed
    UNION ALL
    SELECT day, sku, new, customer_group, qty, qty * price_minor, 1 FROM changed
), daily AS (
    INSERT INTO salesdata_daily (region, day, sku, status, customer_group, qty, revenue_minor, lines)
    SELECT %(region)s, day, sku, status, customer_group, sum(qty), sum(revenue), sum(lines)
    FROM delta GROUP BY day, sku, status, customer_group
    ON CONFLICT (region, day, sku, status, customer_group) DO UPDATE SET
        qty = salesdata_daily.qty + EXCLUDED.qty,
        revenue_minor = salesdata_daily.revenue_minor + EXCLUDED.revenue_minor,
        lines = salesdata_daily.lines + EXCLUDED.lines
), monthly AS (
    INSERT INTO salesdata_monthly (region, month, sku, status, customer_group, qty, revenue_minor, lines)
    SELECT %(region)s, date_trunc('month', day)::date, sku, status, customer_group, sum(qty), sum(revenue), sum(lines)
    FROM delta GROUP BY 2, sku, status, customer_group
    ON CONFLICT (region, month, sku, status, customer_group) DO UPDATE SET
        qty = salesdata_monthly.qty + EXCLUDED.qty,
        revenue_minor = salesdata_monthly.revenue_minor + EXCLUDED.revenue_minor,
        lines = salesdata_monthly.lines + EXCLUDED.lines
)
SELECT count(*) FROM updated
"""

_SQLITE_CHANGED_TABLE = """
CREATE TEMP TABLE IF NOT EXISTS salesdata_changed (
    id INTEGER, day TEXT, sku TEXT, customer_group TEXT, qty INTEGER, price_minor INTEGER, old TEXT, new TEXT
)
"""
_SQLITE_CHANGED = """
INSERT INTO temp.salesdata_changed (id, day, sku, customer_group, qty, price_minor, old, new)
SELECT l.id, l.day, l.sku, l.customer_group, l.qty, l.price_minor, l.status, s.status
FROM temp.salesdata_staging s JOIN salesdata_lines l ON l.region = ? AND l.order_number = s.order_number
    AND l.sku = s.sku AND l.line_no = s.line_no
WHERE l.status <> s.status
"""
_SQLITE_STATUS = [
    """UPDATE salesdata_lines SET status = (SELECT new FROM temp.salesdata_changed c WHERE c.id = salesdata_lines.id)
    WHERE id IN (SELECT id FROM temp.salesdata_changed)""",
    """INSERT INTO salesdata_daily (region, day, sku, status, customer_group, qty, revenue_minor, lines)
    SELECT ?, day, sku, status, customer_group, sum(qty), sum(revenue), sum(lines) FROM (
        SELECT day, sku, old AS status, customer_group, -qty AS qty, -qty * price_minor AS revenue, -1 AS lines
        FROM temp.salesdata_changed
        UNION ALL
        SELECT day, sku, new, customer_group, qty, qty * price_minor, 1 FROM temp.salesdata_changed
    ) WHERE 1 GROUP BY day, sku, status, customer_group
    ON CONFLICT (region, day, sku, status, customer_group) DO UPDATE SET
        qty = qty + excluded.qty, revenue_minor = revenue_minor + excluded.revenue_minor,
        lines = lines + excluded.lines""",
    """INSERT INTO salesdata_monthly (region, month, sku, status, customer_group, qty, revenue_minor, lines)
    SELECT ?, date(day, 'start of month'), sku, status, customer_group, sum(qty), sum(revenue), sum(lines) FROM (
        SELECT day, sku, old AS status, customer_group, -qty AS qty, -qty * price_minor AS revenue, -1 AS lines
        FROM temp.salesdata_changed
        UNION ALL
        SELECT day, sku, new, customer_group, qty, qty * price_minor, 1 FROM temp.salesdata_changed
    ) WHERE 1 GROUP BY 2, sku, status, customer_group
    ON CONFLICT (region, month, sku, status, customer_group) DO UPDATE SET
        qty = qty + excluded.qty, revenue_minor = revenue_minor + excluded.revenue_minor,
        lines = lines + excluded.lines""",
]

_SQLITE_MONTHLY = """
INSERT INTO salesdata_monthly (region, month, sku, status, customer_group, qty, revenue_minor, lines)
SELECT ?, date(day, 'start of month'), sku, status, customer_group, sum(qty), sum(qty * price_minor), count(*)
FROM temp.salesdata_staging WHERE 1 GROUP BY 2, sku, status, customer_group
ON CONFLICT (region, month, sku, status, customer_group) DO UPDATE SET
    qty = qty + excluded.qty, revenue_minor = revenue_minor + excluded.revenue_minor,
    lines = lines + excluded.lines
"""

# The latest name of each SKU, and its latest positive price, for the labels' price lookup.
_PG_SKUS = """
INSERT INTO salesdata_skus AS k (region, sku, name, last_sold_at, price_minor, price_at)
SELECT DISTINCT ON (sku) %(region)s, sku, name, created_at, NULL::bigint, NULL::timestamptz
FROM salesdata_staging ORDER BY sku, created_at DESC
ON CONFLICT (region, sku) DO UPDATE SET name = EXCLUDED.name, last_sold_at = EXCLUDED.last_sold_at
WHERE EXCLUDED.last_sold_at >= k.last_sold_at;
INSERT INTO salesdata_skus AS k (region, sku, name, last_sold_at, price_minor, price_at)
SELECT DISTINCT ON (sku) %(region)s, sku, name, created_at, price_minor, created_at
FROM salesdata_staging WHERE price_minor > 0 ORDER BY sku, created_at DESC
ON CONFLICT (region, sku) DO UPDATE SET price_minor = EXCLUDED.price_minor, price_at = EXCLUDED.price_at
WHERE k.price_at IS NULL OR EXCLUDED.price_at >= k.price_at
"""

_SQLITE_STAGING = """
CREATE TEMP TABLE IF NOT EXISTS salesdata_staging (
    order_number TEXT, sku TEXT, line_no INTEGER, name TEXT, created_at TEXT, day TEXT,
    qty INTEGER, price_minor INTEGER, status TEXT, currency TEXT, grand_total_minor INTEGER,
    customer_email TEXT, customer_name TEXT, customer_group TEXT
)
"""
_SQLITE_FILL = f"INSERT INTO temp.salesdata_staging ({LINE_COLUMNS}) VALUES ({', '.join('?' * 14)})"  # noqa: S608
_SQLITE_DROP_KNOWN = """
DELETE FROM temp.salesdata_staging WHERE EXISTS (
    SELECT 1 FROM salesdata_lines l WHERE l.region = ? AND l.order_number = salesdata_staging.order_number
    AND l.sku = salesdata_staging.sku AND l.line_no = salesdata_staging.line_no)
"""
_SQLITE_SUMMARY = """
INSERT INTO salesdata_daily (region, day, sku, status, customer_group, qty, revenue_minor, lines)
SELECT ?, day, sku, status, customer_group, sum(qty), sum(qty * price_minor), count(*)
FROM temp.salesdata_staging WHERE 1 GROUP BY day, sku, status, customer_group
ON CONFLICT (region, day, sku, status, customer_group) DO UPDATE SET
    qty = qty + excluded.qty, revenue_minor = revenue_minor + excluded.revenue_minor,
    lines = lines + excluded.lines
"""
# SQLite takes the bare columns of the row holding max(created_at).
_SQLITE_SKU_NAMES = """
INSERT INTO salesdata_skus AS k (region, sku, name, last_sold_at, price_minor, price_at)
SELECT ?, sku, name, max(created_at), NULL, NULL FROM temp.salesdata_staging WHERE 1 GROUP BY sku
ON CONFLICT (region, sku) DO UPDATE SET name = excluded.name, last_sold_at = excluded.last_sold_at
WHERE excluded.last_sold_at >= k.last_sold_at
"""
_SQLITE_SKU_PRICES = """
INSERT INTO salesdata_skus AS k (region, sku, name, last_sold_at, price_minor, price_at)
SELECT ?, sku, name, max(created_at), price_minor, max(created_at) FROM temp.salesdata_staging
WHERE price_minor > 0 GROUP BY sku
ON CONFLICT (region, sku) DO UPDATE SET price_minor = excluded.price_minor, price_at = excluded.price_at
WHERE k.price_at IS NULL OR excluded.price_at >= k.price_at
"""
_SQLITE_INSERT = f"""
INSERT INTO salesdata_lines (region, import_id, {LINE_COLUMNS})
SELECT ?, ?, {LINE_COLUMNS} FROM temp.salesdata_staging
"""  # noqa: S608


def stored_rates(ctx: Context) -> Rates:
    """Every stored rate of every currency pair with its date (works offline: nothing is fetched)."""
    rates: Rates = {}
    with ctx.session(readonly=True) as session:
        query = select(Rate.base, Rate.quote, Rate.as_of, Rate.rate).order_by(Rate.as_of)
        for base, quote, as_of, rate in session.execute(query):
            rates.setdefault((base, quote), []).append((as_of, rate))
    return rates


def start_run(ctx: Context, region_id: str, filename: str, username: str, dry_run: bool) -> int:
    """Record an import as running (or queued) before the data is read; its id."""
    with ctx.session() as session:
        run = ImportRun(region=region_id, filename=filename[:255], username=username, dry_run=dry_run, status="running")
        session.add(run)
        session.flush()
        return run.id


def set_job(ctx: Context, import_id: int, job_id: str) -> None:
    with ctx.session() as session:
        session.execute(update(ImportRun).where(ImportRun.id == import_id).values(job_id=job_id))


def mark_failed(ctx: Context, import_id: int, message: str) -> None:
    with ctx.session() as session:
        session.execute(
            update(ImportRun)
            .where(ImportRun.id == import_id)
            .values(status="failed", message=message[:2000], finished_at=utcnow())
        )


def import_file(
    ctx: Context,
    region_id: str,
    binary: IO[bytes],
    *,
    filename: str,
    username: str,
    dry_run: bool = False,
    progress: ProgressFn | None = None,
    import_id: int | None = None,
) -> dict[str, Any]:
    """Import one export into ``region_id``: ``{import_id, rows_total, rows_imported,
    rows_duplicate, rows_updated, rows_failed, errors, dry_run, duration_ms}``. Nothing is kept of a
    dry run or of an import that fails part way (one transaction)."""
    region_id = region_id.lower()
    region = ctx.region(region_id)
    settings = ctx.settings
    rates = stored_rates(ctx)
    if import_id is None:
        import_id = start_run(ctx, region_id, filename, username, dry_run)
    started = time.perf_counter()
    size = _size(binary)
    result = ParseResult()
    imported = 0
    try:
        engine = ctx.kernel.databases.engine("products")
        with engine.connect() as conn:
            transaction = conn.begin()
            try:

                def report() -> None:
                    if progress is not None:
                        progress(_position(binary, size), size, f"{result.rows_total} rows read")

                if conn.dialect.name == "postgresql":
                    imported = _postgres(
                        conn, binary, region_id, region, rates, result, report, settings.batch_rows, import_id
                    )
                else:
                    batches = parse_export(binary, region, rates, settings.batch_rows, result)
                    loader = _SqliteLoader(conn)
                    for batch in batches:
                        imported += loader.load(batch, region_id, import_id, result)
                        report()
                    loader.finish()
                if dry_run:
                    transaction.rollback()
                else:
                    transaction.commit()
            except BaseException:
                transaction.rollback()
                raise
    except BaseException as exc:
        message = exc.message if isinstance(exc, DomainError) else f"the import failed: {type(exc).__name__}"
        _finish(ctx, import_id, "failed", result, 0, started, message)
        raise
    duplicate = result.rows_total - result.rows_failed - imported - result.rows_updated
    _finish(ctx, import_id, "done", result, imported, started, "", duplicate=duplicate, dry_run=dry_run)
    if progress is not None:
        progress(size, size, "done")
    return {
        "import_id": import_id,
        "region": region_id,
        "dry_run": dry_run,
        "rows_total": result.rows_total,
        "rows_imported": imported,
        "rows_duplicate": duplicate,
        "rows_updated": result.rows_updated,
        "rows_failed": result.rows_failed,
        "errors": result.errors[:1000],
        "errors_truncated": len(result.errors) > 1000 or result.rows_failed > len(result.errors),
        "duration_ms": int((time.perf_counter() - started) * 1000),
    }


def _finish(
    ctx: Context,
    import_id: int,
    status: str,
    result: ParseResult,
    imported: int,
    started: float,
    message: str,
    *,
    duplicate: int = 0,
    dry_run: bool = False,
) -> None:
    duration = int((time.perf_counter() - started) * 1000)
    with ctx.session() as session:
        session.execute(
            update(ImportRun)
            .where(ImportRun.id == import_id)
            .values(
                status=status,
                message=message[:2000],
                rows_total=result.rows_total,
                rows_imported=imported,
                rows_duplicate=duplicate,
                rows_updated=result.rows_updated,
                rows_failed=result.rows_failed,
                finished_at=utcnow(),
                duration_ms=duration,
            )
        )
        if result.errors:
            session.execute(
                insert(ImportError_),
                [{"import_id": import_id, **e} for e in result.errors],
            )
        if status == "done":
            region = session.get(ImportRun, import_id)
            region_id = region.region if region is not None else ""
            announce(
                session,
                "salesdata.imported",
                {
                    "import_id": import_id,
                    "region": region_id,
                    "imported": imported,
                    "updated": result.rows_updated,
                    "dry_run": dry_run,
                },
                rooms=[f"salesdata.{region_id}", "salesdata.history", "salesdata.upload"],
            )


def _postgres(
    conn: Connection,
    binary: IO[bytes],
    region_id: str,
    region: Region,
    rates: Rates,
    result: ParseResult,
    report: Callable[[], None],
    batch_rows: int,
    import_id: int,
) -> int:
    """PostgreSQL reads the file itself (see :mod:`.pgcopy`); a file ``COPY`` cannot read is
    read by Python from the start again. Then one merge of every valid line."""
    loader = _PgLoader(conn)
    start = binary.tell() if binary.seekable() else None
    try:
        if start is None:
            raise CannotCopy("the upload cannot be read twice")
        copy_import(loader.raw, binary, region, rates, result, report, loader.add, batch_rows)
    except CannotCopy:
        if start is not None:
            binary.seek(start)
        result.rows_total, result.rows_failed = 0, 0
        result.errors.clear()
        for batch in parse_export(binary, region, rates, batch_rows, result):
            loader.add(batch)
            report()
    return loader.merge(region_id, import_id, result)


class _PgLoader:
    def __init__(self, conn: Connection) -> None:
        self.raw = conn.connection.driver_connection
        self.cursor = self.raw.cursor()  # type: ignore[union-attr]
        self.cursor.execute(_PG_STAGING)
        self.cursor.execute("TRUNCATE salesdata_staging")

    def add(self, batch: list[Line]) -> None:
        """Lines checked by Python into the staging table."""
        buffer = io.StringIO()
        write = csv.writer(buffer, lineterminator="\n").writerow
        for line in batch:
            write((*line[:4], f"{line[4]}+00", *line[5:]))
        buffer.seek(0)
        self.cursor.copy_expert(_PG_COPY, buffer)

    def merge(self, region: str, import_id: int, result: ParseResult) -> int:
        """Every staged line not already there into the lines and the summaries, in one statement,
        after the lines already there whose status changed. Imports of one region take turns here
        (a lock held to the end of the transaction), so each counts exactly what it changed."""
        self.cursor.execute("SELECT pg_advisory_xact_lock(hashtext('rm365.salesdata.import'), hashtext(%s))", (region,))
        self.cursor.execute(_PG_STATUS, {"region": region})
        result.rows_updated += int(self.cursor.fetchone()[0])
        self.cursor.execute(_PG_MERGE, {"region": region, "import_id": import_id})
        inserted = int(self.cursor.fetchone()[0])
        if inserted:
            self.cursor.execute(_PG_SKUS, {"region": region})
        self.cursor.close()
        return inserted


class _SqliteLoader:
    def __init__(self, conn: Connection) -> None:
        self.raw = conn.connection.driver_connection
        self.cursor = self.raw.cursor()  # type: ignore[union-attr]
        self.cursor.execute(_SQLITE_STAGING)
        self.cursor.execute("DELETE FROM temp.salesdata_staging")
        self.cursor.execute(_SQLITE_CHANGED_TABLE)

    def load(self, batch: list[Line], region: str, import_id: int, result: ParseResult) -> int:
        cursor = self.cursor
        cursor.executemany(
            _SQLITE_FILL,
            [
                (o, s, n, nm, f"{c:%Y-%m-%d %H:%M:%S}.000000", d.isoformat(), *rest)
                for (o, s, n, nm, c, d, *rest) in batch
            ],
        )
        cursor.execute("DELETE FROM temp.salesdata_changed")
        cursor.execute(_SQLITE_CHANGED, (region,))
        if cursor.rowcount:
            result.rows_updated += int(cursor.rowcount)
            for statement in _SQLITE_STATUS:
                cursor.execute(statement, (region,) if "?" in statement else ())
        cursor.execute(_SQLITE_DROP_KNOWN, (region,))
        cursor.execute(_SQLITE_SUMMARY, (region,))
        cursor.execute(_SQLITE_MONTHLY, (region,))
        cursor.execute(_SQLITE_SKU_NAMES, (region,))
        cursor.execute(_SQLITE_SKU_PRICES, (region,))
        cursor.execute(_SQLITE_INSERT, (region, import_id))
        inserted = int(cursor.rowcount)
        cursor.execute("DELETE FROM temp.salesdata_staging")
        return inserted

    def finish(self) -> None:
        self.cursor.close()


def _size(binary: IO[bytes]) -> int:
    try:
        here = binary.tell()
        size = binary.seek(0, os.SEEK_END)
        binary.seek(here)
        return int(size)
    except (OSError, AttributeError):
        return 0


def _position(binary: IO[bytes], size: int) -> int:
    try:
        return min(int(binary.tell()), size)
    except (OSError, ValueError):
        return 0
