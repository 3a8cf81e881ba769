"""Catalogue CSV parsing (e.g. a Magento product export): columns by header name, status from
``discontinued_status=`` in ``additional_attributes``, variant SKUs folded into their base,
excluded categories skipped, and an error per bad row naming its row number and column."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from .codes import base_sku, clean_code, valid_item_id, variant_pattern
from .errors import Invalid
from .settings import InventorySettings

_ATTRIBUTE_KEY = re.compile(r"(?:^|,)\s*([A-Za-z0-9_]+)=")
MAX_ROWS = 200_000


@dataclass
class CatalogueEntry:
    """What the file says about one (base) SKU; ``row`` is where it was read."""

    row: int
    sku: str
    name: str
    status: str | None
    item_id: str | None
    primary: bool  # read from the base SKU's own row, not folded from a variant
    status_column: str = "additional_attributes"


@dataclass
class Catalogue:
    entries: dict[str, CatalogueEntry] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    rows: int = 0
    excluded: int = 0
    folded: int = 0

    def error(self, row: int, column: str, message: str, sku: str | None = None) -> None:
        self.errors.append({"row": row, "column": column, "message": message, "sku": sku})


def parse_attributes(text: str) -> dict[str, str]:
    """``"a=1,discontinued_status=Active,b=x,y"`` -> ``{"a": "1", ...}`` (values may hold commas)."""
    text = text or ""
    keys = list(_ATTRIBUTE_KEY.finditer(text))
    result = {}
    for index, match in enumerate(keys):
        end = keys[index + 1].start() if index + 1 < len(keys) else len(text)
        result[match.group(1).lower()] = text[match.end() : end].strip()
    return result


def excluded_by(categories: str, excluded: set[str]) -> str | None:
    """The excluded category named anywhere in a Magento ``categories`` cell, or None."""
    for path in (categories or "").split(","):
        for part in path.split("/"):
            if part.strip().casefold() in excluded:
                return part.strip()
    return None


def parse_catalogue(text: str, settings: InventorySettings) -> Catalogue:
    """Read a catalogue CSV. Raises Invalid when the file as a whole is unusable."""
    if text.startswith("\ufeff"):
        text = text[1:]
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample.strip() else csv.excel
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None)
    if not header:
        raise Invalid("the file is empty: expected a header row with at least 'sku' and 'name'")
    columns = {name.strip().lower(): index for index, name in enumerate(header)}
    if "sku" not in columns:
        raise Invalid(f"the file has no 'sku' column (its columns are: {', '.join(header)})")
    excluded = {c.casefold() for c in settings.import_excluded_categories}
    pattern = variant_pattern(settings.variant_suffixes)
    result = Catalogue()

    def cell(values: list[str], name: str) -> str:
        index = columns.get(name)
        return values[index].strip() if index is not None and index < len(values) else ""

    for row_number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        result.rows += 1
        if result.rows > MAX_ROWS:
            raise Invalid(f"the file has more than {MAX_ROWS} rows; split it")
        raw_sku = cell(values, "sku")
        sku = raw_sku.strip()
        if not sku:
            result.error(row_number, "sku", "the SKU is empty")
            continue
        if clean_code(sku) != sku or len(sku) > 64:
            result.error(row_number, "sku", "a SKU has at most 64 characters and no spaces", sku)
            continue
        category = excluded_by(cell(values, "categories"), excluded)
        if category is not None:
            result.excluded += 1
            continue
        status_column = "additional_attributes"
        raw_status = parse_attributes(cell(values, "additional_attributes")).get("discontinued_status", "")
        if not raw_status:
            for column in ("discontinued_status", "status"):
                if cell(values, column):
                    raw_status, status_column = cell(values, column), column
                    break
        status = None
        if raw_status:
            status = settings.status(raw_status)
            if status is None:
                result.error(
                    row_number,
                    status_column,
                    f"unknown status {raw_status!r}; use one of: {', '.join(settings.statuses)}",
                    sku,
                )
                continue
        item_id = cell(values, "item_id") or None
        if item_id is not None and not valid_item_id(item_id):
            result.error(row_number, "item_id", "item_id must be 1 to 32 letters, digits or dashes", sku)
            continue
        base = base_sku(sku, pattern)
        primary = base == sku
        if not primary:
            result.folded += 1
            item_id = None  # a variant's barcode is not the base item's
        entry = CatalogueEntry(
            row=row_number,
            sku=base,
            name=cell(values, "name")[:255],
            status=status,
            item_id=item_id,
            primary=primary,
            status_column=status_column,
        )
        # The base's own row wins over its variants; a variant only stands in for a base
        # that the file does not list (the first variant seen gives the name).
        if primary or base not in result.entries:
            result.entries[base] = entry
    return result
