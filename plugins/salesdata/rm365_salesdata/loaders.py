"""The two loaders of an import, and their SQL: validated lines into a staging table, then into
the lines, both summaries and the quantities the demand filters remove (:mod:`.removed`), in the
import's transaction. PostgreSQL: ``COPY`` into a temporary staging table and one merge;
SQLite: ``executemany`` of batches into a temp table, known lines deleted, the rest inserted.
Lines already there whose status changed take the new status, and the summaries move their
quantity with them."""

from __future__ import annotations

import csv
import io

from sqlalchemy.engine import Connection

from .parse import Line, ParseResult
from .removed import TURN, caught

LINE_COLUMNS = (
    "order_number, sku, line_no, name, created_at, day, qty, price_minor, status, currency, "
    "grand_total_minor, customer_email, customer_name, customer_group"
)


def _add_to(table: str, period: str, figures: str = "qty, revenue_minor, lines") -> str:
    """The ``ON CONFLICT`` clause of a summary row (``period`` is ``day`` or ``month``): its
    figures are added to those of the row already there (both databases)."""
    sets = ", ".join(f"{f} = {table}.{f} + EXCLUDED.{f}" for f in figures.split(", "))
    return f"ON CONFLICT (region, {period}, sku, status, customer_group) DO UPDATE SET {sets}"


_PG_STAGING = """
CREATE TEMPORARY TABLE IF NOT EXISTS salesdata_staging (
    ord bigint, order_number varchar(64) COLLATE "C" NOT NULL, sku varchar(64) COLLATE "C" NOT NULL,
    line_no integer NOT NULL, name varchar(255) NOT NULL, created_at timestamptz NOT NULL, day date NOT NULL,
    qty integer NOT NULL, price_minor bigint NOT NULL, status varchar(40) COLLATE "C" NOT NULL,
    currency varchar(3) NOT NULL, grand_total_minor bigint NOT NULL,
    customer_email varchar(255) COLLATE "C" NOT NULL, customer_name varchar(255) NOT NULL,
    customer_group varchar(64) COLLATE "C" NOT NULL
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
    RETURNING day, sku, status, customer_group, qty, price_minor, customer_email, grand_total_minor
), summary AS (
    INSERT INTO salesdata_daily (region, day, sku, status, customer_group, qty, revenue_minor, lines)
    SELECT %(region)s, day, sku, status, customer_group, sum(qty), sum(qty * price_minor), count(*)
    FROM ins GROUP BY day, sku, status, customer_group ORDER BY day, sku, status, customer_group
    {_add_to("salesdata_daily", "day")}
), monthly AS (
    INSERT INTO salesdata_monthly (region, month, sku, status, customer_group, qty, revenue_minor, lines)
    SELECT %(region)s, date_trunc('month', day)::date, sku, status, customer_group, sum(qty),
        sum(qty * price_minor), count(*)
    FROM ins GROUP BY 2, sku, status, customer_group ORDER BY 2, sku, status, customer_group
    {_add_to("salesdata_monthly", "month")}
), removed AS (
    INSERT INTO salesdata_removed (region, day, sku, status, customer_group, qty, lines)
    SELECT %(region)s, day, sku, status, customer_group, sum(qty), count(*)
    FROM ins WHERE {caught("%(region)s")} GROUP BY day, sku, status, customer_group
    {_add_to("salesdata_removed", "day", "qty, lines")}
)
SELECT count(*) FROM ins
"""  # noqa: S608 - constant column names, values bound

# Lines already there whose order status changed since (cancelled, refunded): the line takes
# the new status and both summaries move its quantity from the old status to the new one.
_PG_STATUS = f"""
WITH changed AS (
    SELECT l.id, l.day, l.sku, l.customer_group, l.qty, l.price_minor, l.status AS old, s.status AS new,
        {caught("%(region)s", "l.")} AS caught
    FROM salesdata_staging s JOIN salesdata_lines l ON l.region = %(region)s AND l.order_number = s.order_number
        AND l.sku = s.sku AND l.line_no = s.line_no
    WHERE l.status <> s.status
), updated AS (
    UPDATE salesdata_lines l SET status = c.new FROM changed c WHERE l.id = c.id RETURNING l.id
), delta AS (
    SELECT day, sku, old AS status, customer_group, -qty AS qty, -qty * price_minor AS revenue, -1 AS lines, caught
    FROM changed
    UNION ALL
    SELECT day, sku, new, customer_group, qty, qty * price_minor, 1, caught FROM changed
), daily AS (
    INSERT INTO salesdata_daily (region, day, sku, status, customer_group, qty, revenue_minor, lines)
    SELECT %(region)s, day, sku, status, customer_group, sum(qty), sum(revenue), sum(lines)
    FROM delta GROUP BY day, sku, status, customer_group
    {_add_to("salesdata_daily", "day")}
), monthly AS (
    INSERT INTO salesdata_monthly (region, month, sku, status, customer_group, qty, revenue_minor, lines)
    SELECT %(region)s, date_trunc('month', day)::date, sku, status, customer_group, sum(qty), sum(revenue), sum(lines)
    FROM delta GROUP BY 2, sku, status, customer_group
    {_add_to("salesdata_monthly", "month")}
), removed AS (
    INSERT INTO salesdata_removed (region, day, sku, status, customer_group, qty, lines)
    SELECT %(region)s, day, sku, status, customer_group, sum(qty), sum(lines)
    FROM delta WHERE caught GROUP BY day, sku, status, customer_group
    {_add_to("salesdata_removed", "day", "qty, lines")}
)
SELECT count(*) FROM updated
"""  # noqa: S608 - constant SQL, values bound

_SQLITE_CHANGED_TABLE = """
CREATE TEMP TABLE IF NOT EXISTS salesdata_changed (
    id INTEGER, day TEXT, sku TEXT, customer_group TEXT, qty INTEGER, price_minor INTEGER, old TEXT, new TEXT,
    caught INTEGER
)
"""
_SQLITE_CHANGED = f"""
INSERT INTO temp.salesdata_changed (id, day, sku, customer_group, qty, price_minor, old, new, caught)
SELECT l.id, l.day, l.sku, l.customer_group, l.qty, l.price_minor, l.status, s.status, {caught(":region", "l.")}
FROM temp.salesdata_staging s JOIN salesdata_lines l ON l.region = :region AND l.order_number = s.order_number
    AND l.sku = s.sku AND l.line_no = s.line_no
WHERE l.status <> s.status
"""  # noqa: S608 - constant SQL, values bound
_SQLITE_STATUS = [
    """UPDATE salesdata_lines SET status = (SELECT new FROM temp.salesdata_changed c WHERE c.id = salesdata_lines.id)
    WHERE id IN (SELECT id FROM temp.salesdata_changed)""",
    f"""INSERT INTO salesdata_daily (region, day, sku, status, customer_group, qty, revenue_minor, lines)
    SELECT :region, day, sku, status, customer_group, sum(qty), sum(revenue), sum(lines) FROM (
        SELECT day, sku, old AS status, customer_group, -qty AS qty, -qty * price_minor AS revenue, -1 AS lines
        FROM temp.salesdata_changed
        UNION ALL
        SELECT day, sku, new, customer_group, qty, qty * price_minor, 1 FROM temp.salesdata_changed
    ) WHERE 1 GROUP BY day, sku, status, customer_group
    {_add_to("salesdata_daily", "day")}""",  # noqa: S608 - constant SQL, values bound
    f"""INSERT INTO salesdata_monthly (region, month, sku, status, customer_group, qty, revenue_minor, lines)
    SELECT :region, date(day, 'start of month'), sku, status, customer_group, sum(qty), sum(revenue), sum(lines) FROM (
        SELECT day, sku, old AS status, customer_group, -qty AS qty, -qty * price_minor AS revenue, -1 AS lines
        FROM temp.salesdata_changed
        UNION ALL
        SELECT day, sku, new, customer_group, qty, qty * price_minor, 1 FROM temp.salesdata_changed
    ) WHERE 1 GROUP BY 2, sku, status, customer_group
    {_add_to("salesdata_monthly", "month")}""",  # noqa: S608 - constant SQL, values bound
    f"""INSERT INTO salesdata_removed (region, day, sku, status, customer_group, qty, lines)
    SELECT :region, day, sku, status, customer_group, sum(qty), sum(lines) FROM (
        SELECT day, sku, old AS status, customer_group, -qty AS qty, -1 AS lines
        FROM temp.salesdata_changed WHERE caught
        UNION ALL
        SELECT day, sku, new, customer_group, qty, 1 FROM temp.salesdata_changed WHERE caught
    ) WHERE 1 GROUP BY day, sku, status, customer_group
    {_add_to("salesdata_removed", "day", "qty, lines")}""",  # noqa: S608 - constant SQL, values bound
]

_SQLITE_MONTHLY = f"""
INSERT INTO salesdata_monthly (region, month, sku, status, customer_group, qty, revenue_minor, lines)
SELECT ?, date(day, 'start of month'), sku, status, customer_group, sum(qty), sum(qty * price_minor), count(*)
FROM temp.salesdata_staging WHERE 1 GROUP BY 2, sku, status, customer_group
{_add_to("salesdata_monthly", "month")}"""  # noqa: S608 - constant SQL, values bound

# The latest name and the latest positive price of each SKU of the import (hashed by SKU, no sort
# of the lines), kept where they are newer than what is stored.
_PG_SKUS = """
WITH latest AS (
    SELECT sku, max(created_at) AS sold_at, max(created_at) FILTER (WHERE price_minor > 0) AS priced_at
    FROM salesdata_staging GROUP BY sku
), named AS (
    SELECT DISTINCT ON (s.sku) s.sku, s.name FROM salesdata_staging s
    JOIN latest l ON s.sku = l.sku AND s.created_at = l.sold_at ORDER BY s.sku, s.name
), priced AS (
    SELECT DISTINCT ON (s.sku) s.sku, s.price_minor FROM salesdata_staging s
    JOIN latest l ON s.sku = l.sku AND s.created_at = l.priced_at WHERE s.price_minor > 0
    ORDER BY s.sku, s.price_minor
)
INSERT INTO salesdata_skus AS k (region, sku, name, last_sold_at, price_minor, price_at)
SELECT %(region)s, l.sku, n.name, l.sold_at, p.price_minor, l.priced_at
FROM latest l JOIN named n ON n.sku = l.sku LEFT JOIN priced p ON p.sku = l.sku
ON CONFLICT (region, sku) DO UPDATE SET
    name = CASE WHEN EXCLUDED.last_sold_at >= k.last_sold_at THEN EXCLUDED.name ELSE k.name END,
    last_sold_at = greatest(k.last_sold_at, EXCLUDED.last_sold_at),
    price_minor = CASE WHEN EXCLUDED.price_at >= k.price_at OR k.price_at IS NULL AND EXCLUDED.price_at IS NOT NULL
        THEN EXCLUDED.price_minor ELSE k.price_minor END,
    price_at = CASE WHEN EXCLUDED.price_at >= k.price_at OR k.price_at IS NULL AND EXCLUDED.price_at IS NOT NULL
        THEN EXCLUDED.price_at ELSE k.price_at END
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
_SQLITE_SUMMARY = f"""
INSERT INTO salesdata_daily (region, day, sku, status, customer_group, qty, revenue_minor, lines)
SELECT ?, day, sku, status, customer_group, sum(qty), sum(qty * price_minor), count(*)
FROM temp.salesdata_staging WHERE 1 GROUP BY day, sku, status, customer_group
{_add_to("salesdata_daily", "day")}"""  # noqa: S608 - constant SQL, values bound
_SQLITE_REMOVED = f"""
INSERT INTO salesdata_removed (region, day, sku, status, customer_group, qty, lines)
SELECT :region, day, sku, status, customer_group, sum(qty), count(*)
FROM temp.salesdata_staging WHERE {caught(":region")} GROUP BY day, sku, status, customer_group
{_add_to("salesdata_removed", "day", "qty, lines")}"""  # noqa: S608 - constant SQL, values bound
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


class PgLoader:
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
        self.cursor.execute(TURN, {"region": region})
        self.cursor.execute(_PG_STATUS, {"region": region})
        result.rows_updated += int(self.cursor.fetchone()[0])
        self.cursor.execute(_PG_MERGE, {"region": region, "import_id": import_id})
        inserted = int(self.cursor.fetchone()[0])
        if inserted:
            self.cursor.execute(_PG_SKUS, {"region": region})
        self.cursor.close()
        return inserted


class SqliteLoader:
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
        cursor.execute(_SQLITE_CHANGED, {"region": region})
        if cursor.rowcount:
            result.rows_updated += int(cursor.rowcount)
            for statement in _SQLITE_STATUS:
                cursor.execute(statement, {"region": region})
        cursor.execute(_SQLITE_DROP_KNOWN, (region,))
        cursor.execute(_SQLITE_SUMMARY, (region,))
        cursor.execute(_SQLITE_MONTHLY, (region,))
        cursor.execute(_SQLITE_REMOVED, {"region": region})
        cursor.execute(_SQLITE_SKU_NAMES, (region,))
        cursor.execute(_SQLITE_SKU_PRICES, (region,))
        cursor.execute(_SQLITE_INSERT, (region, import_id))
        inserted = int(cursor.rowcount)
        cursor.execute("DELETE FROM temp.salesdata_staging")
        return inserted

    def finish(self) -> None:
        self.cursor.close()
