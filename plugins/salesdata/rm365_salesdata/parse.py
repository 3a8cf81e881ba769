"""Reading a Magento order export: columns by header name, every value checked, one
``{row, column, value, message}`` per bad row. Streams: the file is never whole in memory."""

from __future__ import annotations

import bisect
import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import IO, Any
from zoneinfo import ZoneInfo

from rm365_core import DomainError, control_character

from .settings import Region

#: Field -> the export's header (matched case-insensitively, spaces folded).
COLUMNS = {
    "order_number": "Order number",
    "created_at": "Created At",
    "sku": "Product SKU",
    "name": "Product Name",
    "qty": "Product Qty",
    "price": "Product Price",
    "status": "Status",
    "currency": "Currency",
    "grand_total": "Grand Total",
    "email": "Customer Email",
    "customer_name": "Customer Full Name",
    "group": "Customer Group Code",
}
#: The fields kept as text, which must hold no control character.
TEXT_FIELDS = ("order_number", "sku", "name", "created_at", "status", "currency", "email", "customer_name", "group")
REQUIRED = ("order_number", "created_at", "sku", "name", "qty", "price", "status", "currency", "grand_total")
#: Errors kept per import; the counts stay exact beyond it.
MAX_ERRORS = 100_000
#: The largest quantity of a line, and the largest price or total in minor units, that are stored.
MAX_QTY = 2_147_483_647
MAX_MINOR = 10**17

#: A parsed line: order number, SKU, line position, name, created (UTC, naive), local day, qty,
#: price (minor units), status, currency as exported, grand total (minor), email, customer, group.
#: Stored currency rates: ``{(base, quote): [(as of, rate), ...]}`` (1 base = rate quote).
Rates = dict[tuple[str, str], list[tuple[date, float]]]
Line = tuple[str, str, int, str, datetime, date, int, int, str, str, int, str, str, str]

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$")
_NUMBER = re.compile(r"^([+-]?)(\d*)(?:\.(\d*))?$")


def _norm(header: str) -> str:
    return " ".join(header.replace("\ufeff", "").split()).casefold()


_BY_HEADER = {_norm(title): key for key, title in COLUMNS.items()}


def local_date_pattern(date_format: str) -> tuple[re.Pattern[str], tuple[int, int, int]]:
    """The regex of a region's local format (``DD/MM/YYYY`` ...) and where the day, month and
    year groups sit in it."""
    sep = next(ch for ch in date_format if ch in "/.-")
    parts = date_format.split(sep)
    regex = re.escape(sep).join(r"(\d{4})" if p == "YYYY" else r"(\d{1,2})" for p in parts)
    pattern = re.compile("^" + regex + r"(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
    return pattern, (parts.index("DD") + 1, parts.index("MM") + 1, parts.index("YYYY") + 1)


class DateReader:
    """ISO 8601 always; the region's local format too; month-first is never guessed."""

    def __init__(self, region: Region) -> None:
        self.zone = ZoneInfo(region.timezone)
        self.local, self.order = local_date_pattern(region.date_format)
        self.expected = f"YYYY-MM-DD or {region.date_format}, optionally followed by HH:MM[:SS]"
        self._cache: dict[str, tuple[datetime, date]] = {}
        self._offsets: dict[tuple[int, int, int, int], timedelta] = {}

    def __call__(self, value: str) -> tuple[datetime, date]:
        """``(UTC time without zone, local date)``; ValueError with the reason otherwise."""
        # The lines of one order share their time: remember recent answers.
        found = self._cache.get(value)
        if found is None:
            found = self._read(value)
            if len(self._cache) > 50_000:
                self._cache.clear()
            self._cache[value] = found
        return found

    def _read(self, value: str) -> tuple[datetime, date]:
        m = _ISO.match(value)
        if m:
            y, mo, d = int(m[1]), int(m[2]), int(m[3])
            hh, mm, ss = m[4], m[5], m[6]
        else:
            m = self.local.match(value)
            if not m:
                raise ValueError(f"not a date: expected {self.expected}")
            di, mi, yi = self.order
            y, mo, d = int(m[yi]), int(m[mi]), int(m[di])
            hh, mm, ss = m[4], m[5], m[6]
        try:
            local = datetime(y, mo, d, int(hh or 0), int(mm or 0), int(ss or 0))
        except ValueError:
            raise ValueError("not a real date or time") from None
        # The zone's offset changes at most hourly: one lookup per local hour.
        hour = (y, mo, d, local.hour)
        offset = self._offsets.get(hour)
        if offset is None:
            offset = self._offsets[hour] = local_offset(local, self.zone)
        return local - offset, local.date()


def local_offset(local: datetime, zone: ZoneInfo) -> timedelta:
    """The UTC offset of a wall-clock time: in the hour that happens twice when clocks go back,
    the offset after the change; in the hour skipped when they go forward, the one before it.
    Both are the smaller of the two offsets, which is also what PostgreSQL's ``AT TIME ZONE``
    answers, so an import reads a time the same on either database."""
    first = local.replace(tzinfo=zone).utcoffset() or timedelta(0)
    second = local.replace(tzinfo=zone, fold=1).utcoffset() or timedelta(0)
    return min(first, second)


def to_minor(value: str) -> int:
    """``"12.5"`` -> 1250. A comma is the decimal mark when there is no dot; with both, the
    last one is (``1.234,50`` and ``1,234.50`` are both 1234.50). Half up at the third digit."""
    whole, _, frac = value.partition(".")
    # The common case first: plain digits with an optional dot (no regex, no replace).
    if whole.isdigit() and (not frac or frac.isdigit()) and len(frac) <= 2 and whole.isascii():
        return int(whole) * 100 + (int((frac + "00")[:2]) if frac else 0)
    return _to_minor_slow(value)


def _to_minor_slow(value: str) -> int:
    text = value.strip().replace(" ", "").replace("\u00a0", "")
    if "," in text:
        if "." in text:
            mark = "," if text.rfind(",") > text.rfind(".") else "."
            text = text.replace("." if mark == "," else ",", "")
        text = text.replace(",", ".")
    m = _NUMBER.match(text)
    if not m or not (m[2] or m[3]) or not text.isascii():
        raise ValueError("not a number")
    frac = m[3] or ""
    minor = int(m[2] or 0) * 100 + int((frac + "00")[:2])
    if len(frac) > 2 and frac[2] >= "5":
        minor += 1
    return -minor if m[1] == "-" else minor


@dataclass
class ParseResult:
    """Counts and errors as the rows are read (the lines themselves are yielded in batches)."""

    rows_total: int = 0
    rows_failed: int = 0
    #: Lines already there whose status the import changed (counted by the loaders).
    rows_updated: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def error(self, row: int, column: str, value: str, message: str) -> None:
        self.rows_failed += 1
        if len(self.errors) < MAX_ERRORS:
            value = value[:200]
            if control_character(value):  # shown, not stored: U+FFFD in its place
                value = "".join("\ufffd" if control_character(ch) else ch for ch in value)
            self.errors.append({"row": row, "column": column, "value": value, "message": message})


def open_text(binary: IO[bytes]) -> Iterator[str]:
    """Lines of a UTF-8 file (byte order mark or not), decoded as they are read."""
    wrapper = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")  # type: ignore[type-var]
    line_no = 0
    try:
        for line in wrapper:
            line_no += 1
            yield line
    except UnicodeDecodeError:
        raise DomainError(400, f"the file is not UTF-8 text (near line {line_no + 1})", field="file") from None
    finally:
        wrapper.detach()


def read_header(lines: Iterator[str]) -> tuple[list[str], str]:
    first = next(lines, "")
    if not first.strip():
        raise DomainError(400, "the file is empty: it needs a header line", field="file")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = next(csv.reader([first], delimiter=delimiter), [])
    return header, delimiter


def map_columns(header: list[str]) -> dict[str, int]:
    """``{field: column index}``; a missing required column is a 400 naming it."""
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        key = _BY_HEADER.get(_norm(title))
        if key is not None and key not in positions:
            positions[key] = index
    missing = [COLUMNS[k] for k in REQUIRED if k not in positions]
    if missing:
        raise DomainError(
            400,
            f"the file has no column {', '.join(repr(m) for m in missing)} (columns are matched by header name)",
            field="file",
            missing=missing,
        )
    return positions


class RowReader:
    """Checks one record of the export (a list of cells) and makes it a :data:`Line`, or
    records why not in ``result``. The rules every import path shares."""

    def __init__(self, region: Region, rates: Rates, cols: dict[str, int], result: ParseResult) -> None:
        self.read_date = DateReader(region)
        self.currency = region.currency
        self.rates = rates
        self.result = result
        self.cols = cols
        self.width = max(cols.values()) + 1
        self.converters: dict[str, Callable[[int, date], int] | None] = {}
        #: The cells of text that are kept, by field, as the export names them.
        self.text_cells = [
            (cols[key], COLUMNS[key])
            for key in (
                "order_number",
                "sku",
                "name",
                "created_at",
                "status",
                "currency",
                "email",
                "customer_name",
                "group",
            )
            if key in cols
        ]

    def order(self, record: list[str], row: int) -> str | None:
        """The record's order number, or None (and an error) when it has none."""
        value = record[self.cols["order_number"]] if len(record) > self.cols["order_number"] else ""
        order = value.strip()
        if not order:
            self.result.error(row, COLUMNS["order_number"], value, "the order number is empty")
            return None
        return order

    def __call__(self, record: list[str], row: int, order: str, line_no: int) -> Line | None:  # noqa: C901, PLR0911, PLR0912
        error = self.result.error
        cols = self.cols
        if len(record) < self.width:
            record = record + [""] * (self.width - len(record))
        if control_character("".join(record[i] for i, _ in self.text_cells)):
            for index, title in self.text_cells:
                bad = control_character(record[index])
                if bad:
                    error(row, title, record[index], f"contains a control character ({bad})")
                    return None
        if len(order) > 64:
            error(row, COLUMNS["order_number"], order, "the order number is longer than 64 characters")
            return None
        sku = record[cols["sku"]].strip()
        if not sku or len(sku) > 64:
            error(row, COLUMNS["sku"], sku, "the SKU is empty" if not sku else "the SKU is longer than 64 characters")
            return None
        raw = record[cols["created_at"]].strip()
        try:
            created, day = self.read_date(raw)
        except ValueError as exc:
            error(row, COLUMNS["created_at"], raw, str(exc))
            return None
        raw = record[cols["qty"]]
        try:
            qty_minor = to_minor(raw)
        except ValueError:
            error(row, COLUMNS["qty"], raw, "the quantity is not a number")
            return None
        if qty_minor % 100 or qty_minor < 0:
            error(row, COLUMNS["qty"], raw, "the quantity must be a whole number, 0 or more")
            return None
        if qty_minor > MAX_QTY * 100:
            error(row, COLUMNS["qty"], raw, f"the quantity is more than {MAX_QTY:,}")
            return None
        raw = record[cols["price"]]
        try:
            price = to_minor(raw)
        except ValueError:
            error(row, COLUMNS["price"], raw, "the price is not a number")
            return None
        if price < 0 or price > MAX_MINOR:
            error(row, COLUMNS["price"], raw, "the price is negative" if price < 0 else "the price is too large")
            return None
        raw = record[cols["grand_total"]]
        try:
            total = to_minor(raw)
        except ValueError:
            error(row, COLUMNS["grand_total"], raw, "the grand total is not a number")
            return None
        if total < 0 or total > MAX_MINOR:
            message = "the grand total is negative" if total < 0 else "the grand total is too large"
            error(row, COLUMNS["grand_total"], raw, message)
            return None
        status = record[cols["status"]].strip().lower()
        if not status or len(status) > 40:
            error(row, COLUMNS["status"], status, "the status is empty" if not status else "the status is too long")
            return None
        currency = record[cols["currency"]].strip().upper()
        if currency != self.currency:
            if currency not in self.converters:
                self.converters[currency] = converter(currency, self.currency, self.rates)
            convert = self.converters[currency]
            if convert is None:
                error(
                    row,
                    COLUMNS["currency"],
                    currency,
                    f"the region's currency is {self.currency} and no {currency or '(empty)'} to "
                    f"{self.currency} rate is stored",
                )
                return None
            price, total = convert(price, day), convert(total, day)
        i_email, i_cust, i_group = cols.get("email"), cols.get("customer_name"), cols.get("group")
        return (
            order,
            sku,
            line_no,
            record[cols["name"]].strip()[:255],
            created,
            day,
            qty_minor // 100,
            price,
            status,
            currency,
            total,
            record[i_email].strip().lower()[:255] if i_email is not None else "",
            record[i_cust].strip()[:255] if i_cust is not None else "",
            record[i_group].strip()[:64] if i_group is not None else "",
        )


def parse_export(
    binary: IO[bytes],
    region: Region,
    rates: Rates,
    batch_rows: int,
    result: ParseResult,
) -> Iterator[list[Line]]:
    """Yield batches of valid lines; record every bad row in ``result``."""
    lines = open_text(binary)
    header, delimiter = read_header(lines)
    read_row = RowReader(region, rates, map_columns(header), result)
    positions: dict[str, int] = {}
    reader = csv.reader(lines, delimiter=delimiter)  # line_num counts from after the header
    batch: list[Line] = []
    end_line = 1
    for record in reader:
        row = end_line + 1
        end_line = reader.line_num + 1
        if not record or (len(record) == 1 and not record[0].strip()):
            continue
        result.rows_total += 1
        order = read_row.order(record, row)
        if order is None:
            continue
        line_no = positions.get(order, 0) + 1
        positions[order] = line_no
        line = read_row(record, row, order, line_no)
        if line is not None:
            batch.append(line)
            if len(batch) >= batch_rows:
                yield batch
                batch = []
    if batch:
        yield batch


def converter(currency: str, target: str, rates: Rates) -> Callable[[int, date], int] | None:
    """``convert(minor, day)`` with the rate of the order's day: the newest stored on or before
    it, else (an order older than every stored rate) the oldest. None when no rate links the
    two currencies either way."""
    if not currency:
        return None
    # Either direction of the pair; on a day with both, the one stored for this direction.
    by_day = {as_of: 1 / rate for as_of, rate in rates.get((target, currency), []) if rate > 0}
    by_day.update({as_of: rate for as_of, rate in rates.get((currency, target), []) if rate > 0})
    if not by_day:
        return None
    days = sorted(by_day)
    values = [by_day[day] for day in days]

    def convert(minor: int, day: date) -> int:
        index = bisect.bisect_right(days, day) - 1
        return round(minor * values[max(index, 0)])

    return convert
