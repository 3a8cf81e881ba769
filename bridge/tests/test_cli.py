"""The command line: drivers, test DRIVER, status before pairing, run without a pairing."""

from __future__ import annotations

import threading
import time

from rm365_bridge.cli import app
from rm365_bridge.config import BridgeConfig
from typer.testing import CliRunner


def test_drivers_lists_every_installed_driver_and_what_it_finds(tmp_path):
    config = BridgeConfig(tmp_path)
    config.write_drivers({"simulated": {"input": str(tmp_path / "feed.txt")}})

    result = CliRunner().invoke(app, ["drivers", "--config-dir", str(tmp_path)])

    assert result.exit_code == 0, result.output
    lines = {line.split()[1]: line for line in result.output.splitlines()}
    assert set(lines) >= {"simulated", "serial-card", "r30x-fingerprint", "secugen"}
    assert lines["simulated"].startswith("on ") and "follows" in lines["simulated"]
    assert lines["secugen"].startswith("off") and "not found" in lines["secugen"]


def test_test_reads_one_card_and_prints_it(tmp_path):
    feed = tmp_path / "feed.txt"
    feed.write_text("card OLD\n")  # lines from before are not a new swipe
    BridgeConfig(tmp_path).write_drivers({"simulated": {"input": str(feed)}})

    def swipe() -> None:
        time.sleep(1.0)
        with feed.open("a") as handle:
            handle.write("card 04:a1:b2:c3\n")

    threading.Thread(target=swipe).start()
    result = CliRunner().invoke(app, ["test", "simulated", "--config-dir", str(tmp_path), "--timeout", "10"])

    assert result.exit_code == 0, result.output
    assert '{"type": "card.read", "data": {"uid": "04A1B2C3"}}' in result.output


def test_status_and_run_say_when_the_bridge_is_not_paired(tmp_path):
    status = CliRunner().invoke(app, ["status", "--config-dir", str(tmp_path)])
    run = CliRunner().invoke(app, ["run", "--config-dir", str(tmp_path)])

    assert "Not paired" in status.output and "Queued events: 0" in status.output
    assert run.exit_code == 1 and "not paired" in run.output


def test_an_unknown_driver_is_named(tmp_path):
    result = CliRunner().invoke(app, ["test", "nfc-magic", "--config-dir", str(tmp_path)])

    assert result.exit_code == 1 and "no driver 'nfc-magic' is installed" in result.output
