"""Test, lint and benchmark sessions. ``uv run nox`` runs what this machine supports.

Sessions run inside the project's uv environment (no per-session virtualenvs):
``tests`` (SQLite), ``tests_pg`` (PostgreSQL, needs RM365_TEST_DATABASE_URL),
``e2e`` (Playwright driving Chromium), ``lint`` (ruff + mypy), ``bench``, ``schemathesis``
(the whole API fuzzed on both databases; not a default session, CI runs it bounded).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.options.default_venv_backend = "none"
nox.options.sessions = ["lint", "tests", "tests_pg", "e2e"]
nox.options.error_on_missing_interpreters = False

CI = bool(os.environ.get("CI"))
#: pytest-xdist processes for the suite (one per CPU by default; ``1`` runs in one process).
WORKERS = os.environ.get("RM365_TEST_WORKERS", "auto")


def _parallel() -> list[str]:
    return [] if WORKERS in ("", "0", "1") else ["-n", WORKERS, "--dist", "loadfile"]
CHROMIUM = os.environ.get("RM365_CHROMIUM", "/usr/bin/chromium")


def _skip_or_fail(session: nox.Session, reason: str) -> None:
    if CI:
        session.error(f"{reason} (CI must run this session)")
    session.skip(reason)


@nox.session
def tests(session: nox.Session) -> None:
    """The whole suite on SQLite (PostgreSQL-only tests run in tests_pg)."""
    env = {"RM365_TEST_DATABASE_URL": ""}
    marks = "not browser and not postgres and not fuzz"
    session.run("pytest", "-m", marks, "-q", *_parallel(), *session.posargs, env=env)


@nox.session
def tests_pg(session: nox.Session) -> None:
    """The whole suite on PostgreSQL: every test site gets a fresh schema."""
    if not os.environ.get("RM365_TEST_DATABASE_URL"):
        _skip_or_fail(
            session,
            "RM365_TEST_DATABASE_URL is not set (e.g. postgresql+psycopg2://postgres@127.0.0.1:5432/test)",
        )
    session.run("pytest", "-m", "not browser and not fuzz", "-q", *_parallel(), *session.posargs)


@nox.session
def e2e(session: nox.Session) -> None:
    """Browser tests: Playwright driving the system's Chromium."""
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        _skip_or_fail(session, f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    session.run("pytest", "-m", "browser", "-q", *session.posargs)


@nox.session
def schemathesis(session: nox.Session) -> None:
    """Schemathesis over the whole OpenAPI document on SQLite, then on PostgreSQL when
    RM365_TEST_DATABASE_URL is set: zero server errors. RM365_FUZZ_EXAMPLES (default 25)
    bounds the examples per operation; CI runs it with 10 (a few minutes per database)."""
    examples = os.environ.get("RM365_FUZZ_EXAMPLES", "25")
    sqlite = {"RM365_TEST_DATABASE_URL": "", "RM365_FUZZ_EXAMPLES": examples}
    session.run("pytest", "-m", "fuzz", "-q", "tests/fuzz", *session.posargs, env=sqlite)
    if os.environ.get("RM365_TEST_DATABASE_URL"):
        session.run("pytest", "-m", "fuzz", "-q", "tests/fuzz", *session.posargs, env={"RM365_FUZZ_EXAMPLES": examples})
    else:
        _skip_or_fail(session, "RM365_TEST_DATABASE_URL is not set: Schemathesis ran on SQLite only")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (style, bugs, security) and mypy (types)."""
    extra = [d for d in ("bridge",) if Path(d).is_dir()]
    session.run("ruff", "check", "rm365_core", "plugins", "tests", "benchmarks", "noxfile.py", *extra)
    packages = sorted(str(p) for p in Path().glob("plugins/*/rm365_*") if p.is_dir())
    packages += [str(p) for p in Path().glob("bridge/rm365_*") if p.is_dir()]
    session.run("mypy", "rm365_core", *packages)


@nox.session
def bench(session: nox.Session) -> None:
    """Every benchmark under benchmarks/ (PostgreSQL and Redis where they name them)."""
    scripts = sorted(Path("benchmarks").glob("bench_*.py"))
    for script in scripts:
        session.run("python", str(script), *session.posargs)
