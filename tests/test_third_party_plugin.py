"""The third-party example plugin (docs/examples/rm365-hello) works when installed like any
outside package: built and installed with the kernel into a fresh virtual environment."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import rm365_core

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "docs" / "examples" / "rm365-hello"
ADMIN_PASSWORD = "correct-horse-battery-staple"


# -- fast checks, in this process -------------------------------------------------------
def test_example_imports_only_the_public_api():
    tree = ast.parse((EXAMPLE / "rm365_hello" / "plugin.py").read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rm365_core")
        for alias in node.names
        if node.module == "rm365_core"
    }
    private = [
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rm365_core.")
    ]
    assert imported == {"Tab", "hookimpl", "require_tab"}
    assert imported <= set(rm365_core.__all__)
    assert private == []


def test_example_declares_its_entry_point_and_manifest():
    import tomllib

    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())
    assert project["project"]["entry-points"]["rm365.plugins"] == {"hello": "rm365_hello.plugin"}
    assert project["build-system"]["build-backend"] == "hatchling.build"
    manifest = tomllib.loads((EXAMPLE / "rm365_hello" / "plugin.toml").read_text())
    assert manifest["core"] == ">=1,<2"


def test_example_guards_its_route_with_its_tab(rm365_site, monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLE))
    site = rm365_site(plugins=[], extra={"hello": "rm365_hello.plugin"}, discover=False)

    assert site.kernel.plugins.plugins["hello"].state == "enabled"
    assert site.kernel.plugins.plugins["hello"].manifest.title == "Hello"  # from plugin.toml
    assert site.client.get("/api/v1/hello/ping").status_code == 401
    assert site.client_with_tabs().get("/api/v1/hello/ping").status_code == 403
    answer = site.client_with_tabs("hello").get("/api/v1/hello/ping")
    assert answer.status_code == 200
    assert answer.json() == {"pong": True}


# -- installed the way an outsider would ------------------------------------------------
def _clean_env(**extra: str) -> dict[str, str]:
    """This machine's environment without our virtualenv or any RM365_ setting."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("RM365_") and k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
    }
    env.update(extra)
    return env


def _run(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, args))}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A fresh virtualenv holding the kernel and rm365-hello, both built from source."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed")
    base = tmp_path_factory.mktemp("outsider")
    env = _clean_env()
    # Pin what the lock file pins, so the outsider gets the versions the suite tests.
    constraints = base / "constraints.txt"
    _run(
        [
            uv,
            "export",
            "--frozen",
            "--no-hashes",
            "--no-dev",
            "--no-emit-workspace",
            "--no-header",
            "--no-annotate",
            "-o",
            str(constraints),
        ],
        cwd=ROOT,
        env=env,
    )
    python = base / "venv" / "bin" / "python"
    _run([uv, "venv", "--quiet", "--python", sys.executable, str(base / "venv")], cwd=base, env=env)
    install = [
        uv,
        "pip",
        "install",
        "--quiet",
        "--python",
        str(python),
        "--link-mode=copy",
        "-c",
        str(constraints),
        str(ROOT),
        str(EXAMPLE),
    ]
    offline = subprocess.run([*install, "--offline"], capture_output=True, text=True, cwd=base, env=env)
    if offline.returncode != 0:  # the cache may lack the index pages: ask the registry
        _run(install, cwd=base, env=env)
    data = base / "data"
    return {
        "python": python,
        "rm365": base / "venv" / "bin" / "rm365",
        "cwd": base,
        "env": _clean_env(RM365_DATA_DIR=str(data)),
    }


@pytest.mark.slow
def test_installed_example_is_listed_by_rm365_plugins(venv):
    result = _run([str(venv["rm365"]), "plugins"], cwd=venv["cwd"], env=venv["env"])

    lines = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.strip()}
    assert lines["hello"][1:3] == ["0.1.0", "enabled"]
    assert lines["core"][2] == "enabled"


CHECK_SCRIPT = textwrap.dedent(
    """
    import json
    import sys

    from fastapi.testclient import TestClient

    from rm365_core._app import create_app

    admin_password = sys.stdin.readline().strip()
    out = {}
    with TestClient(create_app()) as client:
        def login(username, password):
            answer = client.post("/api/v1/auth/login", json={"username": username, "password": password})
            assert answer.status_code == 200, answer.text
            return {"Authorization": "Bearer " + answer.json()["access_token"]}

        admin = login("admin", admin_password)
        plugins = client.get("/api/v1/plugins", headers=admin).json()
        out["plugins"] = {p["name"]: [p["state"], p["version"], p["title"]] for p in plugins}
        for username, tabs in (("no_tab", []), ("hello_user", ["hello"])):
            created = client.post(
                "/api/v1/users",
                json={"username": username, "password": "a-long-password", "allowed_tabs": tabs},
                headers=admin,
            )
            assert created.status_code == 201, created.text
        out["anonymous"] = client.get("/api/v1/hello/ping").status_code
        out["without_tab"] = client.get(
            "/api/v1/hello/ping", headers=login("no_tab", "a-long-password")
        ).status_code
        answer = client.get("/api/v1/hello/ping", headers=login("hello_user", "a-long-password"))
        out["with_tab"] = [answer.status_code, answer.json()]
    print(json.dumps(out))
    """
)


@pytest.mark.slow
def test_installed_example_route_is_guarded_by_its_tab(venv):
    _run(
        [str(venv["rm365"]), "users", "create-admin", "admin", "--password-stdin"],
        input=ADMIN_PASSWORD + "\n",
        cwd=venv["cwd"],
        env=venv["env"],
    )
    script = venv["cwd"] / "check_hello.py"
    script.write_text(CHECK_SCRIPT)

    result = _run([str(venv["python"]), str(script)], input=ADMIN_PASSWORD + "\n", cwd=venv["cwd"], env=venv["env"])

    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["plugins"]["hello"] == ["enabled", "0.1.0", "Hello"]
    assert out["anonymous"] == 401
    assert out["without_tab"] == 403
    assert out["with_tab"] == [200, {"pong": True}]
