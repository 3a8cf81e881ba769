"""Small rules of the registry: employee codes, card UIDs, fingers, kinds and statuses."""

from __future__ import annotations

import re

from rm365_core import DomainError

KINDS = ("employee", "student")
STATUSES = ("active", "inactive")
FINGERS = (
    "left_thumb",
    "left_index",
    "left_middle",
    "left_ring",
    "left_little",
    "right_thumb",
    "right_index",
    "right_middle",
    "right_ring",
    "right_little",
)
CODE_PREFIX = "EMP"
_SEPARATORS = re.compile(r"[\s:\-._]")
_HEX = re.compile(r"^[0-9A-F]{2,64}$")
_CODE = re.compile(r"^\s*(?:EMP)?0*(\d{1,9})\s*$", re.IGNORECASE)


def format_code(number: int) -> str:
    """``EMP001`` ... ``EMP999``, ``EMP1000``: at least three digits, ordered by number."""
    return f"{CODE_PREFIX}{number:03d}"


def code_number(text: str) -> int | None:
    """The number in ``EMP012``, ``emp12`` or ``12``; None when it is not a code."""
    match = _CODE.match(text)
    return int(match.group(1)) if match else None


def normalise_uid(raw: str) -> str:
    """Card UIDs as one form: hex, upper case, without spaces or separators."""
    uid = _SEPARATORS.sub("", str(raw)).upper()
    if uid.startswith("0X"):
        uid = uid[2:]
    if not _HEX.match(uid):
        raise DomainError(422, f"card UID {str(raw)[:80]!r} is not 2 to 64 hexadecimal digits", field="uid")
    return uid


def check_finger(finger: str) -> str:
    if finger not in FINGERS:
        raise DomainError(404, f"no finger {finger[:40]!r}: use one of {', '.join(FINGERS)}", field="finger")
    return finger
