"""``rm365-bridge``: pair, run, status, drivers, test DRIVER."""

from __future__ import annotations

import json
import logging
import queue
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from .config import BridgeConfig, ConfigError, Credentials
from .driver import DriverError, load_drivers

app = typer.Typer(help="RM365 hardware bridge: card readers and fingerprint sensors at this PC.", no_args_is_help=True)

ConfigDir = Annotated[
    Path | None,
    typer.Option(
        "--config-dir", help="the bridge's folder (default: per-user config folder)", envvar="RM365_BRIDGE_CONFIG_DIR"
    ),
]


def _config(config_dir: Path | None) -> BridgeConfig:
    return BridgeConfig(config_dir)


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


@app.command()
def pair(
    server: Annotated[str, typer.Option("--server", help="the server's address, e.g. https://toolbox.example.com")],
    code: Annotated[str, typer.Option("--code", help="the pairing code from the System page")],
    config_dir: ConfigDir = None,
) -> None:
    """Trade a pairing code for this bridge's device token (kept in the config folder)."""
    config = _config(config_dir)
    server = server.rstrip("/")
    try:
        drivers = sorted(config.drivers())
    except ConfigError:
        drivers = []
    try:
        answer = httpx.post(f"{server}/api/v1/devices/pair", json={"code": code, "drivers": drivers}, timeout=30)
    except httpx.HTTPError as exc:
        raise _fail(f"could not reach {server}: {exc}") from None
    if answer.status_code != 201:
        try:
            detail = answer.json().get("detail")
        except ValueError:
            detail = answer.text[:200]
        raise _fail(f"the server refused the code ({answer.status_code}): {detail}")
    body = answer.json()
    config.save_credentials(
        Credentials(
            server=server, token=body["token"], device_id=body["device_id"], name=body["name"], site=body["site"]
        )
    )
    config.write_template()
    typer.echo(f"Paired as {body['name']!r} (device {body['device_id']}) with {server}.")
    typer.echo(f"Token kept in {config.credentials_path}; drivers are set in {config.settings_path}.")


@app.command()
def run(
    config_dir: ConfigDir = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log every detail")] = False,
) -> None:
    """Start the drivers and deliver their events to the server until stopped."""
    from .bridge import Bridge

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("socketio", "engineio", "websocket", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    config = _config(config_dir)
    try:
        bridge = Bridge(config)
    except ConfigError as exc:
        raise _fail(str(exc)) from None

    def stop(*_args: Any) -> None:
        bridge.stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    assert bridge.credentials is not None
    logging.getLogger("rm365.bridge").info(
        "bridge %r starting: server %s, folder %s", bridge.credentials.name, bridge.credentials.server, config.folder
    )
    try:
        bridge.start()
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    bridge.wait()
    bridge.stop()
    if bridge.refused:
        raise typer.Exit(2)


@app.command()
def status(
    config_dir: ConfigDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """What this bridge is paired to, its queue and its dead letters."""
    from .outbox import Outbox

    config = _config(config_dir)
    try:
        credentials = config.credentials()
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    outbox = Outbox(config.queue_path)
    try:
        dead = outbox.dead_letters()
        report: dict[str, Any] = {
            "paired": credentials is not None,
            "server": credentials.server if credentials else None,
            "device": {"id": credentials.device_id, "name": credentials.name, "site": credentials.site}
            if credentials
            else None,
            "queued": len(outbox),
            "last_delivery": outbox.get("last_delivery"),
            "dead_letters": dead,
        }
    finally:
        outbox.close()
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    if credentials is None:
        typer.echo(f"Not paired (folder {config.folder}). Run `rm365-bridge pair --server URL --code CODE`.")
    else:
        typer.echo(f"Paired as {credentials.name!r} (device {credentials.device_id}) with {credentials.server}")
    typer.echo(f"Queued events: {report['queued']}")
    typer.echo(f"Last delivery: {report['last_delivery'] or 'never'}")
    typer.echo(f"Dead letters: {len(dead)}")
    for item in dead:
        typer.echo(f"  {item['occurred_at']} {item['type']} {json.dumps(item['data'])}: {item['error']}")


@app.command()
def drivers(config_dir: ConfigDir = None) -> None:
    """Installed drivers, whether bridge.toml turns them on, and what each one finds."""
    config = _config(config_dir)
    try:
        configured = config.drivers()
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    for name, cls in load_drivers().items():
        settings = configured.get(name)
        state = "on " if settings is not None else "off"
        typer.echo(f"{state} {name:<18} {cls.probe(settings or {})}")
    for name in configured:
        if name not in load_drivers():
            typer.echo(f"??? {name:<18} named in bridge.toml but not installed")


@app.command()
def test(
    driver: Annotated[str, typer.Argument(help="the driver to try, e.g. simulated or serial-card")],
    config_dir: ConfigDir = None,
    timeout: Annotated[float, typer.Option(help="seconds to wait for a card or a finger")] = 30.0,
) -> None:
    """Read one card or one finger with DRIVER and print it (nothing is sent to the server)."""
    config = _config(config_dir)
    available = load_drivers()
    cls = available.get(driver)
    if cls is None:
        raise _fail(f"no driver {driver!r} is installed (installed: {', '.join(available)})")
    try:
        settings = config.drivers().get(driver, {})
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    got: queue.Queue[dict[str, Any]] = queue.Queue()

    def emit(type: str, data: dict[str, Any], *, cursor: Any = None) -> None:
        got.put({"type": type, "data": data})

    instance = cls({**settings, "report_unknown": True}, emit, state=None)
    try:
        instance.open()
    except DriverError as exc:
        raise _fail(f"{driver}: {exc}") from None
    typer.echo(f"{driver}: {cls.probe(settings)}; present a card or a finger (waiting {timeout:g} s)...")
    try:
        event = got.get(timeout=timeout)
    except queue.Empty:
        raise _fail(f"{driver}: nothing read within {timeout:g} s") from None
    finally:
        instance.close()
    typer.echo(json.dumps(event))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
