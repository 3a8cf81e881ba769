"""Attendance: hours and logs over a year of clocking, and clocking throughput.

200 people x one year of working days (two sessions a day, night shifts among them: about
200,000 events) are seeded straight into the database, then the per-day rows are built
from them (timed). A served site (2 uvicorn workers) answers, each timed as the best of 3
(and the median) next to ``GET /api/health`` in the same run (ratio):

* ``GET /work-hours`` for a month and for the year (first page, with the count and the
  totals over every matching day; aim: under 1 s for the year), and the year's CSV (every
  row, about 50,000);
* ``GET /logs`` for a month and for the year, and the month's CSV;
* ``POST /clock`` through the API with wrk (each person clocking a minute after their
  last, so no duplicate short-cut), against ``GET /api/health`` with the same connections.

On SQLite (a fresh data folder) and PostgreSQL (a fresh database, dropped afterwards).

    python benchmarks/bench_attendance.py                 # both databases, 5 s wrk runs
    python benchmarks/bench_attendance.py --sqlite-only   # no PostgreSQL server needed
    python benchmarks/bench_attendance.py --people 50     # smaller
"""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from _harness import WrkResult, base_env, cli, fresh_postgres_database, lua_get, serve, wrk
from rm365_attendance import engine
from rm365_attendance.models import ClockEvent
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.orm import Session

ZONE = ZoneInfo("Europe/London")
MAX_SHIFT = timedelta(hours=16)
PLUGINS = "enrollment,attendance"


def seed(url: str, people: int, days: int) -> tuple[int, float]:
    """People and a year of clocking; returns (events, seconds to build the day rows)."""
    from rm365_enrollment.models import CodeCounter, Employee

    db = create_engine(url)
    rng = random.Random(9)
    today = datetime.now(ZONE).date()
    start = today - timedelta(days=days)
    with Session(db) as session:
        session.execute(
            insert(Employee),
            [
                {
                    "code_number": n,
                    "employee_code": f"EMP{n:03d}",
                    "name": f"Person {n:04d}",
                    "kind": "employee",
                    "location": ["Warehouse", "Shop", "Office", "Night shift"][n % 4],
                    "status": "active",
                    "card_uid": f"B{n:07X}",
                    "created_at": datetime.now(UTC),
                    "updated_at": datetime.now(UTC),
                }
                for n in range(1, people + 1)
            ],
        )
        session.add(CodeCounter(id=1, last_number=people))
        ids = list(session.scalars(select(Employee.id).order_by(Employee.id)))
        rows: list[dict[str, Any]] = []
        for person in ids:
            night = person % 4 == 3
            for offset in range(days):
                day = start + timedelta(days=offset)
                if day.weekday() >= 5:
                    continue
                if night:
                    spans = [(22 + rng.uniform(-0.2, 0.2), 26), (26.5, 30 + rng.uniform(0, 0.3))]
                else:
                    lunch = 12.5 + rng.uniform(-0.3, 0.3)
                    spans = [(8.5 + rng.uniform(-0.3, 0.7), lunch), (lunch + 0.5, 17 + rng.uniform(-0.3, 1))]
                for begin, end in spans:
                    for hour, direction in ((begin, "in"), (end, "out")):
                        at = (datetime.combine(day, dtime(0), tzinfo=ZONE) + timedelta(hours=hour)).astimezone(UTC)
                        rows.append(
                            {
                                "employee_id": person,
                                "at": at,
                                "direction": direction,
                                "source": "card",
                                "device_name": "Front door",
                                "created_by": "bench",
                            }
                        )
        for chunk in range(0, len(rows), 20_000):
            session.execute(insert(ClockEvent), rows[chunk : chunk + 20_000])
        session.commit()
        began = time.perf_counter()
        engine.rebuild_all(session, ids, ZONE, MAX_SHIFT)
        session.commit()
        built = time.perf_counter() - began
    if db.dialect.name == "postgresql":
        with db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with db.connect() as conn:
            conn.execute(text("ANALYZE"))
    db.dispose()
    return len(rows), built


def timed(call: Callable[[], httpx.Response], runs: int = 3) -> tuple[float, float, httpx.Response]:
    """(best, median) seconds of ``runs`` calls, and the last answer."""
    times = []
    response = None
    for _ in range(runs):
        began = time.perf_counter()
        response = call()
        times.append(time.perf_counter() - began)
        assert response.status_code == 200, response.text[:300]
    assert response is not None
    return min(times), statistics.median(times), response


def lua_clock(api: str, token: str, people: int, base: datetime) -> str:
    """Each request clocks the next person, a minute after that person's last clock."""
    epoch = int(base.timestamp())
    return (
        f'wrk.headers["Authorization"] = "Bearer {token}"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        "counter = 0\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        f"  local person = counter % {people} + 1\n"
        f"  local at = os.date('!%Y-%m-%dT%H:%M:%SZ', {epoch} + math.floor(counter / {people}) * 60)\n"
        "  local body = string.format('{\"employee_id\": %d, \"at\": \"%s\"}', person, at)\n"
        f'  return wrk.format("POST", "{api}/clock", nil, body)\n'
        "end\n"
    )


def show(result: WrkResult, baseline: WrkResult) -> None:
    print(
        f"  {result.label:<44}{result.rps:8.0f} req/s  p50 {result.p50_ms:6.1f} ms  p99 {result.p99_ms:7.1f} ms"
        f"  {result.rps / baseline.rps:5.2f}x health" + (f"  ({result.errors} errors)" if result.errors else ""),
        flush=True,
    )


def run(label: str, database: AbstractContextManager[str | None], args: argparse.Namespace) -> None:
    with database as url:
        data_dir = tempfile.mkdtemp(prefix="rm365-bench-att-")
        env = base_env(
            url or "", RM365_PLUGINS=PLUGINS, RM365_ATTENDANCE_OPEN_CHECKIN_CHECK_MINUTES="0", RM365_DATA_DIR=data_dir
        )
        if url is None:
            env.pop("RM365_DATABASE_URL")
            url = f"sqlite:///{data_dir}/attendance.sqlite3"
        cli(env, "db", "upgrade")
        password = secrets.token_urlsafe(16)
        cli(env, "users", "create-admin", "bench", "--password-stdin", stdin=password + "\n")
        began = time.perf_counter()
        events, built = seed(url, args.people, args.days)
        print(
            f"\n{label}: {args.people} people, {events:,} events seeded in {time.perf_counter() - began:.1f} s "
            f"(day rows built from them in {built:.1f} s)",
            flush=True,
        )
        with serve(env, workers=args.workers) as server, httpx.Client(base_url=server.url, timeout=120) as client:
            token = client.post("/api/v1/auth/login", json={"username": "bench", "password": password}).json()[
                "access_token"
            ]
            client.headers["Authorization"] = f"Bearer {token}"
            api = "/api/v1/attendance"
            today = datetime.now(ZONE).date()
            year = {"from": str(today - timedelta(days=args.days)), "to": str(today)}
            month = {"from": str(today - timedelta(days=30)), "to": str(today)}
            health, health_median, _ = timed(lambda: client.get("/api/health"), runs=5)
            print(
                f"  {'GET /api/health':<44}best {health * 1000:7.1f} ms  median {health_median * 1000:7.1f} ms",
                flush=True,
            )
            cases = [
                ("GET /work-hours, a month (page 1 + totals)", f"{api}/work-hours", month),
                ("GET /work-hours, the year (page 1 + totals)", f"{api}/work-hours", year),
                ("GET /work-hours.csv, the year (every row)", f"{api}/work-hours.csv", year),
                ("GET /logs, a month", f"{api}/logs", month),
                ("GET /logs, the year", f"{api}/logs", year),
                ("GET /logs.csv, a month (every event)", f"{api}/logs.csv", month),
            ]
            for name, path, params in cases:
                best, median, response = timed(lambda p=path, q=params: client.get(p, params=q))
                size = response.json()["total"] if not path.endswith(".csv") else response.text.count("\n") - 1
                aim = "  (aim < 1 s)" if "year" in name and "work-hours" in name and "csv" not in name else ""
                print(
                    f"  {name:<44}best {best * 1000:7.1f} ms  median {median * 1000:7.1f} ms  "
                    f"{best / health:7.0f}x health  {size:>7,} rows{aim}",
                    flush=True,
                )
            base = datetime.now(UTC) - timedelta(hours=3)
            baseline = wrk(
                "GET /api/health",
                server.url,
                lua_get('"/api/health"'),
                seconds=args.seconds,
                connections=args.connections,
            )
            show(baseline, baseline)
            clocking = wrk(
                "POST /clock (in/out toggle, day rows kept)",
                server.url,
                lua_clock(api, token, args.people, base),
                seconds=args.seconds,
                connections=args.connections,
            )
            show(clocking, baseline)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seconds", type=int, default=5, help="duration of each wrk run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (1 on a machine too busy for 2)")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    args = parser.parse_args()
    if not args.postgres_only:
        run("SQLite", nullcontext(None), args)
    if not args.sqlite_only:
        run("PostgreSQL", fresh_postgres_database("bench_att"), args)


if __name__ == "__main__":
    main()
