"""PostgreSQL reads the export itself: the file goes through ``COPY`` into a temporary table of
text cells, one ``INSERT ... SELECT`` checks and converts every row whose cells are in the
plain forms (ISO or the region's dates, ``1234.50`` numbers, the region's currency, no control
characters) into the staging table, and only the other rows come back to Python, where
:class:`~.parse.RowReader` applies the full rules (other date and number forms, currency
conversion, the error report). Both paths give the same line for the same cells; anything the
plain forms leave in doubt goes to Python. A file ``COPY`` cannot read as it is (ragged rows,
blank lines, bytes that are not UTF-8, a lone carriage return as line end) raises
:class:`CannotCopy` before anything is kept, and the caller reads it with Python instead."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import IO, Any

from psycopg2 import DataError
from psycopg2 import sql as pgsql

from .parse import TEXT_FIELDS, ParseResult, Rates, RowReader, local_date_pattern, map_columns
from .settings import Region

#: Every character ``str.strip()`` removes, so that ``btrim`` trims exactly as Python does.
PY_SPACE = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace())
#: Control characters the kernel refuses in text (NUL cannot reach here: COPY refuses it).
CONTROLS = "[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
ISO_DATE = r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}( [0-9]{1,2}:[0-9]{2}(:[0-9]{2})?)?$"
QTY = r"^[0-9]{1,9}(\.0{0,2})?$"
MONEY = r"^[0-9]{1,15}(\.[0-9]{0,2})?$"


class CannotCopy(Exception):
    """The file is not in a shape ``COPY`` reads; nothing was kept."""


class _Reporting(io.RawIOBase):
    """The upload as ``COPY`` reads it, telling ``report`` as it goes."""

    def __init__(self, binary: IO[bytes], report: Callable[[], None]) -> None:
        self.binary = binary
        self.report = report
        #: What ``report`` raised (the driver hands on only that the read failed).
        self.error: BaseException | None = None
        self._tail = b"\n"  # the end of the bytes read so far (the header ended a line)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self.binary.read(size)
        # A line holding only a backslash and a dot ends COPY's data early: such a file is
        # read by Python instead, so no row after it is lost.
        window = self._tail + chunk
        if any(marker in window for marker in (b"\n\\.\n", b"\n\\.\r", b"\r\\.\r", b"\r\\.\n")) or (
            not chunk and window.endswith((b"\n\\.", b"\r\\."))
        ):
            self.error = CannotCopy("a line holds only \\.")
            raise self.error
        self._tail = window[-3:]
        try:
            self.report()
        except BaseException as exc:
            self.error = exc
            raise
        return chunk


def _header(binary: IO[bytes]) -> tuple[list[str], str]:
    first = binary.readline(1 << 20)
    if not first.endswith(b"\n") or b"\r" in first[:-2]:
        raise CannotCopy("the header line does not end as COPY expects")
    try:
        text = first.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise CannotCopy("the header is not UTF-8") from None
    if not text.strip():
        raise CannotCopy("no header")
    delimiter = ";" if text.count(";") > text.count(",") else ","
    return next(csv.reader([text], delimiter=delimiter), []), delimiter


def _classify_sql(region: Region, cols: dict[str, int]) -> tuple[pgsql.Composed, dict[str, Any]]:
    """The statement that moves every plain row of ``salesdata_raw`` into the staging table."""
    local, (di, mi, yi) = local_date_pattern(region.date_format)
    sep = next(ch for ch in region.date_format if ch in "/.-")
    local_sql = local.pattern.replace(r"(\d{4})", "[0-9]{4}").replace(r"(\d{1,2})", "[0-9]{1,2}")
    local_sql = local_sql.replace(r"(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?", "( [0-9]{1,2}:[0-9]{2}(:[0-9]{2})?)?")

    def cell(key: str) -> pgsql.Composable:
        return pgsql.Identifier(f"c{cols[key]}") if key in cols else pgsql.Literal("")

    def part(index: int) -> pgsql.Composable:
        return pgsql.SQL(
            "CASE form WHEN 1 THEN split_part(dp, '-', {iso})::int WHEN 2 THEN split_part(dp, %(sep)s, {loc})::int END"
        ).format(iso=pgsql.Literal({yi: 1, mi: 2, di: 3}[index]), loc=pgsql.Literal(index))

    def clock(index: int) -> pgsql.Composable:
        return pgsql.SQL("CASE WHEN form > 0 THEN coalesce(nullif(split_part(tp, ':', {i}), ''), '0')::int END").format(
            i=pgsql.Literal(index)
        )

    text_cells = pgsql.SQL(", ").join(cell(k) for k in TEXT_FIELDS)
    statement = pgsql.SQL("""
WITH r AS (
    SELECT ord, btrim({order}, %(ws)s) AS o, btrim({sku}, %(ws)s) AS s, btrim({created}, %(ws)s) AS cr,
        {qty} AS q, {price} AS p, {total} AS t, btrim({status}, %(ws)s) AS st, btrim({currency}, %(ws)s) AS cur,
        {name} AS nm, {email} AS em, {customer} AS cu, {group} AS gr, concat({text_cells}) ~ %(controls)s AS bad
    FROM salesdata_raw
), n AS (
    SELECT r.*, row_number() OVER (PARTITION BY o COLLATE "C" ORDER BY ord) AS line_no,
        CASE WHEN cr ~ %(iso)s THEN 1 WHEN cr ~ %(local)s THEN 2 ELSE 0 END AS form,
        split_part(cr, ' ', 1) AS dp, split_part(cr, ' ', 2) AS tp
    FROM r WHERE o <> ''
), v AS (
    -- OFFSET 0 keeps this a subquery of its own: each part is computed once per row
    SELECT n.*, {y} AS y, {mo} AS mo, {d} AS d, {h} AS h, {mi} AS mi, {se} AS se FROM n OFFSET 0
)
INSERT INTO salesdata_staging (ord, order_number, sku, line_no, name, created_at, day, qty, price_minor, status,
    currency, grand_total_minor, customer_email, customer_name, customer_group)
SELECT ord, o, s, line_no, left(btrim(nm, %(ws)s), 255), make_timestamp(y, mo, d, h, mi, se) AT TIME ZONE %(tz)s,
    make_date(y, mo, d), split_part(q, '.', 1)::int,
    split_part(p, '.', 1)::bigint * 100 + rpad(split_part(p, '.', 2), 2, '0')::bigint,
    lower(st), upper(cur), split_part(t, '.', 1)::bigint * 100 + rpad(split_part(t, '.', 2), 2, '0')::bigint,
    left(lower(btrim(em, %(ws)s)), 255), left(btrim(cu, %(ws)s), 255), left(btrim(gr, %(ws)s), 64)
FROM v
WHERE NOT bad AND char_length(o) <= 64 AND s <> '' AND char_length(s) <= 64
    AND y >= 1 AND mo BETWEEN 1 AND 12 AND d >= 1 AND h <= 23 AND mi <= 59 AND se <= 59
    AND d <= CASE WHEN mo = 2 THEN CASE WHEN (mod(y, 4) = 0 AND mod(y, 100) <> 0) OR mod(y, 400) = 0 THEN 29 ELSE 28 END
                  WHEN mo IN (4, 6, 9, 11) THEN 30 ELSE 31 END
    AND q ~ %(qty)s AND p ~ %(money)s AND t ~ %(money)s
    AND st <> '' AND char_length(st) <= 40 AND octet_length(st) = char_length(st)
    AND upper(cur) = %(currency)s AND octet_length(cur) = char_length(cur) AND octet_length(em) = char_length(em)
""").format(
        order=cell("order_number"),
        sku=cell("sku"),
        created=cell("created_at"),
        qty=cell("qty"),
        price=cell("price"),
        total=cell("grand_total"),
        status=cell("status"),
        currency=cell("currency"),
        name=cell("name"),
        email=cell("email"),
        customer=cell("customer_name"),
        group=cell("group"),
        text_cells=text_cells,
        y=part(yi),
        mo=part(mi),
        d=part(di),
        h=clock(1),
        mi=clock(2),
        se=clock(3),
    )
    params = {
        "ws": PY_SPACE,
        "controls": CONTROLS,
        "iso": ISO_DATE,
        "local": local_sql,
        "sep": sep,
        "tz": region.timezone,
        "qty": QTY,
        "money": MONEY,
        "currency": region.currency,
    }
    return statement, params


def _others_sql(width: int, order_cell: int) -> pgsql.Composed:
    """The rows the plain forms did not take, in file order, with their line in the file (quoted
    line breaks counted as Python's reader counts them: CR LF, LF or a lone CR) and their
    position within their order."""
    cells = pgsql.SQL(", ").join(pgsql.Identifier(f"c{i}") for i in range(width))
    return pgsql.SQL("""
SELECT line_no, row, {cells}
FROM (
    SELECT raw.*, row_number() OVER (PARTITION BY btrim({order}, %(ws)s) COLLATE "C" ORDER BY raw.ord) AS line_no,
        1 + raw.ord + coalesce(sum(breaks) OVER (ORDER BY raw.ord ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
            AS row,
        s.ord IS NOT NULL AS taken
    FROM (
        SELECT salesdata_raw.*,
            char_length(a) * 2 - char_length(replace(a, E'\\n', '')) - char_length(replace(a, E'\\r', ''))
                - (char_length(a) - char_length(replace(a, E'\\r\\n', ''))) / 2 AS breaks
        FROM (SELECT salesdata_raw.*, concat({cells}) AS a FROM salesdata_raw) salesdata_raw
    ) raw
    LEFT JOIN salesdata_staging s ON s.ord = raw.ord
) x
WHERE NOT taken
ORDER BY ord
""").format(cells=cells, order=pgsql.Identifier(f"c{order_cell}"))


def copy_import(
    raw_connection: Any,
    binary: IO[bytes],
    region: Region,
    rates: Rates,
    result: ParseResult,
    report: Callable[[], None],
    write_lines: Callable[[list[Any]], None],
    batch_rows: int,
) -> None:
    """Fill ``salesdata_staging`` (created by the caller) with every valid line of the export,
    counting rows and recording errors in ``result``. Raises :class:`CannotCopy` (nothing kept)
    when ``COPY`` cannot read the file."""
    header, delimiter = _header(binary)
    cols = map_columns(header)
    width = len(header)
    cursor = raw_connection.cursor()
    cursor.execute("SAVEPOINT salesdata_copy")
    try:
        cursor.execute(
            pgsql.SQL(
                "CREATE TEMPORARY TABLE salesdata_raw (ord bigint GENERATED ALWAYS AS IDENTITY, {cells}) ON COMMIT DROP"
            ).format(
                cells=pgsql.SQL(", ").join(pgsql.SQL("{} text").format(pgsql.Identifier(f"c{i}")) for i in range(width))
            )
        )
        names = pgsql.SQL(", ").join(pgsql.Identifier(f"c{i}") for i in range(width))
        copy = pgsql.SQL(
            "COPY salesdata_raw ({names}) FROM STDIN WITH (FORMAT csv, DELIMITER {delimiter}, ENCODING 'UTF8', "
            "FORCE_NOT_NULL ({names}))"
        ).format(names=names, delimiter=pgsql.Literal(delimiter))
        source = _Reporting(binary, report)
        try:
            cursor.copy_expert(copy.as_string(raw_connection), source, size=1 << 20)
        except Exception:
            if source.error is not None:
                raise source.error from None
            raise
        total = cursor.rowcount
    except (DataError, CannotCopy) as exc:
        cursor.execute("ROLLBACK TO SAVEPOINT salesdata_copy")
        cursor.close()
        raise CannotCopy(str(exc).splitlines()[0] if str(exc) else "COPY cannot read it") from None
    cursor.execute("RELEASE SAVEPOINT salesdata_copy")
    result.rows_total = total
    # The sorts and the hashes of a large file (a million lines) stay in memory, to the commit.
    cursor.execute("SET LOCAL work_mem = '256MB'")
    statement, params = _classify_sql(region, cols)
    cursor.execute(statement, params)
    plain = cursor.rowcount
    cursor.close()
    if plain == total:
        return
    read_row = RowReader(region, rates, cols, result)
    others = raw_connection.cursor(name="salesdata_others")
    others.itersize = batch_rows
    others.execute(_others_sql(width, cols["order_number"]), {"ws": PY_SPACE})
    batch: list[Any] = []
    for line_no, row, *record in others:
        order = read_row.order(record, row)
        if order is None:
            continue
        line = read_row(record, row, order, line_no)
        if line is not None:
            batch.append(line)
            if len(batch) >= batch_rows:
                write_lines(batch)
                batch = []
    if batch:
        write_lines(batch)
    others.close()
