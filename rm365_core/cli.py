"""The ``rm365`` command: serve, plugins, db, users, doctor, and commands from plugins."""

from __future__ import annotations

import inspect
import os
import secrets
import sys
from typing import Annotated, Any

import typer

from ._settings import SettingsError, load_settings

app = typer.Typer(help="RM365 Toolbox: staff tools for warehouse and retail.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
devices_app = typer.Typer(help="Paired bridges.", no_args_is_help=True)
app.add_typer(devices_app, name="devices")


def _kernel() -> Any:
    from ._app import build_kernel

    try:
        return build_kernel(load_settings())
    except SettingsError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from None


def _ensure_admin(kernel: Any, username: str, password: str, *, reset: bool) -> bool:
    """Create ``username`` as admin; with ``reset`` an existing one gets ``password``."""
    from sqlalchemy import select

    from ._core.models import User
    from ._core.service import UserService

    service = UserService(kernel)
    with kernel.databases.session("core") as session:
        service.seed_roles(session)
        existing = session.scalar(select(User).where(User.username == username.lower()))
        if existing is None:
            service.create_admin(session, username, password)
            return True
        if reset:
            service.update_user(session, username, {"password": password, "role": "admin", "active": True}, "cli")
            return True
    return False


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (use Redis for >1).")] = 1,
    demo: Annotated[bool, typer.Option(help="Create an admin and demo data; print the password.")] = False,
    log_level: Annotated[str, typer.Option(help="Log level.")] = "info",
) -> None:
    """Run the web server (API, realtime hub and web shell)."""
    import logging

    import uvicorn

    from . import _migrations
    from ._app import asgi_app, create_app

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _check_port_free(host, port)
    kernel = _kernel()
    settings = kernel.settings
    upgrade = settings.auto_upgrade if settings.auto_upgrade is not None else settings.embedded
    if upgrade or demo:
        _migrations.upgrade(kernel)
    problems = _migrations.pending(kernel)
    for plugin, problem in problems.items():
        typer.secho(f"warning: {plugin}: {problem}", fg="yellow", err=True)
    if demo:
        password = secrets.token_urlsafe(12)
        _ensure_admin(kernel, "admin", password, reset=True)
        from ._core.service import UserService

        with kernel.databases.session("core") as session:
            UserService(kernel).seed_roles(session)
        kernel.plugins.call_each("demo_data", kernel=kernel)
        shown = "localhost" if host in ("127.0.0.1", "::1", "0.0.0.0") else host  # noqa: S104
        typer.secho(
            f"\n  Demo site ready: http://{shown}:{port}/\n  Log in as admin with password: {password}\n",
            fg="green",
            bold=True,
        )
    if workers > 1 and not settings.redis_url:
        typer.secho(
            "warning: several workers without RM365_REDIS_URL: realtime rooms are not shared",
            fg="yellow",
            err=True,
        )
    common: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": log_level,
        # X-Forwarded-For is believed only from RM365_TRUSTED_PROXIES, by the app itself
        # (uvicorn's own handling would trust 127.0.0.1, so anything local could pick its address).
        "proxy_headers": False,
        # Per-message deflate roughly doubles the memory of every idle realtime connection.
        "ws_per_message_deflate": False,
    }
    bridge = _start_demo_bridge(kernel, host, port) if demo else None
    try:
        if workers == 1:
            uvicorn.run(asgi_app(create_app(kernel=kernel, upgrade=False, freeze_heap=True)), **common)
        else:
            kernel.databases.dispose()
            os.environ["RM365_AUTO_UPGRADE"] = "0"  # done above, once, not by every worker
            # A worker builds the whole site (plugins, databases, hub) before it answers the
            # supervisor's health check: give it time on a loaded machine rather than killing
            # it after uvicorn's default 5 s and starting another one that meets the same fate.
            if "timeout_worker_healthcheck" in inspect.signature(uvicorn.Config).parameters:
                common["timeout_worker_healthcheck"] = 120
            uvicorn.run("rm365_core._app:make_asgi", factory=True, workers=workers, **common)
    finally:
        if bridge is not None:
            bridge.terminate()
            bridge.wait(10)


def _start_demo_bridge(kernel: Any, host: str, port: int) -> Any:
    """With rm365-bridge installed, pair a simulated bridge (once) and run it next to the
    server, so card and finger pages work out of the box: append ``card <UID>`` or
    ``finger <employee code>`` lines to its input file."""
    import importlib.util
    import subprocess

    if importlib.util.find_spec("rm365_bridge") is None:
        return None
    from rm365_bridge.config import BridgeConfig, Credentials

    folder = kernel.settings.data_dir / "demo-bridge"
    config = BridgeConfig(folder)
    swipes = (folder / "swipes.txt").resolve()
    server = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"  # noqa: S104
    name = "Demo station"
    credentials = config.credentials()
    if credentials is None or kernel.devices.authenticate(credentials.token) is None:
        for device in kernel.devices.list_devices():
            if device.name == name:
                kernel.devices.delete(device.id)
        code, _expires = kernel.devices.create_pairing_code(name, "Demo")
        device, token = kernel.devices.pair(code, ["simulated"])
        credentials = Credentials(server=server, token=token, device_id=device.id, name=name, site="Demo")
    credentials.server = server
    config.save_credentials(credentials)
    config.write_drivers({"simulated": {"input": str(swipes)}})
    swipes.touch()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "rm365_bridge.cli", "run", "--config-dir", str(folder)]
    )
    typer.secho(
        f"  Demo bridge {name!r} is running: swipe a card with\n    echo 'card 04A1B2C3' >> {swipes}\n",
        fg="green",
    )
    return process


def _check_port_free(host: str, port: int) -> None:
    """Fail before touching anything (such as the demo admin's password) if the port is taken."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            typer.secho(f"error: cannot listen on {host}:{port}: {exc.strerror}", fg="red", err=True)
            raise typer.Exit(1) from None


@app.command()
def worker(
    threads: Annotated[int | None, typer.Option(min=1, help="Jobs run at once (default RM365_JOBS_THREADS).")] = None,
    log_level: Annotated[str, typer.Option(help="Log level.")] = "info",
) -> None:
    """Run background jobs from the site's queue (several workers may share one Redis)."""
    import logging

    from ._jobs_worker import run_worker

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run_worker(_kernel(), threads)


@app.command("plugins")
def plugins_command() -> None:
    """List plugins with their version, state and error."""
    kernel = _kernel()
    rows = sorted(kernel.plugins.plugins.values(), key=lambda p: p.name)
    width = max(len(p.name) for p in rows)
    for plugin in rows:
        requires = f" requires={','.join(plugin.manifest.requires)}" if plugin.manifest.requires else ""
        line = f"{plugin.name:<{width}}  {plugin.manifest.version:<8} {plugin.state:<18}{requires}"
        colour = "green" if plugin.state == "enabled" else ("yellow" if plugin.state == "disabled" else "red")
        typer.secho(line, fg=colour)
        if plugin.error:
            typer.echo(f"{'':<{width}}  error: {plugin.error}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every enabled plugin's migrations."""
    from . import _migrations

    kernel = _kernel()
    for name in _migrations.upgrade(kernel):
        typer.echo(f"{name}: up to date")


@db_app.command("revision")
def db_revision(
    plugin: str,
    message: Annotated[str, typer.Option("-m", "--message")],
    empty: Annotated[bool, typer.Option(help="Write an empty migration.")] = False,
) -> None:
    """Write a new migration for PLUGIN from its models (the database must be up to date)."""
    from . import _migrations

    kernel = _kernel()
    if plugin not in kernel.tables:
        typer.secho(f"error: plugin {plugin!r} has no tables or is not enabled", fg="red", err=True)
        raise typer.Exit(1)
    _migrations.revision(kernel, plugin, message, autogenerate=not empty)


@users_app.command("create-admin")
def create_admin(
    username: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create an administrator (the password is read from stdin or asked for)."""
    from . import _migrations
    from ._auth import validate_password_strength

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    problem = validate_password_strength(password)
    if problem:
        typer.secho(f"error: {problem}", fg="red", err=True)
        raise typer.Exit(1)
    kernel = _kernel()
    if kernel.settings.embedded:
        _migrations.upgrade(kernel, ["core"])
    if not _ensure_admin(kernel, username, password, reset=False):
        typer.secho(f"error: user {username!r} already exists", fg="red", err=True)
        raise typer.Exit(1)
    typer.echo(f"admin {username!r} created")


@app.command()
def doctor() -> None:
    """Check settings, databases, migrations and plugins; exit 1 on any problem."""
    from . import _migrations

    problems: list[str] = []
    try:
        settings = load_settings()
        settings.resolve_secret()
    except SettingsError as exc:
        typer.secho(f"problem: settings: {exc}", fg="red")
        raise typer.Exit(1) from None
    kernel = _kernel()
    for name, state in kernel.databases.check().items():
        if state != "ok":
            problems.append(f"database {name}: cannot connect to {_safe_url(kernel.databases.url(name))}")
    if not problems:
        for plugin, problem in _migrations.pending(kernel).items():
            problems.append(f"migrations {plugin}: {problem}")
    for plugin in kernel.plugins.plugins.values():
        if plugin.state in ("failed", "missing-dependency", "incompatible"):
            problems.append(f"plugin {plugin.name}: {plugin.state}: {plugin.error}")
    if settings.plugins:
        for name in settings.plugins:
            if name not in kernel.plugins.plugins:
                problems.append(f"plugin {name}: named in RM365_PLUGINS but not installed")
    for problem in problems:
        typer.secho(f"problem: {problem}", fg="red")
    if problems:
        raise typer.Exit(1)
    typer.secho("ok: settings, databases, migrations and plugins are fine", fg="green")


@devices_app.command("pairing-code")
def pairing_code(
    name: Annotated[str, typer.Argument(help="the device's name, e.g. 'Front desk PC'")],
    site: Annotated[str, typer.Option(help="where it is")] = "",
) -> None:
    """Create a one-time code (10 minutes) to pair a bridge: `rm365-bridge pair --code CODE`."""
    from . import _migrations
    from ._errors import DomainError

    kernel = _kernel()
    if kernel.settings.embedded:
        _migrations.upgrade(kernel, ["core"])
    try:
        code, expires = kernel.devices.create_pairing_code(name, site, by="cli")
    except DomainError as exc:
        typer.secho(f"error: {exc.message}", fg="red", err=True)
        raise typer.Exit(1) from None
    typer.echo(code)
    typer.echo(f"single use, valid until {expires:%H:%M:%S} UTC", err=True)


@devices_app.command("list")
def list_devices_command() -> None:
    """Paired bridges: name, site, drivers, online, last seen."""
    for device in _kernel().devices.list_devices():
        state = "revoked" if device.revoked else ("online" if device.online else "offline")
        typer.echo(
            f"{device.id:>4}  {device.name:<24} {device.site:<12} {state:<8} "
            f"{','.join(device.drivers) or '-':<24} {device.last_seen or 'never'}"
        )


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _plugin_commands() -> None:
    """Let enabled plugins add ``rm365 <plugin> ...`` commands."""
    if len(sys.argv) > 1 and sys.argv[1] in {"serve", "worker", "plugins", "db", "users", "doctor"}:
        return
    try:
        from ._app import build_kernel

        kernel = build_kernel(load_settings())
    except Exception:  # noqa: BLE001 - the built-in commands must still work
        return
    for plugin in kernel.plugins.enabled():
        sub = typer.Typer(help=f"Commands of the {plugin.name} plugin.", no_args_is_help=True)
        try:
            kernel.plugins.call_plugin(plugin, "register_cli", kernel=kernel, app=sub)
        except Exception as exc:  # noqa: BLE001 - one plugin's commands must not break the rest
            typer.secho(f"warning: plugin {plugin.name}: register_cli failed: {exc}", fg="yellow", err=True)
            continue
        if sub.registered_commands or sub.registered_groups:
            app.add_typer(sub, name=plugin.name)


def main() -> None:
    _plugin_commands()
    app()


if __name__ == "__main__":
    main()
