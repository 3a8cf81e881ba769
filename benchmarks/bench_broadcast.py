"""Broadcast benchmark of the realtime hub.

One event is emitted to a room of N connected clients (default 1,000):

* ``emit``: time for ``await hub.emit_async(...)`` to return on the server;
* p50 / p99 / max delivery latency: from just before the emit until each client has
  parsed the event (server and clients share this machine's clock);
* server memory per connection: RSS growth of the server process(es) from before the
  clients connect until they are all connected and in the room, divided by N.

Scenarios: one worker (in-memory), then two workers sharing rooms through Redis with the
clients split across them (the emit is made on worker A). The clients are a minimal
Engine.IO v4 / Socket.IO v5 client on ``websockets`` (asyncio, WebSocket transport, offering
permessage-deflate like browsers), all in one or a few separate processes, so the server
processes only serve. Everything listens on and connects to 127.0.0.1 only.

    python benchmarks/bench_broadcast.py                  # 1,000 clients, both scenarios
    python benchmarks/bench_broadcast.py --clients 50     # quick run
    python benchmarks/bench_broadcast.py --redis redis://127.0.0.1:6379/0
    python benchmarks/bench_broadcast.py --no-redis

Aim: p99 under 150 ms, under 50 KiB per connection.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # runnable without installing the kernel
    sys.path.insert(0, str(ROOT))

AIM_P99_MS = 150.0
AIM_KIB_PER_CONNECTION = 50.0
ROOM = "bench"
HOST = "127.0.0.1"

from _harness import free_port  # noqa: E402 - after the sys.path set-up above


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# ------------------------------------------------------------------------------ server


def serve(port: int, redis_url: str | None, prefix: str, ws: str, deflate: bool) -> None:
    """One server worker: the hub on a bare FastAPI app with two bench routes."""
    from contextlib import asynccontextmanager

    import uvicorn
    from fastapi import FastAPI

    from rm365_core import Hub, Principal

    raise_fd_limit()
    tabs = frozenset({ROOM})

    async def authenticate(token: str) -> Principal | None:
        if not token.startswith("bench:"):
            return None
        number = int(token.split(":", 1)[1])
        return Principal(number, f"user{number}", "bench", tabs)

    hub = Hub(authenticate=authenticate, redis_url=redis_url, redis_prefix=prefix)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await hub.startup()
        yield
        await hub.shutdown()

    app = FastAPI(lifespan=lifespan)

    @app.post("/bench/emit")
    async def emit(body: dict[str, Any]) -> dict[str, Any]:
        payload = {"round": body["round"], "t0": 0.0, "pad": "x" * int(body.get("size", 200))}
        started = time.perf_counter()
        payload["t0"] = time.time()
        await hub.emit_async("bench", payload, room=ROOM)
        return {"emit_ms": (time.perf_counter() - started) * 1000.0}

    @app.get("/bench/stats")
    async def stats() -> dict[str, Any]:
        gc.collect()
        return {"rss_kib": rss_kib(), "connections": len(hub._principals)}

    uvicorn.run(
        hub.wrap(app), host=HOST, port=port, log_level="warning", ws=ws, lifespan="on",
        ws_per_message_deflate=deflate, timeout_graceful_shutdown=3,
    )


# ------------------------------------------------------------------------------ clients


async def run_clients(urls: list[str], count: int, offset: int, deflate: bool) -> None:
    """Connect ``count`` clients spread over ``urls``, join the room, report latencies."""
    from websockets.asyncio.client import connect

    raise_fd_limit()
    loop = asyncio.get_running_loop()
    received: dict[int, list[float]] = {}
    done_rounds: set[int] = set()
    sockets: list[Any] = []
    failures: list[str] = []
    ready = 0
    out = sys.stdout

    def report(message: dict[str, Any]) -> None:
        out.write(json.dumps(message) + "\n")
        out.flush()

    async def one(index: int, gate: asyncio.Semaphore) -> None:
        nonlocal ready
        base = urls[index % len(urls)].replace("http://", "ws://")
        async with gate:
            ws = await connect(
                f"{base}/ws/socket.io/?EIO=4&transport=websocket",
                compression="deflate" if deflate else None,
                max_size=2**22, ping_interval=None, open_timeout=60, close_timeout=2,
            )
            sockets.append(ws)
            opening = await ws.recv()
            assert opening.startswith("0"), opening
            await ws.send("40" + json.dumps({"token": f"bench:{offset + index}"}))
            while True:
                message = await ws.recv()
                if message == "2":
                    await ws.send("3")
                elif message.startswith("40"):
                    break
                elif message.startswith("44"):
                    raise RuntimeError(f"refused: {message}")
            await ws.send("420" + json.dumps(["join", {"room": ROOM}]))
            while True:
                message = await ws.recv()
                if message == "2":
                    await ws.send("3")
                elif message.startswith("430"):
                    if not json.loads(message[3:])[0].get("ok"):
                        raise RuntimeError(f"join refused: {message}")
                    break
        ready += 1
        async for message in ws:
            if message == "2":
                await ws.send("3")
            elif message.startswith('42["bench"'):
                now = time.time()
                data = json.loads(message[2:])[1]
                bucket = received.setdefault(data["round"], [])
                bucket.append((now - data["t0"]) * 1000.0)
                if len(bucket) == count - len(failures):
                    done_rounds.add(data["round"])
                    report({"round": data["round"], "latencies_ms": bucket})
            # presence broadcasts and anything else: ignored without parsing

    gate = asyncio.Semaphore(64)
    tasks = [loop.create_task(one(i, gate)) for i in range(count)]
    deadline = time.monotonic() + 90
    while ready + len(failures) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        for task in tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                failures.append(repr(task.exception()))
                tasks.remove(task)
                break
    report({"ready": ready, "failed": len(failures), "errors": failures[:3]})
    # Wait for the orchestrator to say we are done (a line on stdin), then close.
    await loop.run_in_executor(None, sys.stdin.readline)
    for task in tasks:
        task.cancel()
    for ws in sockets:
        with contextlib.suppress(Exception):
            await ws.close()


# ------------------------------------------------------------------------------ orchestration


class Proc:
    def __init__(self, args: list[str], env: dict[str, str] | None = None, pipe: bool = False):
        self.popen = subprocess.Popen(
            [sys.executable, __file__, *args],
            stdin=subprocess.PIPE if pipe else subprocess.DEVNULL,
            stdout=subprocess.PIPE if pipe else subprocess.DEVNULL,
            text=True, env=env or os.environ.copy(),
        )

    def read(self, timeout: float) -> dict[str, Any]:
        import selectors

        assert self.popen.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.popen.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise TimeoutError("client process did not answer in time")
        line = self.popen.stdout.readline()
        if not line:
            raise RuntimeError("client process exited")
        return json.loads(line)

    def stop(self) -> None:
        if self.popen.stdin is not None:
            with contextlib.suppress(Exception):
                self.popen.stdin.write("quit\n")
                self.popen.stdin.flush()
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.popen.kill()


def http(method: str, url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    import httpx

    response = httpx.request(method, url, json=body, timeout=30)
    response.raise_for_status()
    return response.json()


def wait_up(url: str, proc: Proc, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {proc.popen.returncode}")
        with contextlib.suppress(Exception):
            http("GET", f"{url}/bench/stats")
            return
        time.sleep(0.1)
    raise TimeoutError(f"server {url} did not start")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(q / 100.0 * (len(ordered) - 1))))
    return ordered[k]


def scenario(
    name: str, workers: int, clients: int, rounds: int, procs: int, redis_url: str | None,
    ws: str, deflate: bool, size: int, server_deflate: bool,
) -> dict[str, Any]:
    prefix = f"rm365bench-{uuid.uuid4().hex[:8]}"
    ports = [free_port() for _ in range(workers)]
    urls = [f"http://{HOST}:{port}" for port in ports]
    servers = []
    client_procs: list[Proc] = []
    started = time.monotonic()
    try:
        for port in ports:
            args = ["--serve", str(port), "--prefix", prefix, "--ws", ws]
            if server_deflate:
                args.append("--server-deflate")
            if redis_url:
                args += ["--redis", redis_url]
            servers.append(Proc(args))
        for url, server in zip(urls, servers, strict=True):
            wait_up(url, server)
        time.sleep(0.3)
        baseline = [http("GET", f"{url}/bench/stats")["rss_kib"] for url in urls]

        per_proc = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
        offset = 0
        for count in per_proc:
            args = ["--client-proc", ",".join(urls), "--count", str(count),
                    "--offset", str(offset)]
            if deflate:
                args.append("--deflate")
            client_procs.append(Proc(args, pipe=True))
            offset += count
        connected = 0
        failed = 0
        for proc in client_procs:
            ready = proc.read(timeout=120)
            connected += ready["ready"]
            failed += ready["failed"]
            if ready["failed"]:
                print(f"  {name}: {ready['failed']} clients failed: {ready['errors']}",
                      file=sys.stderr)
        connect_s = time.monotonic() - started
        time.sleep(1.0)  # let presence broadcasts settle
        stats = [http("GET", f"{url}/bench/stats") for url in urls]
        rss_growth = sum(s["rss_kib"] for s in stats) - sum(baseline)
        assert sum(s["connections"] for s in stats) == connected, stats

        emit_ms: list[float] = []
        latencies: list[float] = []
        per_round_max: list[float] = []
        missing = 0
        for round_number in range(rounds):
            emit_ms.append(
                http("POST", f"{urls[0]}/bench/emit", {"round": round_number, "size": size})[
                    "emit_ms"]
            )
            round_latencies: list[float] = []
            for proc in client_procs:
                try:
                    result = proc.read(timeout=20)
                except TimeoutError:
                    missing += 1
                    continue
                round_latencies.extend(result["latencies_ms"])
            latencies.extend(round_latencies)
            per_round_max.append(max(round_latencies, default=float("nan")))
            time.sleep(0.2)
        return {
            "name": name,
            "workers": workers,
            "clients": connected,
            "failed": failed,
            "connect_s": connect_s,
            "emit_ms": statistics.median(emit_ms),
            "p50_ms": percentile(latencies, 50),
            "p99_ms": percentile(latencies, 99),
            "max_ms": max(latencies) if latencies else float("nan"),
            "kib_per_conn": rss_growth / max(connected, 1),
            "deliveries": len(latencies),
            "expected": connected * rounds,
            "missing_reports": missing,
            "emit_ms_rounds": emit_ms,
            "max_ms_rounds": per_round_max,
        }
    finally:
        for proc in client_procs:
            proc.stop()
        for server in servers:
            server.popen.terminate()
        for server in servers:
            try:
                server.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.popen.kill()
        if redis_url:
            with contextlib.suppress(Exception):
                import redis

                client = redis.Redis.from_url(redis_url)
                keys = list(client.scan_iter(match=f"{prefix}:*"))
                if keys:
                    client.delete(*keys)
                client.close()


def redis_reachable(url: str) -> bool:
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        client.ping()
        client.close()
        return True
    except Exception:
        return False


def print_table(results: list[dict[str, Any]], rounds: int) -> None:
    header = (f"{'scenario':<22}{'clients':>8}{'emit ms':>9}{'p50 ms':>9}{'p99 ms':>9}"
              f"{'max ms':>9}{'KiB/conn':>10}{'p99/aim':>9}{'mem/aim':>9}{'delivered':>12}")
    print()
    print(f"Broadcast of one event to a room, {rounds} rounds per scenario "
          f"(aim: p99 < {AIM_P99_MS:.0f} ms, < {AIM_KIB_PER_CONNECTION:.0f} KiB/connection)")
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r['name']:<22}{r['clients']:>8}{r['emit_ms']:>9.1f}{r['p50_ms']:>9.1f}"
            f"{r['p99_ms']:>9.1f}{r['max_ms']:>9.1f}{r['kib_per_conn']:>10.1f}"
            f"{r['p99_ms'] / AIM_P99_MS:>9.2f}{r['kib_per_conn'] / AIM_KIB_PER_CONNECTION:>9.2f}"
            f"{r['deliveries']:>6}/{r['expected']:<5}"
        )
    print()
    for r in results:
        verdict = "meets" if (r["p99_ms"] < AIM_P99_MS
                              and r["kib_per_conn"] < AIM_KIB_PER_CONNECTION) else "MISSES"
        print(f"  {r['name']}: {verdict} the aim; connect+join of all clients took "
              f"{r['connect_s']:.1f} s; failed clients: {r['failed']}")
        print(f"    per round: emit ms {', '.join(f'{v:.1f}' for v in r['emit_ms_rounds'])}; "
              f"slowest client ms {', '.join(f'{v:.0f}' for v in r['max_ms_rounds'])}")
    print("  (p99/aim and mem/aim below 1.00 meet the aim)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--client-procs", type=int, default=2,
                        help="processes the clients are spread over")
    parser.add_argument("--redis", default=os.environ.get("RM365_BENCH_REDIS_URL")
                        or os.environ.get("RM365_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0")
    parser.add_argument("--no-redis", action="store_true", help="skip the 2-worker scenario")
    parser.add_argument("--ws", default="auto", help="uvicorn WebSocket implementation")
    parser.add_argument("--no-deflate", action="store_true",
                        help="clients do not offer permessage-deflate (browsers do)")
    parser.add_argument("--server-deflate", action="store_true",
                        help="let uvicorn accept permessage-deflate (its default; the "
                        "recommended setting for the hub is off: ~48 KiB more per connection)")
    parser.add_argument("--size", type=int, default=200, help="padding bytes in the event")
    parser.add_argument("--json", help="also write the results to this file")
    # internal modes
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--prefix", default="rm365bench", help=argparse.SUPPRESS)
    parser.add_argument("--client-proc", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--offset", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--deflate", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.serve:
        # A worker uses Redis only when the orchestrator passed --redis explicitly.
        serve(args.serve, args.redis if "--redis" in sys.argv else None, args.prefix, args.ws,
              args.server_deflate)
        return 0
    if args.client_proc:
        try:
            import uvloop

            uvloop.install()
        except ImportError:  # pragma: no cover
            pass
        asyncio.run(run_clients(args.client_proc.split(","), args.count, args.offset,
                                args.deflate))
        return 0

    deflate = not args.no_deflate
    procs = max(1, min(args.client_procs, args.clients))
    results = []
    started = time.monotonic()
    print(f"1 worker, {args.clients} clients in {procs} client process(es) ...", flush=True)
    results.append(scenario("1 worker", 1, args.clients, args.rounds, procs, None, args.ws,
                            deflate, args.size, args.server_deflate))
    if args.no_redis:
        print("2 workers + Redis: skipped (--no-redis)")
    elif not redis_reachable(args.redis):
        print(f"2 workers + Redis: skipped (no Redis answers at {args.redis}; use --redis URL)")
    else:
        print(f"2 workers + Redis, {args.clients} clients split across them ...", flush=True)
        results.append(scenario("2 workers + Redis", 2, args.clients, args.rounds, procs,
                                args.redis, args.ws, deflate, args.size,
                                args.server_deflate))
    print_table(results, args.rounds)
    print(f"  total time {time.monotonic() - started:.0f} s; clients "
          f"{'offer' if deflate else 'do not offer'} permessage-deflate; server "
          f"ws_per_message_deflate={args.server_deflate}; uvicorn ws={args.ws}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
