"""Catalogue CSV parsing (e.g. a Magento product export): columns by header name, status from
``discontinued_status=`` in ``additional_attributes``, variant SKUs folded into their base,
excluded categories skipped, and an error per bad row naming its row number and column."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .codes import base_sku, printable, sku_problem, valid_item_id, variant_pattern
from .errors import Invalid
from .settings import InventorySettings

_ATTRIBUTE_KEY = re.compile(r"(?:^|,)\s*([A-Za-z0-9_]+)=")
MAX_ROWS = 200_000
MAX_BYTES = 20 * 1024 * 1024
#: The longest cell read; a longer one is an error naming its row and column.
MAX_CELL = 128 * 1024
# The csv module refuses a field over 128 KiB with an error that names no column: let it read
# up to the file size, so the check below can say where. (Only ever raised, never lowered.)
csv.field_size_limit(max(csv.field_size_limit(), MAX_BYTES))


def decode_csv(data: bytes) -> str:
    """The text of an uploaded CSV: UTF-8 (with or without a BOM), UTF-16 with a BOM (Excel's
    "Unicode text"), else Windows-1252 (spreadsheets saved as "CSV" on Windows)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise Invalid("the file starts like UTF-16 but is not valid UTF-16; save it as CSV (UTF-8)") from None
    if data[:200].count(b"\x00") > 10:
        raise Invalid("the file looks like UTF-16 without a byte order mark; save it as CSV (UTF-8)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


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


def _rows(reader: Any) -> Iterator[list[str]]:
    """The reader's rows; a file the csv module cannot read is Invalid, naming the line."""
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise Invalid(
                f"the file cannot be read as CSV at line {reader.line_num}: {exc}", line=reader.line_num
            ) from None
        yield values


def parse_catalogue(text: str, settings: InventorySettings) -> Catalogue:
    """Read a catalogue CSV. Raises Invalid when the file as a whole is unusable."""
    if text.startswith("\ufeff"):
        text = text[1:]
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample.strip() else csv.excel
    except csv.Error:
        dialect = csv.excel
    reader = _rows(csv.reader(io.StringIO(text), dialect))
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

    row_number = 1
    for values in reader:
        row_number += 1
        if not any(v.strip() for v in values):
            continue
        result.rows += 1
        if result.rows > MAX_ROWS:
            raise Invalid(f"the file has more than {MAX_ROWS} rows; split it")
        long = next((i for i, v in enumerate(values) if len(v) > MAX_CELL), None)
        if long is not None:
            # Not a catalogue row but a broken file (or an attack): refuse it as a whole.
            column = header[long].strip() if long < len(header) else f"column {long + 1}"
            raise Invalid(
                f"row {row_number}, column {column}: the cell is longer than {MAX_CELL // 1024} KiB; "
                "nothing was imported",
                row=row_number,
                column=column,
            )
        sku = cell(values, "sku")
        problem = sku_problem(sku)
        if problem is not None:
            result.error(row_number, "sku", problem, sku or None)
            continue
        if not printable(cell(values, "name")):
            result.error(row_number, "name", "the name cannot hold control characters", sku)
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
        # SKUs are the same whatever the case. The base's own row wins over its variants; a
        # variant only stands in for a base that the file does not list (the first variant
        # seen gives the name).
        key = base.lower()
        seen = result.entries.get(key)
        if primary and seen is not None and seen.primary and seen.sku != base:
            result.error(
                row_number, "sku", f"{base} is the same SKU as {seen.sku} on row {seen.row} (case is ignored)", sku
            )
            continue
        if primary or seen is None:
            result.entries[key] = entry
    return result
