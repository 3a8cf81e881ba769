"""Running a plugin's intent handler and turning what it returns or raises into the ack.

The ack mirrors the HTTP answer: a :class:`~rm365_core.DomainError` becomes
``{ok: false, error: message, **fields}`` as the API answers ``{detail: message, **fields}``.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any

from ._errors import DomainError
from ._principal import Principal
from ._realtime_rooms import Intent

log = logging.getLogger("rm365.realtime")


class RealtimeError(Exception):
    """Raised by a plugin's intent handler: the message goes back to the client in the ack."""


def ack_ok(**extra: Any) -> dict[str, Any]:
    return {"ok": True, **extra}


def ack_error(message: str, **extra: Any) -> dict[str, Any]:
    return {**extra, "ok": False, "error": message}


def _encode(value: Any) -> Any:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(value)


async def run_intent(intent: Intent, principal: Principal, data: Any, sid: str) -> Any:
    """The ack of ``intent`` called by ``principal``: refused without the intent's tab;
    sync handlers run in a worker thread (they may use the database and ``hub.emit``)."""
    if not principal.has_tab(intent.tab):
        return ack_error("forbidden")
    handler = intent.handler
    try:
        if inspect.iscoroutinefunction(handler):
            result = await handler(principal, data, sid)
        else:
            result = await asyncio.to_thread(handler, principal, data, sid)
            if inspect.isawaitable(result):
                result = await result
    except DomainError as exc:
        return ack_error(exc.message, **_encode(exc.fields))
    except RealtimeError as exc:
        return ack_error(str(exc) or "refused")
    except PermissionError:
        return ack_error("forbidden")
    except ValueError as exc:
        errors = getattr(exc, "errors", None)
        if callable(errors):  # pydantic ValidationError
            try:
                details = errors(include_url=False, include_input=False)
            except TypeError:
                details = errors()
            return ack_error("invalid data", details=_encode(details))
        return ack_error(str(exc) or "invalid data")
    except Exception:
        log.exception("realtime handler for %r failed", intent.event)
        return ack_error("internal error")
    if result is None:
        return ack_ok()
    return _encode(result)
