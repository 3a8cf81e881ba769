"""Sales data: importing a Magento order export, and the condensed six-month demand.

Each figure is printed next to its baseline from the same run, as a ratio:

* import (parse, validate, dedupe, load, summary) of a generated export with
  ``rm365 salesdata import`` on PostgreSQL, against a raw ``COPY`` of the same file into a
  plain table of text columns (aim: 0.6x the raw COPY's speed or better; peak memory of the
  import process under 500 MB); the same on SQLite against a raw ``executemany`` of the
  same rows in one transaction; then re-importing the same file (every line a duplicate);
* ``GET /api/v1/salesdata/{region}/condensed`` (six months, filters set) over many lines
  (aim: under 1 s), against the same sum computed straight from the lines by one
  ``GROUP BY`` (what a summary rebuilt on every read costs).

    python benchmarks/bench_salesdata.py          # 100,000-line export, 500,000 lines queried (~1 min)
    python benchmarks/bench_salesdata.py --full   # 1,000,000-line export, 5,000,000 lines queried
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

import httpx
from _harness import base_env, cli, fresh_postgres_database, serve
from sqlalchemy import create_engine, text

HEADER = [
    "Order number",
    "Created At",
    "Product SKU",
    "Product Name",
    "Product Qty",
    "Product Price",
    "Status",
    "Currency",
    "Grand Total",
    "Customer Email",
    "Customer Full Name",
    "Billing Address",
    "Shipping Address",
    "Customer Group Code",
]
SKUS = 3000
STATUSES = ["complete"] * 18 + ["processing", "canceled", "closed"]


def write_export(path: Path, lines: int, seed: int = 1) -> None:
    """A realistic export: orders of 1-4 lines over the last 400 days, quoted addresses."""
    rng = random.Random(seed)
    now = datetime(2026, 12, 1)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        written, order = 0, 100_000_000
        while written < lines:
            order += 1
            created = (now - timedelta(minutes=rng.randint(0, 400 * 24 * 60))).strftime("%Y-%m-%d %H:%M:%S")
            status = rng.choice(STATUSES)
            email = f"customer{rng.randint(1, 50_000)}@example.com"
            group = "Wholesale" if rng.random() < 0.03 else "General"
            count = min(lines - written, rng.choice((1, 1, 1, 2, 2, 3, 4)))
            total = f"{rng.uniform(5, 300):.2f}"
            for _ in range(count):
                n = rng.randint(1, SKUS)
                sku = f"SKU-{n:05d}" + ("-MD" if rng.random() < 0.05 else "")
                writer.writerow(
                    [
                        order,
                        created,
                        sku,
                        f"Product {n}, {n % 7 * 30 + 30} tablets",
                        rng.choice((1, 1, 1, 2, 3)),
                        f"{rng.uniform(2, 60):.2f}",
                        status,
                        "GBP",
                        total,
                        email,
                        f"Customer {n}",
                        "1 High Street, Town\nCounty",
                        "1 High Street, Town",
                        group,
                    ]
                )
            written += count


LAST_PEAK_MB = [0.0]

# Linux carries a process's peak memory across exec, so a child started straight from this
# (large) process would report this one's peak as its own. A small launcher starts the import
# instead and reports the import's peak alone.
LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:])
_pid, status, usage = os.wait4(child.pid, 0)
print(f"peak-rss-kb={usage.ru_maxrss}", flush=True)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_import(env: dict[str, str], path: Path) -> tuple[float, float, str]:
    """(wall seconds, seconds the import itself reported, output) of ``rm365 salesdata import``;
    its own peak memory goes to ``LAST_PEAK_MB``."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "rm365_core.cli", "salesdata", "import", "uk", str(path)]
    process = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *command], env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    output = process.stdout + process.stderr
    if process.returncode not in (0, 2):
        raise RuntimeError(output)
    peak = re.search(r"peak-rss-kb=(\d+)", output)
    LAST_PEAK_MB[0] = int(peak.group(1)) / 1024 if peak else float("nan")
    match = re.search(r"\(([\d.]+) s, import", output)
    lines = [line for line in process.stdout.strip().splitlines() if not line.startswith("peak-rss-kb=")]
    return wall, float(match.group(1)) if match else wall, lines[-1] if lines else ""


def peak_child_mb() -> float:
    """The peak memory of the last import process."""
    return LAST_PEAK_MB[0]


def report(label: str, seconds: float, lines: int, baseline: float, aim: str = "") -> None:
    print(
        f"  {label:<44} {seconds:7.2f} s  {lines / seconds:>10,.0f} lines/s  "
        f"{baseline / seconds:5.2f}x baseline{('  ' + aim) if aim else ''}"
    )


def timed_copy(cursor: object, raw: object, table_sql: str, copy_sql: str, source: Callable[[], IO[str]]) -> float:
    """Median seconds of three ``COPY`` runs into a fresh table made by ``table_sql``."""
    times = []
    for _ in range(3):
        cursor.execute(table_sql)  # type: ignore[attr-defined]
        raw.commit()  # type: ignore[attr-defined]
        with source() as data:
            started = time.perf_counter()
            cursor.copy_expert(copy_sql, data)  # type: ignore[attr-defined]
            raw.commit()  # type: ignore[attr-defined]
            times.append(time.perf_counter() - started)
        cursor.execute("DROP TABLE bench_copy")  # type: ignore[attr-defined]
        raw.commit()  # type: ignore[attr-defined]
    return statistics.median(times)


def postgres(path: Path, lines: int, query_lines: int) -> None:
    print(f"PostgreSQL, {lines:,}-line export")
    with fresh_postgres_database("bench_salesdata") as url:
        env = base_env(url, RM365_PLUGINS="salesdata")
        cli(env, "db", "upgrade")
        engine = create_engine(url)
        raw = engine.raw_connection()
        cursor = raw.cursor()
        copy_seconds = timed_copy(
            cursor,
            raw,
            "CREATE TABLE bench_copy (" + ", ".join(f"c{i} text" for i in range(len(HEADER))) + ")",
            "COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER)",
            lambda: path.open(encoding="utf-8"),
        )
        print(
            f"  {'baseline: raw COPY of the file (text columns)':<44} {copy_seconds:7.2f} s  "
            f"{lines / copy_seconds:>10,.0f} lines/s"
        )
        wall, took, summary = run_import(env, path)
        report("import: parse, validate, dedupe, load, summary", took, lines, copy_seconds, "aim >= 0.60x")
        print(f"    ({summary}; {wall:.2f} s with process start-up; peak RSS {peak_child_mb():.0f} MB, aim < 500 MB)")
        # The same lines, already parsed, copied into tables shaped like the lines table: with
        # only the key that makes an import idempotent (the floor under any import that keeps
        # that promise), then with all its indexes (no checks, no dedupe, no summaries).
        buffer = io.StringIO()
        cursor.copy_expert("COPY (SELECT * FROM salesdata_lines) TO STDOUT", buffer)
        parsed = buffer.getvalue()
        keyed = timed_copy(
            cursor,
            raw,
            "CREATE TABLE bench_copy (LIKE salesdata_lines INCLUDING DEFAULTS); ALTER TABLE bench_copy "
            "ADD PRIMARY KEY (id), ADD UNIQUE (region, order_number, sku, line_no)",
            "COPY bench_copy FROM STDIN",
            lambda: io.StringIO(parsed),
        )
        print(
            f"  {'floor: COPY of the parsed lines, key only':<44} {keyed:7.2f} s  "
            f"{lines / keyed:>10,.0f} lines/s  {copy_seconds / keyed:5.2f}x baseline (no import can do better)"
        )
        lines_copy = timed_copy(
            cursor,
            raw,
            "CREATE TABLE bench_copy (LIKE salesdata_lines INCLUDING ALL)",
            "COPY bench_copy FROM STDIN",
            lambda: io.StringIO(parsed),
        )
        print(
            f"  {'second baseline: COPY of the parsed lines':<44} {lines_copy:7.2f} s  "
            f"{lines / lines_copy:>10,.0f} lines/s  (into a table with the lines table's indexes)"
        )
        print(f"  {'import against the second baseline':<44} {lines_copy / took:7.2f}x")
        wall, took, summary = run_import(env, path)
        report("re-import of the same file (all duplicates)", took, lines, copy_seconds)
        print(f"    ({summary})")
        condensed(env, engine, query_lines)
        engine.dispose()


def condensed(env: dict[str, str], engine: object, query_lines: int) -> None:
    """Fill region fr with ``query_lines`` lines (by SQL, the summaries built as imports keep them),
    then time the condensed page against the same sum over the lines."""
    print(f"PostgreSQL, condensed six-month demand over {query_lines:,} lines")
    started = time.perf_counter()
    with engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(
            text("""
            INSERT INTO salesdata_lines (region, order_number, sku, line_no, name, created_at, day, qty,
                price_minor, status, currency, grand_total_minor, customer_email, customer_name, customer_group)
            SELECT 'fr', 'F' || (g / 3), 'SKU-' || lpad(((g * 7919) % 3000 + 1)::text, 5, '0')
                       || CASE WHEN g % 20 = 0 THEN '-MD' ELSE '' END,
                   g % 3, 'Product', ts, (ts AT TIME ZONE 'Europe/Paris')::date, 1 + g % 3, 1000,
                   CASE WHEN g % 21 = 0 THEN 'canceled' ELSE 'complete' END, 'EUR', 5000 + (g % 997) * 100,
                   'customer' || (g % 50000) || '@example.com', 'C', CASE WHEN g % 33 = 0 THEN 'Wholesale'
                   ELSE 'General' END
            FROM (SELECT g, timestamptz '2026-12-01' - (g % 730) * interval '1 day' - (g % 1440) * interval '1 minute'
                  AS ts FROM generate_series(1::bigint, :n) AS g) s
        """),
            {"n": query_lines},
        )
        conn.execute(
            text("""
            INSERT INTO salesdata_daily (region, day, sku, status, customer_group, qty, revenue_minor, lines)
            SELECT region, day, sku, status, customer_group, sum(qty), sum(qty * price_minor), count(*)
            FROM salesdata_lines WHERE region = 'fr' GROUP BY region, day, sku, status, customer_group
        """)
        )
        conn.execute(
            text("""
            INSERT INTO salesdata_monthly (region, month, sku, status, customer_group, qty, revenue_minor, lines)
            SELECT region, date_trunc('month', day)::date, sku, status, customer_group, sum(qty),
                sum(qty * price_minor), count(*)
            FROM salesdata_lines WHERE region = 'fr' GROUP BY region, 2, sku, status, customer_group
        """)
        )
        conn.execute(
            text("""
            INSERT INTO salesdata_skus (region, sku, name, last_sold_at, price_minor, price_at)
            SELECT 'fr', sku, 'Product', max(created_at), 1000, max(created_at) FROM salesdata_lines
            WHERE region = 'fr' GROUP BY sku
        """)
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:  # type: ignore[attr-defined]
        conn.execute(text("VACUUM ANALYZE salesdata_lines"))
        conn.execute(text("VACUUM ANALYZE salesdata_daily"))
        conn.execute(text("VACUUM ANALYZE salesdata_monthly"))
    print(f"  (filled in {time.perf_counter() - started:.1f} s)")

    since = "2026-06-01"
    direct = text("""
        SELECT sku, sum(qty) FROM salesdata_lines
        WHERE region = 'fr' AND day >= :since AND status NOT IN ('canceled', 'closed', 'fraud')
          AND customer_group <> 'Wholesale' AND customer_email <> 'customer7@example.com' AND qty <= 50
        GROUP BY sku
    """)
    with engine.connect() as conn:  # type: ignore[attr-defined]
        times = []
        for _ in range(3):
            started = time.perf_counter()
            conn.execute(direct, {"since": since}).all()
            times.append(time.perf_counter() - started)
    baseline = statistics.median(times)
    print(f"  {'baseline: one GROUP BY over the lines':<44} {baseline * 1000:7.0f} ms")

    import secrets

    password = secrets.token_urlsafe(16)
    cli(env, "users", "create-admin", "bench", "--password-stdin", stdin=password + "\n")
    with serve(env, workers=1) as server:
        client = httpx.Client(base_url=server.url, timeout=60)
        token = client.post("/api/v1/auth/login", json={"username": "bench", "password": password}).json()
        client.headers["Authorization"] = f"Bearer {token['access_token']}"
        api = "/api/v1/salesdata/fr"
        client.post(f"{api}/exclusions", json={"kind": "group", "value": "Wholesale"}).raise_for_status()
        # A change of excluded customers or thresholds recomputes what they remove from the lines.
        started = time.perf_counter()
        client.post(f"{api}/exclusions", json={"kind": "email", "value": "customer7@example.com"}).raise_for_status()
        client.put(f"{api}/thresholds", json={"max_line_qty": 50}).raise_for_status()
        changes = (time.perf_counter() - started) / 2
        print(f"  {'a filter change (its region recomputed)':<44} {changes * 1000:7.0f} ms  (mean of two)")
        times = []
        for _ in range(5):
            started = time.perf_counter()
            response = client.get(f"{api}/condensed", params={"since": since, "size": 100})
            times.append(time.perf_counter() - started)
            response.raise_for_status()
        body = response.json()
        median = statistics.median(times)
        print(
            f"  {'GET /condensed (summary, filters applied)':<44} {median * 1000:7.0f} ms  "
            f"{baseline / median:5.2f}x baseline  aim < 1000 ms  ({body['total']} SKUs, "
            f"{body['total_qty']:,} units)"
        )


def sqlite(path: Path, lines: int) -> None:
    print(f"SQLite, {lines:,}-line export")
    data_dir = tempfile.mkdtemp(prefix="rm365-bench-sqlite-")
    env = base_env("", RM365_PLUGINS="salesdata", RM365_DATA_DIR=data_dir)
    env.pop("RM365_DATABASE_URL")
    cli(env, "db", "upgrade")
    db = sqlite3.connect(Path(data_dir) / "baseline.sqlite3")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE raw_export (" + ", ".join(f"c{i} text" for i in range(len(HEADER))) + ")")
    started = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as source:
        rows = csv.reader(source)
        next(rows)
        with db:
            db.executemany(f"INSERT INTO raw_export VALUES ({', '.join('?' * len(HEADER))})", rows)
    baseline = time.perf_counter() - started
    db.close()
    print(f"  {'baseline: raw executemany of the rows':<44} {baseline:7.2f} s  {lines / baseline:>10,.0f} lines/s")
    wall, took, summary = run_import(env, path)
    report("import: parse, validate, dedupe, load, summary", took, lines, baseline)
    print(f"    ({summary}; peak RSS {peak_child_mb():.0f} MB)")
    wall, took, summary = run_import(env, path)
    report("re-import of the same file (all duplicates)", took, lines, baseline)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="1,000,000-line export, 5,000,000 lines queried")
    parser.add_argument("--lines", type=int, help="lines in the export")
    parser.add_argument("--query-lines", type=int, help="lines behind the condensed query")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    lines = args.lines or (1_000_000 if args.full else 100_000)
    query_lines = args.query_lines or (5_000_000 if args.full else 500_000)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.csv"
        started = time.perf_counter()
        write_export(path, lines)
        print(
            f"export: {lines:,} lines, {path.stat().st_size / 1e6:.0f} MB, written in "
            f"{time.perf_counter() - started:.1f} s"
        )
        postgres(path, lines, query_lines)
        if not args.skip_sqlite:
            sqlite(path, lines)


if __name__ == "__main__":
    main()
