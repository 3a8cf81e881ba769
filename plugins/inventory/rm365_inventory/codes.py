"""Item codes: the label barcode derived from a SKU, scanned-code cleaning, variant folding."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

ITEM_ID_LENGTH = 18
_WHITESPACE = re.compile(r"\s+")
_ITEM_ID_RE = re.compile(r"^[0-9A-Za-z-]{1,32}$")


def derive_item_id(sku: str) -> str:
    """The default label barcode of ``sku``: 18 digits, starting with 7, always the same for the
    same SKU (case and surrounding spaces ignored), so labels printed years ago still scan.

    The 17 digits after the 7 come from the SHA-256 of the normalised SKU.
    """
    normalised = sku.strip().upper().encode("utf-8")
    number = int.from_bytes(hashlib.sha256(normalised).digest()[:16], "big")
    return "7" + str(number % 10 ** (ITEM_ID_LENGTH - 1)).zfill(ITEM_ID_LENGTH - 1)


def valid_item_id(value: str) -> bool:
    return bool(_ITEM_ID_RE.match(value))


def clean_code(raw: str) -> str:
    """A scanned or pasted code without the tabs, spaces and line breaks that come with it."""
    return _WHITESPACE.sub("", raw or "")


def variant_pattern(suffixes: Iterable[str]) -> re.Pattern[str] | None:
    """Matches ``BASE-<suffix>[anything]``; group ``base`` is the SKU the variant folds into."""
    parts = [re.escape(s.strip()) for s in suffixes if s.strip()]
    if not parts:
        return None
    return re.compile(rf"^(?P<base>.+?)-(?:{'|'.join(parts)})(?:.*)$", re.IGNORECASE)


def base_sku(sku: str, pattern: re.Pattern[str] | None) -> str:
    """The SKU a variant folds into (the SKU itself when it is not a variant)."""
    if pattern is None:
        return sku
    match = pattern.match(sku)
    return match.group("base") if match else sku
