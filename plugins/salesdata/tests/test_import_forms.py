"""Rows in every form a person's export can take give the same lines whichever way the
database reads them: plain rows (read by PostgreSQL itself), unusual ones (other number and
date forms, stray spaces) and files ``COPY`` cannot read (ragged rows, blank lines)."""

from __future__ import annotations

import pytest


def test_plain_and_unusual_rows_of_one_order_keep_their_positions_and_lines(sales, export, line):
    rows = [
        line("1", "2026-11-02 10:00", "A", 1),  # plain; line 2
        line("1", "02/11/2026 10:00", "A", 2, price="10,00"),  # the same SKU again, local date and comma; line 3
        line("\u00a01 ", "2026-11-02T10:00", "A", 3, name="two\nlines"),  # order "1" after Python's strip; 4-5
        line("2", "2026-11-02", "B", "x"),  # an error after a quoted line break: line 6
        line("3", "2026-11-02", " C ", 4, email=" Someone@Example.COM "),  # line 7
    ]
    data = export(rows)

    first = sales.upload("uk", data)
    again = sales.upload("uk", data)

    assert (first["rows_total"], first["rows_imported"], first["rows_failed"]) == (5, 4, 1), first
    assert [(e["row"], e["column"], e["value"]) for e in first["errors"]] == [(6, "Product Qty", "x")]
    assert (again["rows_imported"], again["rows_duplicate"]) == (0, 4)
    lines = sorted((i["order_number"], i["sku"], i["qty"], i["price"]) for i in sales.get("/uk")["items"])
    assert lines == [("1", "A", 1, 10.0), ("1", "A", 2, 10.0), ("1", "A", 3, 10.0), ("3", "C", 4, 10.0)]
    assert sales.condensed("uk", since="2026-01-01") == {"A": 6, "C": 4}


def test_a_ragged_file_with_blank_lines_is_still_read_row_by_row(sales, export, line):
    # the first row lacks its last two cells, and a blank line sits between the rows
    ragged = export([line("1", "2026-11-02", "A")[:-2], [], line("2", "2026-11-02", "B", 2)])
    assert b"\r\n\r\n" in ragged

    result = sales.upload("uk", ragged)

    assert (result["rows_total"], result["rows_imported"], result["rows_failed"]) == (2, 2, 0), result
    assert sales.condensed("uk", since="2026-01-01") == {"A": 1, "B": 2}


@pytest.mark.parametrize(("column", "cell"), [("Product Name", "Vit\x01amin"), ("Customer Email", "a\x7f@example.com")])
def test_a_control_character_in_a_cell_is_a_row_error_naming_the_column(sales, export, line, column, cell):
    field = "name" if column == "Product Name" else "email"
    bad = line("2", "2026-11-02", "B", **{field: cell})

    result = sales.upload("uk", export([line("1", "2026-11-02", "A"), bad]))

    assert (result["rows_imported"], result["rows_failed"]) == (1, 1)
    error = result["errors"][0]
    assert (error["row"], error["column"]) == (3, column)
    assert "control character" in error["message"]


def test_a_nul_byte_is_a_row_error_not_a_server_error(sales, export, line):
    rows = [line("1", "2026-11-02", "A", name="Vit\x00amin"), line("2", "2026-11-02", "B")]

    result = sales.upload("uk", export(rows))

    assert (result["rows_imported"], result["rows_failed"]) == (1, 1)
    assert result["errors"][0]["column"] == "Product Name"
    assert "U+0000" in result["errors"][0]["message"]


def test_a_time_in_the_hour_the_clocks_go_back_reads_as_the_later_one(sales, export, line):
    # 25 October 2026, 01:30 happens twice in London: read after the change (GMT), as PostgreSQL does
    result = sales.upload("uk", export([line("1", "2026-10-25 01:30", "A"), line("2", "2026-03-29 01:30", "B")]))

    assert result["rows_imported"] == 2, result
    times = {i["sku"]: i["created_at"].replace("+00:00", "Z") for i in sales.get("/uk")["items"]}
    assert times == {"A": "2026-10-25T01:30:00Z", "B": "2026-03-29T01:30:00Z"}


def test_a_quantity_or_price_too_large_to_store_is_a_row_error(sales, export, line):
    rows = [line("1", "2026-11-02", "A", 3_000_000_000), line("2", "2026-11-02", "B", price="1" + "0" * 18)]

    result = sales.upload("uk", export(rows))

    assert result["rows_imported"] == 0
    assert [(e["row"], e["column"]) for e in result["errors"]] == [(2, "Product Qty"), (3, "Product Price")]


def test_a_line_holding_only_a_backslash_and_a_dot_loses_nothing(sales, export, line):
    rows = [line("1", "2026-11-02", "A", name="first\n\\.\nlast"), line("2", "2026-11-02", "B", 2)]

    result = sales.upload("uk", export(rows))

    assert (result["rows_total"], result["rows_imported"]) == (2, 2), result
    names = {i["sku"]: i["name"] for i in sales.get("/uk")["items"]}
    assert names == {"A": "first\n\\.\nlast", "B": "Item B"}


def test_a_stray_line_of_backslash_dot_is_a_bad_row_and_the_rows_after_it_still_import(sales, export, line):
    head, first, second = export([line("1", "2026-11-02", "A"), line("2", "2026-11-02", "B", 2)]).split(b"\r\n")[:3]
    data = b"\r\n".join([head, first, b"\\.", second, b""])

    result = sales.upload("uk", data)

    assert (result["rows_total"], result["rows_imported"], result["rows_failed"]) == (3, 2, 1), result
    assert result["errors"][0]["row"] == 3
    assert sales.condensed("uk", since="2026-01-01") == {"A": 1, "B": 2}
