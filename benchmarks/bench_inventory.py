"""Inventory: adjustments per second through the API and the item list page with search.

PostgreSQL (a fresh database, dropped afterwards), 2 uvicorn workers, wrk on loopback.
100,000 items are seeded by COPY (names from the demo catalogue). Measured, each with a
baseline from the same run as a ratio:

* ``POST /adjustments`` on one hot item and spread over 10,000 items, and scanner batches,
  against ``GET /api/health`` and an authenticated one-item read (same connections);
* ``GET /items?search=...`` over 100,000 items, one connection at a time (the latency a
  person sees; aim: p99 under 50 ms), against the one-item read; deep pages by number
  (``page=``, OFFSET) next to the same pages by keyset (``after=``, the ``next_after`` a page
  answers), which is what the grid and API clients use to page on.

    python benchmarks/bench_inventory.py              # 10 s per run
    python benchmarks/bench_inventory.py --quick      # 3 s per run
    python benchmarks/bench_inventory.py --list-only  # only the item list runs
"""

from __future__ import annotations

import argparse
import io
import random
import secrets
from datetime import UTC, datetime
from typing import Any

import httpx
from _harness import WrkResult, base_env, cli, fresh_postgres_database, lua_get, serve, wrk
from rm365_inventory.codes import derive_item_id
from rm365_inventory.demo import catalogue
from rm365_inventory.listing import encode_cursor
from sqlalchemy import create_engine, text

ITEMS = 100_000
SPREAD = 10_000
HOT_SKU = "HOT-00000"
HOT_STOCK = 10_000_000
SEARCH_TERMS = [
    "omega",
    "vitamin d3",
    "zinc-2",
    "krill",
    "ashwagandha ksm",
    "twin pack",
    "04217",
    "magnesium gly",
    "nomatch",
    "7992",
]


def spread_sku(n: int) -> str:
    return f"SPREAD-{n:05d}"


def seed(url: str) -> None:
    """100,000 items with stock in every location; the first 10,000 never run out."""
    products = catalogue()
    rng = random.Random(7)
    now = datetime.now(UTC).isoformat()
    items, stock = io.StringIO(), io.StringIO()
    for n in range(ITEMS):
        base, name = products[n % len(products)]
        if n == 0:
            sku, quantities = HOT_SKU, (HOT_STOCK, 0, 0)
        elif n < SPREAD:
            sku, quantities = spread_sku(n), (1_000_000, 0, 0)
        else:
            sku, quantities = f"{base}-{n:06d}", (rng.randint(0, 50), rng.randint(0, 50), rng.randint(0, 50))
        items.write(f"{n + 1}\t{sku}\t{derive_item_id(sku)}\t{name} #{n}\tActive\t\t1\t{now}\t{now}\n")
        for index, (location, quantity) in enumerate(
            zip(("shelf_lt1", "shelf_gt1", "top_floor"), quantities, strict=True)
        ):
            stock.write(f"{n * 3 + index + 1}\t{n + 1}\t{location}\t{quantity}\t\\N\n")
    items.seek(0)
    stock.seek(0)
    engine = create_engine(url)
    raw = engine.raw_connection()
    try:
        cur: Any = raw.cursor()  # psycopg2's, for COPY
        columns = ("id", "sku", "item_id", "name", "status", "notes", "version", "created_at", "updated_at")
        cur.copy_from(items, "inventory_items", columns=columns)
        cur.copy_from(stock, "inventory_stock", columns=("id", "item_pk", "location", "quantity", "expiry"))
        cur.execute("SELECT setval(pg_get_serial_sequence('inventory_items', 'id'), %s)", (ITEMS,))
        cur.execute("SELECT setval(pg_get_serial_sequence('inventory_stock', 'id'), %s)", (ITEMS * 3,))
        cur.close()
        raw.commit()
        # What autovacuum does on a live site: the trigram index's pending entries merged and
        # statistics taken, so the search is measured in its steady state.
        raw.driver_connection.autocommit = True  # type: ignore[union-attr]
        cur = raw.cursor()
        cur.execute("VACUUM ANALYZE")
        cur.close()
    finally:
        raw.close()
        engine.dispose()


def lua_post(body_expr: str, path: str, token: str) -> str:
    """A wrk script that POSTs the JSON ``body_expr`` (a Lua expression) to ``path``."""
    return (
        f'wrk.headers["Authorization"] = "Bearer {token}"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        "counter = 0\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        f'  return wrk.format("POST", "{path}", nil, {body_expr})\n'
        "end\n"
    )


def lua_cycle(paths: list[str], token: str) -> str:
    """A wrk script that GETs ``paths`` in turn."""
    table = ", ".join(f'"{p}"' for p in paths)
    return (
        f'wrk.headers["Authorization"] = "Bearer {token}"\n'
        f"paths = {{{table}}}\n"
        "i = 0\n"
        "request = function()\n"
        "  i = i % #paths + 1\n"
        '  return wrk.format("GET", paths[i])\n'
        "end\n"
    )


def show(result: WrkResult, baseline: WrkResult | None = None, *, unit: str = "req/s", scale: int = 1) -> None:
    line = f"  {result.label:<48}{result.rps * scale:9.0f} {unit:<10}"
    line += f" p50 {result.p50_ms:7.1f} ms   p99 {result.p99_ms:7.1f} ms"
    if baseline is not None:
        line += f"   {result.rps * scale / baseline.rps:5.2f}x {baseline.label.split(':')[0]}"
    if result.errors:
        line += f"   ({result.errors} errors)"
    print(line, flush=True)


def show_latency(result: WrkResult, baseline: WrkResult) -> None:
    print(
        f"  {result.label:<48}p50 {result.p50_ms:7.1f} ms   p99 {result.p99_ms:7.1f} ms"
        f"   {result.p50_ms / baseline.p50_ms:5.1f}x baseline p50"
        + (f"   ({result.errors} errors)" if result.errors else ""),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="duration of each wrk run")
    parser.add_argument("--quick", action="store_true", help="3-second runs")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--list-only", action="store_true", help="only the item list runs")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (1 on a machine too busy for 2)")
    args = parser.parse_args()
    seconds = 3 if args.quick else args.seconds
    conns = args.connections

    with fresh_postgres_database("bench_inv") as url:
        env = base_env(url, RM365_PLUGINS="inventory")
        cli(env, "db", "upgrade")
        password = secrets.token_urlsafe(16)
        cli(env, "users", "create-admin", "bench", "--password-stdin", stdin=password + "\n")
        seed(url)
        print(
            f"{ITEMS:,} items seeded; PostgreSQL, {args.workers} workers, wrk with {conns} connections, "
            f"{seconds} s per run\n",
            flush=True,
        )

        with serve(env, workers=args.workers) as server:
            token = httpx.post(
                f"{server.url}/api/v1/auth/login", json={"username": "bench", "password": password}
            ).json()["access_token"]
            base = server.url
            api = "/api/v1/inventory"

            if not args.list_only:
                adjustments(base, api, token, seconds, conns)
            item_list(url, base, api, token, seconds)

        if not args.list_only:
            check_hot_item(url)


def adjustments(base: str, api: str, token: str, seconds: int, conns: int) -> None:
    spread = f'string.format("SPREAD-%05d", math.random(1, {SPREAD - 1}))'
    print("Adjustments")
    health = wrk("baseline: GET /api/health", base, lua_get('"/api/health"'), seconds=seconds, connections=conns)
    show(health)
    read = wrk(
        "read: GET one item (token + tab + DB)",
        base,
        lua_get(f'"{api}/items/" .. {spread}', token),
        seconds=seconds,
        connections=conns,
    )
    show(read, health)
    body = f'\'{{"code": "{HOT_SKU}", "quantity": 1, "reason": "Pick/Pack"}}\''
    hot = wrk(
        "POST /adjustments, one hot item",
        base,
        lua_post(body, f"{api}/adjustments", token),
        seconds=seconds,
        connections=conns,
    )
    show(hot, read)
    body = '\'{"code": "\' .. ' + spread + ' .. \'", "quantity": 1, "reason": "Pick/Pack"}\''
    spread_run = wrk(
        f"POST /adjustments, spread over {SPREAD:,} items",
        base,
        lua_post(body, f"{api}/adjustments", token),
        seconds=seconds,
        connections=conns,
    )
    show(spread_run, read)
    entry = (
        '\'{"client_id": "b\' .. math.random(1, 1e9) .. \'-\' .. counter .. \'-KEY", "code": "\' .. '
        + spread
        + " .. '\"}'"
    )
    entries = " .. ',' .. ".join(entry.replace("KEY", str(k)) for k in range(10))
    batch = wrk(
        "POST /update/batch, 10 entries each (entries/s)",
        base,
        lua_post(f"'[' .. {entries} .. ']'", f"{api}/update/batch", token),
        seconds=seconds,
        connections=conns,
    )
    show(batch, read, unit="entries/s", scale=10)


def keyset_paths(url: str, api: str, pages: tuple[int, ...]) -> list[str]:
    """``after=`` cursors for the same pages as ``page=<n>`` (the next_after of page n - 1)."""
    engine = create_engine(url)
    paths = []
    with engine.connect() as conn:
        for page in pages:
            if page == 1:
                paths.append(f"{api}/items?size=50")
                continue
            last_before = text("SELECT sku, id FROM inventory_items ORDER BY sku, id OFFSET :n LIMIT 1")
            sku, pk = conn.execute(last_before, {"n": (page - 1) * 50 - 1}).one()
            paths.append(f"{api}/items?size=50&page={page}&after={encode_cursor('sku', sku, pk, ITEMS, True)}")
    engine.dispose()
    return paths


def item_list(url: str, base: str, api: str, token: str, seconds: int) -> None:
    spread = f'string.format("SPREAD-%05d", math.random(1, {SPREAD - 1}))'
    print(f"\nItem list over {ITEMS:,} items, one connection (the latency a person sees)", flush=True)
    single = wrk(
        "baseline: GET one item",
        base,
        lua_get(f'"{api}/items/" .. {spread}', token),
        seconds=seconds,
        connections=1,
    )
    show_latency(single, single)
    runs = {
        "GET /items?search=<term>&size=50": [
            f"{api}/items?size=50&search={t.replace(' ', '%20')}" for t in SEARCH_TERMS
        ],
        "GET /items?page=<n>&size=50 (OFFSET)": [f"{api}/items?size=50&page={n}" for n in (1, 2, 3, 50, 500, 2000)],
        "GET /items?after=<next_after>&size=50 (keyset)": keyset_paths(url, api, (1, 2, 3, 50, 500, 2000)),
        "GET /items?search=<term>&sort=-total": [
            f"{api}/items?size=50&sort=-total&search={t.replace(' ', '%20')}" for t in SEARCH_TERMS[:4]
        ],
    }
    for label, paths in runs.items():
        show_latency(wrk(label, base, lua_cycle(paths, token), seconds=seconds, connections=1), single)


def check_hot_item(url: str) -> None:
    engine = create_engine(url)
    with engine.connect() as conn:
        left = conn.execute(
            text("SELECT quantity FROM inventory_stock WHERE item_pk = 1 AND location = 'shelf_lt1'")
        ).scalar_one()
        moves = conn.execute(
            text("SELECT count(*) FROM inventory_movements WHERE sku = :s"), {"s": HOT_SKU}
        ).scalar_one()
    engine.dispose()
    verdict = "consistent" if HOT_STOCK - left == moves else "INCONSISTENT"
    print(f"\nhot item: {moves:,} movements, stock went down by {HOT_STOCK - left:,} ({verdict})")


if __name__ == "__main__":
    main()
