"""Item codes: the label barcode derived from a SKU, SKU and scanned-code cleaning, variants."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

ITEM_ID_LENGTH = 18
SKU_MAX = 64
_WHITESPACE = re.compile(r"\s+")
_ITEM_ID_RE = re.compile(r"^[0-9A-Za-z-]{1,32}$")
#: Unicode categories a SKU may not hold: controls, format characters (zero-width spaces and
#: joiners, left-to-right and right-to-left marks and overrides), surrogates, private use,
#: unassigned, and separators. Two SKUs that look the same must be the same SKU.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"}


def derive_item_id(sku: str) -> str:
    """The default label barcode of ``sku``: 18 digits starting with 7, from the SHA-256 of the
    SKU exactly as stored, the derivation of the labels already printed in the warehouse::

        700000000000000000 + int(sha256(sku.encode("utf-8")).hexdigest(), 16) % 10**17
    """
    digest = int(hashlib.sha256(sku.encode("utf-8")).hexdigest(), 16)
    return str(700_000_000_000_000_000 + digest % 10**17)


def valid_item_id(value: str) -> bool:
    return bool(_ITEM_ID_RE.match(value))


def clean_code(raw: str) -> str:
    """A scanned or pasted code without the tabs, spaces and line breaks that come with it."""
    return _WHITESPACE.sub("", raw or "")


def sku_problem(sku: str) -> str | None:
    """Why ``sku`` (already stripped) cannot be a SKU, or None when it can."""
    if not sku:
        return "the SKU is empty"
    if len(sku) > SKU_MAX:
        return f"the SKU is longer than {SKU_MAX} characters"
    if clean_code(sku) != sku:
        return "a SKU cannot contain spaces, tabs or line breaks"
    for char in sku:
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            return (
                f"a SKU cannot contain the invisible or control character U+{ord(char):04X} "
                "(zero-width, direction marks and control characters make two SKUs look the same)"
            )
    return None


def printable(value: str) -> bool:
    """No control characters (NUL and friends): what a stored text field may hold, besides
    tabs and line breaks."""
    return not any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in value)


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
