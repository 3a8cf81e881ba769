"""Schemathesis over the whole OpenAPI document of a site with every installed plugin, on a
live server with the real database driver: no request may answer a server error.

Run it with ``uv run nox -s schemathesis`` (SQLite, and PostgreSQL when
RM365_TEST_DATABASE_URL is set). ``RM365_FUZZ_EXAMPLES`` sets the examples per operation,
``RM365_FUZZ_CHECKS`` the Schemathesis checks (``all`` also compares answers with the document).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.fuzz, pytest.mark.slow]

EXAMPLES = int(os.environ.get("RM365_FUZZ_EXAMPLES", "25"))


def _schemathesis(site, token: str, report: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{site.url}/api/openapi.json",
        "--checks",
        os.environ.get("RM365_FUZZ_CHECKS", "not_a_server_error"),
        "--max-examples",
        str(EXAMPLES),
        "--phases",
        "examples,coverage,fuzzing",
        "--workers",
        "1",
        "--seed",
        os.environ.get("RM365_FUZZ_SEED", "365"),
        "--continue-on-failure",
        "--no-color",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
        "--header",
        f"Authorization: Bearer {token}",
        *extra,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=3600)


def test_no_request_to_any_route_answers_a_server_error(rm365_site, tmp_path):
    site = rm365_site(plugins=None, live=True, login_address_max_failures=1_000_000)
    site.kernel.plugins.call_each("demo_data", kernel=site.kernel)
    _, token = site.token_for(role="admin")
    # Logging out would end the fuzzer's own login half-way: that route runs without it.
    result = _schemathesis(site, token, tmp_path / "junit.xml", "--exclude-path", "/api/v1/auth/logout")
    output = result.stdout + result.stderr
    print(output[-20000:])
    assert result.returncode == 0, output[-6000:]
