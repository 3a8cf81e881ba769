"""The SecuGen driver through ctypes against a small stand-in library, built here with the
system C compiler, that exports the FDx SDK Pro functions the driver calls."""

from __future__ import annotations

import base64
import queue
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from rm365_bridge import DriverError
from rm365_bridge.drivers.secugen import SecuGenDriver
from rm365_bridge.outbox import Outbox

pytestmark = pytest.mark.skipif(
    sys.platform == "win32" or shutil.which("cc") is None, reason="builds a shared library with cc"
)

STUB = Path(__file__).parent / "secugen_stub" / "sgfplib_stub.c"


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("sdk") / "libsgfplib.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-O1", "-o", str(target), str(STUB)], check=True)
    return target


@pytest.fixture
def fingers(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "fingers.txt"
    path.write_text("")
    monkeypatch.setenv("SGSTUB_FINGERS", str(path))
    return path


def template_of(name: str) -> str:
    data = b"ANSI378:" + name.encode().ljust(64, b"\0")
    return base64.b64encode(data.ljust(400, b"\0")).decode()


@pytest.fixture
def driver(library, fingers, tmp_path):
    got: queue.Queue = queue.Queue()
    outbox = Outbox(tmp_path / "q.sqlite3")

    def emit(type: str, data: dict[str, Any], *, cursor: Any = None) -> None:
        got.put((type, data))

    instance = SecuGenDriver(
        {"library": str(library), "threshold": 100, "capture_ms": 100, "cooldown": 0, "lift_wait": 0},
        emit,
        state=outbox,
    )
    instance.open()
    instance.events = got  # type: ignore[attr-defined]
    yield instance
    instance.close()
    outbox.close()


def _press(fingers: Path, *names: str) -> None:
    with fingers.open("a") as handle:
        handle.writelines(f"{name}\n" for name in names)


def test_probe_reports_not_found_without_the_library(tmp_path):
    assert SecuGenDriver.probe({"library": str(tmp_path / "missing.so")}).startswith("not found")


def test_probe_finds_the_sensor_through_the_library(library):
    assert SecuGenDriver.probe({"library": str(library)}) == "SecuGen sensor found (260x300)"


def test_a_library_without_a_sensor_is_explained(library, monkeypatch):
    monkeypatch.setenv("SGSTUB_NO_DEVICE", "1")

    with pytest.raises(DriverError, match="no SecuGen device found"):
        SecuGenDriver({"library": str(library)}, lambda *a, **k: None).open()


def test_enrolment_returns_an_ansi_378_template_and_its_quality(driver, fingers, wait_until):
    answer: dict = {}
    worker = threading.Thread(
        target=lambda: answer.update(driver.command("fingerprint.enroll", {"employee_code": "E1", "finger": "f"}, 10))
    )
    worker.start()
    wait_until(driver.enrolling.is_set, what="enrolling")
    _press(fingers, "alice", "alice")
    worker.join(10)

    assert answer == {"template": template_of("alice"), "quality": 80}


def test_presses_of_different_fingers_are_refused(driver, fingers, wait_until):
    failure: list[Exception] = []

    def enroll() -> None:
        try:
            driver.command("fingerprint.enroll", {"employee_code": "E1", "finger": "f"}, 10)
        except DriverError as exc:
            failure.append(exc)

    worker = threading.Thread(target=enroll)
    worker.start()
    wait_until(driver.enrolling.is_set, what="enrolling")
    _press(fingers, "alice", "bob")
    worker.join(10)

    assert "do not match" in str(failure[0])


def test_a_finger_matching_a_synced_template_above_the_threshold_is_reported(driver, fingers):
    templates = [{"employee_code": "EMP7", "finger": "right_thumb", "template": template_of("carol")}]
    assert driver.command("fingerprint.sync", {"templates": templates, "threshold": 150}, 5) == {"count": 1}

    _press(fingers, "mallory", "carol")

    assert driver.events.get(timeout=15) == (
        "fingerprint.matched",
        {"employee_code": "EMP7", "finger": "right_thumb", "score": 199},
    )
    assert driver.events.empty()


def test_synced_templates_survive_a_restart_so_matching_works_offline(library, fingers, tmp_path):
    outbox = Outbox(tmp_path / "q.sqlite3")
    first = SecuGenDriver({"library": str(library)}, lambda *a, **k: None, state=outbox)
    first.command(
        "fingerprint.sync",
        {"templates": [{"employee_code": "EMP8", "finger": "x", "template": template_of("dave")}], "threshold": 120},
        5,
    )

    second = SecuGenDriver({"library": str(library)}, lambda *a, **k: None, state=outbox)
    second._load_templates()

    assert [(c, f) for c, f, _t in second.templates] == [("EMP8", "x")] and second.threshold == 120
    outbox.close()
