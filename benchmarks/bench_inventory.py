"""Inventory benchmark: adjustments per second through the API (2 workers, PostgreSQL) on one
hot item and spread over 10,000 items, and the item list page with search over 100,000 items.

Every figure comes with a baseline measured in the same run with the same request pattern
(``GET /api/health``, and an authenticated single-item read), printed as a ratio.

    python benchmarks/bench_inventory.py            # ~15 s per phase
    python benchmarks/bench_inventory.py --quick    # ~4 s per phase

Needs PostgreSQL (``--pg postgresql://postgres@127.0.0.1:5432/postgres`` by default): a fresh
database ``bench_inv_<random>`` is created and dropped. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg2

ROOT = Path(__file__).resolve().parent.parent
ITEMS = 100_000
SPREAD = 10_000
HOT_SKU = "HOT-000000"
PASSWORD = secrets.token_urlsafe(16)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- database ----------------------------------------------------------------------------
def create_database(admin_url: str) -> str:
    name = f"bench_inv_{secrets.token_hex(4)}"
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return name


def drop_database(admin_url: str, name: str) -> None:
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def seed(db_url: str) -> None:
    """100,000 items (names from the demo catalogue) with stock in every location, by COPY."""
    sys.path.insert(0, str(ROOT / "plugins" / "inventory"))
    from rm365_inventory.codes import derive_item_id
    from rm365_inventory.demo import catalogue

    products = catalogue()
    rng = random.Random(7)
    now = datetime.now(UTC).isoformat()
    items = io.StringIO()
    stock = io.StringIO()
    for n in range(ITEMS):
        base_sku, name = products[n % len(products)]
        sku = HOT_SKU if n == 0 else f"{base_sku}-{n:06d}"
        items.write(f"{n + 1}\t{sku}\t{derive_item_id(sku)}\t{name} #{n}\tActive\t\t1\t{now}\t{now}\n")
        if n == 0:
            quantities = (1_000_000, 0, 0)  # the hot item
        elif n < SPREAD:
            quantities = (100_000, 0, 0)  # the items adjustments spread over: never run out
        else:
            quantities = (rng.randint(0, 50), rng.randint(0, 50), rng.randint(0, 50))
        for index, (loc, qty) in enumerate(zip(("shelf_lt1", "shelf_gt1", "top_floor"), quantities, strict=True)):
            stock.write(f"{n * 3 + index + 1}\t{n + 1}\t{loc}\t{qty}\t\\N\n")
    items.seek(0)
    stock.seek(0)
    conn = psycopg2.connect(db_url)
    with conn, conn.cursor() as cur:
        cur.copy_from(
            items,
            "inventory_items",
            columns=("id", "sku", "item_id", "name", "status", "notes", "version", "created_at", "updated_at"),
        )
        cur.copy_from(stock, "inventory_stock", columns=("id", "item_pk", "location", "quantity", "expiry"))
        cur.execute("SELECT setval(pg_get_serial_sequence('inventory_items', 'id'), %s)", (ITEMS,))
        cur.execute("SELECT setval(pg_get_serial_sequence('inventory_stock', 'id'), %s)", (ITEMS * 3,))
        cur.execute("ANALYZE")
    conn.close()


# -- server ------------------------------------------------------------------------------
class Server:
    def __init__(self, db_url: str, port: int, data_dir: str) -> None:
        self.port = port
        self.env = {
            **os.environ,
            "RM365_DATABASE_URL": db_url,
            "RM365_DATA_DIR": data_dir,
            "RM365_SECRET_KEY": secrets.token_urlsafe(48),
            "RM365_PLUGINS": "inventory",
            "RM365_AUTO_UPGRADE": "0",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str, stdin: str | None = None) -> None:
        subprocess.run(
            [sys.executable, "-m", "rm365_core.cli", *args],
            env=self.env,
            check=True,
            input=stdin.encode() if stdin else None,
            stdout=subprocess.DEVNULL,
            timeout=120,
        )

    def start(self, workers: int) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "rm365_core.cli",
                "serve",
                "--workers",
                str(workers),
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server stopped: {self.process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/api/health", timeout=1).status_code == 200:
                    time.sleep(1.0)  # let every worker finish starting
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the server did not start within 60 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


# -- load --------------------------------------------------------------------------------
Request = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


async def run_load(base: str, token: str, request: Request, seconds: float, concurrency: int) -> dict[str, Any]:
    """``concurrency`` clients sending ``request`` back to back for ``seconds``."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    stop = time.monotonic() + seconds
    counter = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, limits=limits, timeout=30
    ) as client:

        async def worker() -> None:
            nonlocal counter
            while time.monotonic() < stop:
                counter += 1
                started = time.perf_counter()
                response = await request(client, counter)
                latencies.append(time.perf_counter() - started)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        began = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.monotonic() - began
    latencies.sort()
    return {
        "rate": len(latencies) / elapsed,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "statuses": statuses,
        "count": len(latencies),
    }


async def run_sequential(base: str, token: str, request: Request, count: int) -> dict[str, Any]:
    """One client, one request at a time: the latency a person sees."""
    latencies = []
    statuses: dict[int, int] = {}
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        for n in range(count):
            started = time.perf_counter()
            response = await request(client, n)
            latencies.append(time.perf_counter() - started)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    latencies.sort()
    return {
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "statuses": statuses,
        "count": count,
    }


def line(label: str, result: dict[str, Any], baseline: dict[str, Any] | None = None, *, rate: bool = True) -> None:
    text = f"  {label:<46}"
    if rate:
        text += f"{result['rate']:8.0f} req/s"
    text += f"   p50 {result['p50']:6.1f} ms   p99 {result['p99']:6.1f} ms"
    if baseline is not None:
        text += (
            f"   ({result['rate'] / baseline['rate']:.2f}x baseline)"
            if rate
            else f"   ({result['p50'] / baseline['p50']:.1f}x baseline p50)"
        )
    bad = {code: n for code, n in result["statuses"].items() if code >= 400}
    if bad:
        text += f"   errors {bad}"
    print(text, flush=True)


async def benchmark(base: str, token: str, seconds: float, concurrency: int, samples: int) -> None:
    rng = random.Random(1)
    products = _catalogue()
    spread_skus = [f"{products[n % len(products)][0]}-{n:06d}" for n in range(1, SPREAD)]

    async def health(client: httpx.AsyncClient, _: int) -> httpx.Response:
        return await client.get("/api/health")

    async def read_item(client: httpx.AsyncClient, _: int) -> httpx.Response:
        return await client.get(f"/api/v1/inventory/items/{rng.choice(spread_skus)}")

    async def adjust_hot(client: httpx.AsyncClient, _: int) -> httpx.Response:
        return await client.post(
            "/api/v1/inventory/adjustments", json={"code": HOT_SKU, "quantity": 1, "reason": "Pick/Pack"}
        )

    async def adjust_spread(client: httpx.AsyncClient, _: int) -> httpx.Response:
        return await client.post(
            "/api/v1/inventory/adjustments",
            json={"code": rng.choice(spread_skus), "quantity": 1, "reason": "Pick/Pack"},
        )

    async def batch_spread(client: httpx.AsyncClient, n: int) -> httpx.Response:
        entries = [
            {"client_id": f"bench-{n}-{i}-{secrets.token_hex(3)}", "code": rng.choice(spread_skus)} for i in range(10)
        ]
        return await client.post("/api/v1/inventory/update/batch", json=entries)

    print(f"\nAdjustments through the API ({concurrency} concurrent clients, {seconds:.0f} s each)", flush=True)
    base_health = await run_load(base, token, health, seconds, concurrency)
    line("baseline: GET /api/health", base_health)
    base_read = await run_load(base, token, read_item, seconds, concurrency)
    line("baseline: GET one item (auth + DB read)", base_read, base_health)
    hot = await run_load(base, token, adjust_hot, seconds, concurrency)
    line("POST /adjustments, one hot item", hot, base_read)
    spread = await run_load(base, token, adjust_spread, seconds, concurrency)
    line(f"POST /adjustments, spread over {SPREAD:,} items", spread, base_read)
    batch = await run_load(base, token, batch_spread, seconds, max(2, concurrency // 2))
    batch = {**batch, "rate": batch["rate"] * 10}
    line("POST /update/batch x10 entries (entries/s)", batch, base_read)

    terms = [
        "omega",
        "vitamin d3",
        "zinc-2",
        "krill",
        "ashwagandha ksm",
        "twin pack",
        "0421",
        "magnesium glycinate",
        "nomatch-xyz",
        "799",
    ]

    def search(term_list: list[str]) -> Request:
        async def request(client: httpx.AsyncClient, n: int) -> httpx.Response:
            term = term_list[n % len(term_list)]
            return await client.get("/api/v1/inventory/items", params={"search": term, "size": 50})

        return request

    async def first_page(client: httpx.AsyncClient, n: int) -> httpx.Response:
        return await client.get("/api/v1/inventory/items", params={"size": 50, "page": 1 + n % 20})

    async def by_total(client: httpx.AsyncClient, n: int) -> httpx.Response:
        return await client.get(
            "/api/v1/inventory/items", params={"size": 50, "sort": "-total", "search": terms[n % 3]}
        )

    print(f"\nItem list over {ITEMS:,} items (one client, {samples} requests each)", flush=True)
    seq_read = await run_sequential(base, token, read_item, samples)
    line("baseline: GET one item", seq_read, rate=False)
    line(
        "GET /items?search=<term>&size=50",
        await run_sequential(base, token, search(terms), samples),
        seq_read,
        rate=False,
    )
    line(
        "GET /items?page=N&size=50 (no search)",
        await run_sequential(base, token, first_page, samples),
        seq_read,
        rate=False,
    )
    line(
        "GET /items?search=<term>&sort=-total",
        await run_sequential(base, token, by_total, max(10, samples // 4)),
        seq_read,
        rate=False,
    )


_CATALOGUE: list[tuple[str, str]] = []


def _catalogue() -> list[tuple[str, str]]:
    if not _CATALOGUE:
        from rm365_inventory.demo import catalogue

        _CATALOGUE.extend(catalogue())
    return _CATALOGUE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short phases (about a minute in all)")
    parser.add_argument(
        "--pg",
        default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL server to create the benchmark database on",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    seconds = 4.0 if args.quick else 15.0
    samples = 60 if args.quick else 300

    name = create_database(args.pg)
    db = args.pg.rsplit("/", 1)[0] + f"/{name}"
    print(f"database {name}; {args.workers} workers; seeding {ITEMS:,} items", flush=True)
    server = None
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            server = Server(db.replace("postgresql://", "postgresql+psycopg2://", 1), free_port(), data_dir)
            server.cli("db", "upgrade")
            server.cli("users", "create-admin", "bench", "--password-stdin", stdin=PASSWORD + "\n")
            started = time.monotonic()
            seed(db)
            print(f"seeded in {time.monotonic() - started:.1f} s", flush=True)
            server.start(args.workers)
            base = f"http://127.0.0.1:{server.port}"
            token = httpx.post(f"{base}/api/v1/auth/login", json={"username": "bench", "password": PASSWORD}).json()[
                "access_token"
            ]
            asyncio.run(benchmark(base, token, seconds, args.concurrency, samples))
            with psycopg2.connect(db) as conn, conn.cursor() as cur:
                cur.execute("SELECT quantity FROM inventory_stock WHERE item_pk = 1 AND location = 'shelf_lt1'")
                left = cur.fetchone()[0]
                cur.execute("SELECT count(*) FROM inventory_movements WHERE sku = %s", (HOT_SKU,))
                moves = cur.fetchone()[0]
            conn.close()
            consistent = 1_000_000 - left == moves
            print(f"\nhot item: {moves} movements, stock {left} ({'consistent' if consistent else 'INCONSISTENT'})")
    finally:
        if server is not None:
            server.stop()
        drop_database(args.pg, name)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "plugins" / "inventory"))
    main()
