"""Magento pick & pack: scans per second on a 100-line invoice through the API, 2 workers.

PostgreSQL (a fresh database, dropped afterwards), ``rm365 serve --workers 2``, the fake
Magento served by this process, wrk on loopback. Each scan locks the session row, moves
stock through the inventory service (its own transaction, ledger row) and records the scan
with its audit entry. Measured next to ``GET /api/health`` in the same run (a ratio):

* ``POST /sessions/{id}/scan`` spread over the 100 lines of one session (one packer);
* the same over 8 sessions at once (several packers);
* ``GET /sessions/{id}`` (a status read) — and that status reads make no Magento call.

    python benchmarks/bench_magento.py           # 10 s per run
    python benchmarks/bench_magento.py --quick   # 3 s per run
"""

from __future__ import annotations

import argparse
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from _harness import ROOT, WrkResult, base_env, cli, free_port, fresh_postgres_database, lua_get, wrk
from rm365_magento.fake import FakeMagento

LINES = 100
SESSIONS = 8
SKUS = [f"BENCH-{n:03d}" for n in range(LINES)]


def lua_scan(session_ids: list[int], token: str) -> str:
    """POST a scan of the next SKU into the next session, each with a fresh client_id."""
    skus = ", ".join(f'"{s}"' for s in SKUS)
    ids = ", ".join(str(i) for i in session_ids)
    return (
        f'wrk.headers["Authorization"] = "Bearer {token}"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"skus = {{{skus}}}\n"
        f"ids = {{{ids}}}\n"
        f'prefix = "{secrets.token_hex(4)}"\n'
        "counter = 0\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        "  local sid = ids[counter % #ids + 1]\n"
        '  local body = \'{"code":"\' .. skus[counter % #skus + 1] .. \'","client_id":"\' .. prefix .. counter .. \'"}\'\n'  # noqa: E501
        '  return wrk.format("POST", "/api/v1/magento/sessions/" .. sid .. "/scan", nil, body)\n'
        "end\n"
    )


@contextmanager
def serve(env: dict[str, str], workers: int) -> Iterator[str]:
    """``uvicorn`` with the kernel's app factory, as ``rm365 serve --workers`` runs it, but
    giving each worker a minute to start: on a loaded machine uvicorn's default 5 s health
    check kills workers that are still importing."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "rm365_core._app:make_asgi",
        "--factory",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--timeout-worker-healthcheck",
        "60",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(
        command, env={**env, "RM365_AUTO_UPGRADE": "0"}, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.3)
        time.sleep(2.0)  # let the second worker finish starting
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def show(result: WrkResult, baseline: WrkResult | None = None) -> None:
    line = f"  {result.label:<46}{result.rps:9.0f} req/s   p50 {result.p50_ms:7.1f} ms   p99 {result.p99_ms:7.1f} ms"
    if baseline is not None:
        line += f"   {result.rps / baseline.rps:5.3f}x health"
    if result.errors:
        line += f"   ({result.errors} errors)"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 s per run")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    seconds = 3 if args.quick else args.seconds
    with FakeMagento(token=secrets.token_urlsafe(16)) as magento, fresh_postgres_database("bench_magento") as url:
        for n in range(SESSIONS):
            magento.add_order(str(5000001 + n), [(sku, f"Bench item {sku}", 100_000) for sku in SKUS])
        env = base_env(url, RM365_MAGENTO_BASE_URL=magento.url, RM365_MAGENTO_TOKEN=magento.token)
        cli(env, "db", "upgrade")
        password = secrets.token_urlsafe(16)
        cli(env, "users", "create-admin", "bench", "--password-stdin", stdin=password + "\n")
        with serve(env, workers=2) as base:
            token = httpx.post(f"{base}/api/v1/auth/login", json={"username": "bench", "password": password}).json()[
                "access_token"
            ]
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
                for sku in SKUS:
                    created = http.post(
                        "/api/v1/inventory/items", json={"sku": sku, "name": sku, "stock": {"shelf_lt1": 1_000_000}}
                    )
                    assert created.status_code == 201, created.text
                ids = []
                for n in range(SESSIONS):
                    started = http.post("/api/v1/magento/sessions", json={"order_number": str(5000001 + n)})
                    assert started.status_code == 201, started.text
                    ids.append(started.json()["id"])
                calls_before = magento.calls()
                print(f"Magento pick & pack, 2 workers, PostgreSQL, {args.connections} connections, {seconds} s each")
                health = wrk(
                    "baseline: GET /api/health",
                    base,
                    lua_get('"/api/health"'),
                    seconds=seconds,
                    connections=args.connections,
                )
                show(health)
                one = wrk(
                    f"scan: one session of {LINES} lines",
                    base,
                    lua_scan(ids[:1], token),
                    seconds=seconds,
                    connections=args.connections,
                )
                show(one, health)
                many = wrk(
                    f"scan: {SESSIONS} sessions of {LINES} lines",
                    base,
                    lua_scan(ids, token),
                    seconds=seconds,
                    connections=args.connections,
                )
                show(many, health)
                read = wrk(
                    "status read: GET /sessions/{id}",
                    base,
                    lua_get(f'"/api/v1/magento/sessions/{ids[0]}"', token),
                    seconds=seconds,
                    connections=args.connections,
                )
                show(read, health)
                session = http.get(f"/api/v1/magento/sessions/{ids[0]}").json()
                scanned = session["progress"]["scanned"]
                movements = http.get("/api/v1/inventory/adjustments", params={"reason": "Pick/Pack", "size": 1}).json()
        print(
            f"  scans recorded in session #{ids[0]}: {scanned}; Pick/Pack movements in the ledger: {movements['total']}"
        )
        print(f"  Magento calls during the runs (status reads included): {magento.calls() - calls_before}")


if __name__ == "__main__":
    main()
