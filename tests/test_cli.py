"""The ``rm365`` command, run as a subprocess the way an operator runs it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SECRET = "k" * 48  # long enough for production
UNREACHABLE = "postgresql+psycopg2://nobody@127.0.0.1:1/x"


class Cli:
    """Runs ``python -m rm365_core.cli`` with a data folder (and database) of its own."""

    def __init__(self, tmp_path: Path, database_url: str | None) -> None:
        self.cwd = tmp_path  # no stray .env from the repository
        self.data_dir = tmp_path / "data"
        self.database_url = database_url
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("RM365_") and k != "PYTHONPATH"}
        self.env["RM365_DATA_DIR"] = str(self.data_dir)
        if database_url:
            self.env["RM365_DATABASE_URL"] = database_url

    def __call__(self, *args: str, input: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "rm365_core.cli", *args],
            input=input,
            capture_output=True,
            text=True,
            cwd=self.cwd,
            env={**self.env, **env},
            timeout=120,
        )

    def ready(self) -> None:
        """Tables in place: the embedded default migrates by itself, a server needs the command."""
        if self.database_url:
            result = self("db", "upgrade")
            assert result.returncode == 0, result.stderr

    def settings(self) -> Any:
        from rm365_core._settings import Settings

        return Settings(env="development", data_dir=self.data_dir, database_url=self.database_url)


@pytest.fixture
def cli(tmp_path: Path, rm365_database_url: str | None) -> Cli:
    return Cli(tmp_path, rm365_database_url)


def problems(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in (result.stdout + result.stderr).splitlines() if line.startswith("problem:")]


# -- plugins ----------------------------------------------------------------------------
def test_plugins_lists_the_kernel_enabled(cli):
    result = cli("plugins")

    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.strip()}
    assert rows["core"][1:3] == ["1.0", "enabled"]


def test_plugins_shows_disabled_ones_named_out_by_rm365_plugins(cli):
    result = cli("plugins", RM365_PLUGINS="core")

    assert result.returncode == 0, result.stderr
    states = {line.split()[0]: line.split()[2] for line in result.stdout.splitlines() if line.strip()}
    assert states["core"] == "enabled"
    assert set(states.values()) <= {"enabled", "disabled"}


# -- users create-admin -----------------------------------------------------------------
@pytest.mark.slow
def test_create_admin_makes_a_user_who_can_log_in(cli):
    from fastapi.testclient import TestClient

    from rm365_core._app import create_app

    cli.ready()
    result = cli("users", "create-admin", "boss", "--password-stdin", input="a-long-password\n")
    assert result.returncode == 0, result.stderr
    assert "boss" in result.stdout

    app = create_app(cli.settings(), discover_installed=False, realtime=False)
    try:
        with TestClient(app) as client:
            answer = client.post("/api/v1/auth/login", json={"username": "boss", "password": "a-long-password"})
    finally:
        app.state.kernel.databases.dispose()
    assert answer.status_code == 200, answer.text
    assert answer.json()["role"] == "admin"


def test_create_admin_refuses_a_short_password(cli):
    result = cli("users", "create-admin", "boss", "--password-stdin", input="short\n")

    assert result.returncode != 0
    assert "at least 8 characters" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_create_admin_refuses_an_existing_user(cli):
    cli.ready()
    first = cli("users", "create-admin", "boss", "--password-stdin", input="a-long-password\n")
    assert first.returncode == 0, first.stderr

    again = cli("users", "create-admin", "boss", "--password-stdin", input="another-password\n")

    assert again.returncode != 0
    assert "already exists" in again.stderr
    assert "Traceback" not in again.stderr


# -- doctor -----------------------------------------------------------------------------
@pytest.mark.slow
def test_doctor_is_happy_with_a_healthy_data_dir(cli):
    upgraded = cli("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr

    result = cli("doctor")

    assert result.returncode == 0, result.stdout + result.stderr
    assert problems(result) == []


def test_doctor_reports_pending_migrations(cli):
    result = cli("doctor")

    assert result.returncode == 1
    lines = problems(result)
    assert any(line.startswith("problem: migrations core:") for line in lines), result.stdout
    assert any("rm365 db upgrade" in line for line in lines)


def test_doctor_reports_an_unreachable_database_in_one_line(cli):
    result = cli("doctor", RM365_DB_CORE_URL=UNREACHABLE)

    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    lines = problems(result)
    assert any(line.startswith("problem: database core: cannot connect") for line in lines), result.stdout
    assert any("127.0.0.1:1" in line for line in lines)


# -- production settings and the secret ------------------------------------------------
@pytest.mark.parametrize("command", [["serve", "--port", "18765"], ["doctor"]])
def test_production_without_a_secret_key_refuses_to_start(cli, command):
    result = cli(*command, RM365_ENV="production")

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "RM365_SECRET_KEY" in output
    assert "Traceback" not in output
    assert not (cli.data_dir / "secret_key").exists()


@pytest.mark.parametrize("command", [["serve", "--port", "18765"], ["doctor"]])
def test_production_refuses_a_short_secret_key(cli, command):
    result = cli(*command, RM365_ENV="production", RM365_SECRET_KEY="too-short")

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "RM365_SECRET_KEY" in output and "too short" in output
    assert "too-short" not in output  # the secret itself is never echoed


def test_production_accepts_a_long_secret_key_and_writes_none(cli):
    result = cli("plugins", RM365_ENV="production", RM365_SECRET_KEY=SECRET)

    assert result.returncode == 0, result.stderr
    assert not (cli.data_dir / "secret_key").exists()


@pytest.mark.slow
def test_generated_secret_is_private_and_kept(cli):
    assert cli("plugins").returncode == 0
    path = cli.data_dir / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_text()
    assert len(first) >= 32

    assert cli("plugins").returncode == 0

    assert path.read_text() == first


@pytest.mark.slow
def test_serve_on_a_taken_port_fails_before_touching_the_admin(cli):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("serve", "--demo", "--port", str(port))
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "password" not in result.stdout
