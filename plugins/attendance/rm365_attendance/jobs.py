"""The periodic job: check-ins left open past the maximum shift are closed or flagged."""

from __future__ import annotations

from typing import Any

from rm365_core import Kernel, Progress

from .service import DATABASE, AttendanceService


def close_open_checkins(kernel: Kernel, progress: Progress) -> dict[str, Any]:
    service = kernel.services.get("attendance.clock")
    if not isinstance(service, AttendanceService):
        service = AttendanceService(kernel)
    with kernel.databases.session(DATABASE) as session:
        return service.close_open_checkins(session)
