"""Scanner batches: queued entries applied one by one, each in its own transaction and with
its own answer. A ``client_id`` is applied once, ever; a bad entry answers ``error`` and the
others go on."""

from __future__ import annotations

import logging
from typing import Any

from rm365_core import DomainError

from .codes import clean_code
from .context import Context
from .engine import adjust
from .errors import InsufficientStock, Invalid

log = logging.getLogger("rm365.inventory")


def _entry_args(ctx: Context, index: int, entry: Any) -> tuple[str, str, Any, str, str]:
    """``(client_id, code, quantity, reason, location)`` of a batch entry, or Invalid."""
    if not isinstance(entry, dict):
        raise Invalid(f"entry {index} is not an object", entry=index)
    client_id = entry.get("client_id")
    if not isinstance(client_id, str) or not client_id.strip():
        raise Invalid(f"entry {index} has no client_id (text)", entry=index, field="client_id")
    code = entry.get("code")
    if not isinstance(code, str) or not clean_code(code):
        raise Invalid(f"entry {index}: the code is empty or not text", entry=index, field="code")
    reason = entry.get("reason")
    if reason is None or reason == "":
        reason = ctx.settings.batch_default_reason
    elif not isinstance(reason, str):
        raise Invalid(f"entry {index}: the reason must be text", entry=index, field="reason")
    location = entry.get("location")
    if location is None or location == "":
        location = "auto"
    elif not isinstance(location, str):
        raise Invalid(f"entry {index}: the location must be text", entry=index, field="location")
    return client_id, code, entry.get("quantity", 1), reason, location


def apply_batch(ctx: Context, entries: list[Any], user: Any) -> list[dict[str, Any]]:
    """Apply scanner entries one by one; each answers ``{client_id, status: applied |
    duplicate | error, message}``, whatever the others do."""
    settings = ctx.settings
    if len(entries) > settings.max_batch:
        raise Invalid(f"a batch holds at most {settings.max_batch} entries; send the rest in another")
    results = []
    for index, entry in enumerate(entries):
        raw_id = entry.get("client_id") if isinstance(entry, dict) else None
        answer: dict[str, Any] = {"client_id": raw_id if isinstance(raw_id, str) else None}
        try:
            client_id, code, quantity, reason, location = _entry_args(ctx, index, entry)
            result = adjust(ctx, code, quantity, reason, location, user=user, source="scanner", client_id=client_id)
        except DomainError as exc:
            answer.update(status="error", message=exc.message)
            if isinstance(exc, InsufficientStock):
                answer["stock"] = exc.fields.get("stock")
        except Exception:  # noqa: BLE001 - one entry's failure must not stop the others
            log.exception("scanner batch entry %d failed", index)
            answer.update(status="error", message=f"entry {index} could not be applied (server error; logged)")
        else:
            if result["duplicate"]:
                answer.update(status="duplicate", message=f"already applied as adjustment {result['id']}")
            else:
                answer.update(status="applied", message=f"{result['sku']} now {result['total_after']}")
            answer["adjustment"] = result
        results.append(answer)
    return results
