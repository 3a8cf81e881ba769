"""Text input rules every route shares: no control characters (NUL included) and no lone
surrogates, refused the same on SQLite and PostgreSQL with a 422 naming the field."""

from __future__ import annotations

import re
from typing import Any

from ._errors import DomainError

#: C0 controls except tab, line feed and carriage return; DEL; C1 controls; lone
#: surrogates (PostgreSQL cannot store NUL, and no database can store a lone surrogate).
_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def control_character(value: str) -> str | None:
    """The first refused character of ``value`` as ``U+XXXX``, or None when it is clean."""
    found = _REFUSED.search(value)
    return f"U+{ord(found.group()):04X}" if found else None


def check_text(value: str, field: str) -> str:
    """``value`` unchanged, or a 422 ``DomainError`` naming ``field``. The kernel checks
    every path, query and JSON or form body already; call this for text the kernel does not
    see, such as the cells of an uploaded CSV file::

        sku = check_text(row["sku"], f"row {number}, column sku")
    """
    bad = control_character(value)
    if bad is not None:
        raise DomainError(422, f"{field}: contains a control character ({bad})", field=field)
    return value


def find_control_character(data: Any, path: tuple[str | int, ...] = ()) -> tuple[tuple[str | int, ...], str] | None:
    """(where, character) of the first refused character in a parsed JSON document
    (keys and string values alike), or None."""
    if isinstance(data, str):
        bad = control_character(data)
        return (path, bad) if bad else None
    if isinstance(data, dict):
        for key, value in data.items():
            bad = control_character(key)
            if bad:
                return (*path, key), bad
            found = find_control_character(value, (*path, key))
            if found:
                return found
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found = find_control_character(value, (*path, index))
            if found:
                return found
    return None
