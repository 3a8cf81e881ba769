"""Importing an export: header matching, every date and number rule, the row-error report,
idempotent re-import and overlap, dry run, and a crash leaving nothing."""

from __future__ import annotations

import csv
import io
import json

import pytest


def test_columns_are_matched_by_header_name_in_any_order_with_extra_columns_ignored(sales, export, line, header):
    header = list(reversed(header)) + ["Something Else"]
    row = list(reversed(line("100001", "2026-11-02 09:15", "VITC-1-60", 3, "4.50", total="13.50"))) + ["x"]
    result = sales.upload("uk", export([row], header=header))

    assert result["rows_imported"] == 1, result
    item = sales.get("/uk")["items"][0]
    assert (item["order_number"], item["sku"], item["qty"], item["price"], item["grand_total"]) == (
        "100001",
        "VITC-1-60",
        3,
        4.5,
        13.5,
    )
    assert item["currency"] == "GBP"


def test_a_missing_required_column_is_a_400_naming_it(sales, export, line, header):
    row = line("1", "2026-11-02", "A")
    del row[header.index("Product Qty")]
    header = [h for h in header if h != "Product Qty"]

    response = sales.client.post("/api/v1/salesdata/uk/upload", files={"file": ("x.csv", export([row], header=header))})

    assert response.status_code == 400
    assert "Product Qty" in response.json()["detail"]


def test_semicolons_a_byte_order_mark_and_quoted_commas_and_line_breaks_are_read(sales, export, line):
    rows = [
        line(
            "1", "2026-11-02 10:00", "A-1", 1, "3,50", name="Fish oil, 1000mg\nsoftgels", total="3,50", currency="EUR"
        ),
        line("2", "2026-11-02 11:00", "B-1", 2, "1.234,50", total="2469,00", currency="EUR"),
    ]
    result = sales.upload("fr", export(rows, delimiter=";", bom=True))

    assert (result["rows_imported"], result["rows_failed"]) == (2, 0), result
    items = {i["sku"]: i for i in sales.get("/fr")["items"]}
    assert items["A-1"]["name"] == "Fish oil, 1000mg\nsoftgels"
    assert items["A-1"]["price"] == 3.5
    assert items["B-1"]["price"] == 1234.5


@pytest.mark.parametrize(
    ("value", "day", "utc"),
    [
        ("2026-07-01", "2026-07-01", "2026-06-30T23:00:00Z"),
        ("2026-07-01 00:30", "2026-07-01", "2026-06-30T23:30:00Z"),
        ("2026-07-01T00:30:15", "2026-07-01", "2026-06-30T23:30:15Z"),
        ("13/01/2026", "2026-01-13", "2026-01-13T00:00:00Z"),
        ("01/07/2026 14:05", "2026-07-01", "2026-07-01T13:05:00Z"),
        ("1/7/2026 14:05:09", "2026-07-01", "2026-07-01T13:05:09Z"),
    ],
)
def test_iso_and_the_regions_day_first_dates_are_read_in_its_time_zone(sales, export, line, value, day, utc):
    result = sales.upload("uk", export([line("1", value, "A")]))

    assert result["rows_imported"] == 1, result
    item = sales.get("/uk")["items"][0]
    assert item["day"] == day
    assert item["created_at"].replace("+00:00", "Z") == utc


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("01/13/2026", "not a real date"),  # month-first is never guessed
        ("2026-02-30", "not a real date"),
        ("2026/02/03", "not a date"),
        ("yesterday", "not a date"),
        ("", "not a date"),
        ("02-03-2026", "not a date"),
    ],
)
def test_dates_that_are_not_iso_or_the_local_format_are_row_errors(sales, export, line, value, message):
    result = sales.upload("uk", export([line("1", value, "A")]))

    assert result["rows_imported"] == 0
    assert result["errors"][0]["column"] == "Created At"
    assert message in result["errors"][0]["message"]


def test_a_region_with_a_month_first_format_reads_month_first(rm365_site, monkeypatch, export, line, make_sales):
    regions = {"us": {"currency": "USD", "date_format": "MM/DD/YYYY", "timezone": "America/New_York"}}
    monkeypatch.setenv("RM365_SALESDATA_REGIONS", json.dumps(regions))
    site = rm365_site(plugins=["salesdata"])
    sales = make_sales(site.client_with_tabs("salesdata"))

    result = sales.upload("us", export([line("1", "01/13/2026 20:00", "A", currency="USD")]))

    assert result["rows_imported"] == 1, result
    assert sales.get("/us")["items"][0]["day"] == "2026-01-13"
    assert [t["id"] for t in sales.get("/regions")] == ["us"]


def test_bad_rows_are_reported_by_line_column_and_value_and_the_rest_imported(sales, export, line):
    rows = [
        line("1", "2026-11-02", "A", name="two\nlines"),  # lines 2-3
        line("2", "2026-11-02", "B", qty="abc"),  # line 4
        line("3", "2026-11-02", "C", qty="1.5"),  # line 5
        line("4", "2026-11-02", "D", price="-2"),  # line 6
        line("5", "2026-11-02", "E", currency="USD"),  # line 7
        line("", "2026-11-02", "F"),  # line 8
        line("7", "2026-11-02", ""),  # line 9
        line("8", "2026-11-02", "H", total="lots"),  # line 10
        line("9", "2026-11-02", "I", status=""),  # line 11
        line("10", "2026-11-02", "J"),  # line 12
    ]
    result = sales.upload("uk", export(rows))

    assert (result["rows_total"], result["rows_imported"], result["rows_failed"]) == (10, 2, 8)
    errors = [(e["row"], e["column"], e["value"]) for e in result["errors"]]
    assert errors == [
        (4, "Product Qty", "abc"),
        (5, "Product Qty", "1.5"),
        (6, "Product Price", "-2"),
        (7, "Currency", "USD"),
        (8, "Order number", ""),
        (9, "Product SKU", ""),
        (10, "Grand Total", "lots"),
        (11, "Status", ""),
    ]
    assert all(e["message"] for e in result["errors"])


def test_the_whole_error_list_downloads_as_csv(sales, export, line):
    result = sales.upload("uk", export([line("1", "nope", "A"), line("2", "2026-11-02", "B", qty="x")]))

    response = sales.client.get(f"/api/v1/salesdata/history/{result['import_id']}/errors.csv")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["row", "column", "value", "message"]
    assert [r[:3] for r in rows[1:]] == [["2", "Created At", "nope"], ["3", "Product Qty", "x"]]


def test_another_currency_is_converted_with_a_stored_rate(sales, export, line):
    assert (
        sales.client.put(
            "/api/v1/salesdata/rates", json=[{"base": "USD", "quote": "GBP", "rate": 0.8, "as_of": "2026-11-01"}]
        ).status_code
        == 200
    )

    result = sales.upload("uk", export([line("1", "2026-11-02", "A", 1, "10.00", currency="USD", total="25.00")]))

    assert result["rows_imported"] == 1, result
    item = sales.get("/uk")["items"][0]
    assert (item["price"], item["grand_total"], item["exported_currency"]) == (8.0, 20.0, "USD")


def test_importing_the_same_file_again_imports_nothing_and_says_so(sales, export, line):
    data = export([line("1", "2026-11-02", "A", 2), line("1", "2026-11-02", "A", 1), line("2", "2026-11-03", "B")])
    first = sales.upload("uk", data)
    second = sales.upload("uk", data)

    assert (first["rows_imported"], first["rows_duplicate"]) == (3, 0)
    assert (second["rows_imported"], second["rows_duplicate"]) == (0, 3)
    assert sales.get("/uk")["total"] == 3
    assert sales.condensed("uk", since="2026-01-01") == {"A": 3, "B": 1}


def test_an_overlapping_export_imports_only_the_new_lines(sales, export, line):
    sales.upload("uk", export([line("1", "2026-11-02", "A"), line("2", "2026-11-03", "B")]))

    result = sales.upload("uk", export([line("2", "2026-11-03", "B"), line("3", "2026-11-04", "C", 4)]))

    assert (result["rows_imported"], result["rows_duplicate"]) == (1, 1)
    assert sales.condensed("uk", since="2026-01-01") == {"A": 1, "B": 1, "C": 4}


def test_the_same_order_in_another_region_is_another_line(sales, export, line):
    sales.upload("uk", export([line("1", "2026-11-02", "A")]))
    result = sales.upload("fr", export([line("1", "2026-11-02", "A", currency="EUR")]))

    assert result["rows_imported"] == 1


def test_a_dry_run_counts_everything_and_keeps_nothing(sales, export, line):
    sales.upload("uk", export([line("1", "2026-11-02", "A")]))

    result = sales.upload(
        "uk", export([line("1", "2026-11-02", "A"), line("2", "2026-11-02", "B"), line("3", "bad", "C")]), dry_run=True
    )

    assert (result["dry_run"], result["rows_imported"], result["rows_duplicate"], result["rows_failed"]) == (
        True,
        1,
        1,
        1,
    )
    assert sales.get("/uk")["total"] == 1
    assert sales.condensed("uk", since="2026-01-01") == {"A": 1}
    history = sales.get("/history")["items"]
    assert history[0]["dry_run"] is True and history[0]["status"] == "done"


def test_a_crash_part_way_leaves_nothing_imported(site, sales, export, line, monkeypatch):
    from rm365_salesdata.context import Context
    from rm365_salesdata.importer import import_file

    monkeypatch.setattr(site.kernel.settings_for("salesdata"), "batch_rows", 100)
    rows = [line(str(n), "2026-11-02", f"SKU-{n % 7}") for n in range(450)]
    calls = []

    def progress(done, total=None, message=""):
        calls.append(done)
        if len(calls) == 2:  # the second batch is in the database when the process dies
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_file(
            Context(site.kernel), "uk", io.BytesIO(export(rows)), filename="x.csv", username="t", progress=progress
        )

    assert sales.get("/uk")["total"] == 0
    assert sales.condensed("uk", since="2026-01-01") == {}
    run = sales.get("/history")["items"][0]
    assert run["status"] == "failed"
    # and the same file then imports whole
    assert sales.upload("uk", export(rows))["rows_imported"] == 450


def test_history_says_who_imported_what_and_how_it_went(site, export, line, make_sales):
    sales = make_sales(site.client_with_tabs("salesdata.upload", username="mia"))
    sales.upload("uk", export([line("1", "2026-11-02", "A"), line("2", "x", "B")]))

    run = sales.get("/history")["items"][0]

    assert (run["username"], run["region"], run["filename"], run["status"]) == ("mia", "uk", "export.csv", "done")
    assert (run["rows_total"], run["rows_imported"], run["rows_failed"]) == (2, 1, 1)
    assert run["duration_ms"] is not None


def test_an_empty_or_non_utf8_file_is_a_400(sales, export, line):
    empty = sales.client.post("/api/v1/salesdata/uk/upload", files={"file": ("x.csv", b"")})
    latin = export([line("1", "2026-11-02", "A", name="Caf\u00e9")]).replace("Café".encode(), b"Caf\xe9")
    bad = sales.client.post("/api/v1/salesdata/uk/upload", files={"file": ("x.csv", latin)})

    assert empty.status_code == 400
    assert bad.status_code == 400 and "UTF-8" in bad.json()["detail"]
    assert sales.get("/uk")["total"] == 0


def test_an_unknown_region_is_a_404(sales, export, line):
    response = sales.client.post("/api/v1/salesdata/de/upload", files={"file": ("x.csv", export([]))})

    assert response.status_code == 404
    assert "uk" in response.json()["detail"]


def test_an_order_cancelled_since_the_last_export_stops_counting(sales, export, line):
    sales.upload("uk", export([line("1", "2026-11-02", "A", 2, status="processing"), line("2", "2026-11-02", "A", 5)]))
    assert sales.condensed("uk", since="2026-01-01") == {"A": 7}

    later = export([line("1", "2026-11-02", "A", 2, status="canceled"), line("2", "2026-11-02", "A", 5)])
    result = sales.upload("uk", later)
    again = sales.upload("uk", later)

    assert (result["rows_imported"], result["rows_updated"], result["rows_duplicate"]) == (0, 1, 1)
    assert (again["rows_updated"], again["rows_duplicate"]) == (0, 2)
    assert sales.condensed("uk", since="2026-01-01") == {"A": 5}
    statuses = sorted((i["order_number"], i["status"]) for i in sales.get("/uk")["items"])
    assert statuses == [("1", "canceled"), ("2", "complete")]
    assert sales.get("/history")["items"][1]["rows_updated"] == 1


def test_two_imports_of_the_same_export_at_once_keep_each_line_once(site, export, line, make_sales):
    import threading

    rows = [line(str(n), "2026-11-02", f"SKU-{n % 5}", 1 + n % 3) for n in range(300)]
    data = export(rows)
    results: list[dict] = []
    start = threading.Barrier(2)

    def upload() -> None:
        sales = make_sales(site.client_with_tabs("salesdata"))
        start.wait()
        results.append(sales.upload("uk", data))

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    sales = make_sales(site.client_with_tabs("salesdata"))
    assert sorted(r["rows_imported"] for r in results) == [0, 300]
    assert sorted(r["rows_duplicate"] for r in results) == [0, 300]
    assert sales.get("/uk")["total"] == 300
    expected: dict[str, int] = {}
    for n in range(300):
        expected[f"SKU-{n % 5}"] = expected.get(f"SKU-{n % 5}", 0) + 1 + n % 3
    assert sales.condensed("uk", since="2026-01-01") == expected


def test_a_conversion_uses_the_rate_of_the_orders_day(sales, export, line):
    rates = [
        {"base": "USD", "quote": "GBP", "rate": 0.8, "as_of": "2026-01-01"},
        {"base": "GBP", "quote": "USD", "rate": 2.0, "as_of": "2026-06-01"},  # 1 USD = 0.5 GBP from June
    ]
    assert sales.client.put("/api/v1/salesdata/rates", json=rates).status_code == 200
    rows = [
        line("1", "2026-03-02", "A", 1, "10.00", currency="USD", total="10.00"),
        line("2", "2026-07-01", "B", 1, "10.00", currency="USD", total="10.00"),
        line("3", "2025-12-01", "C", 1, "10.00", currency="USD", total="10.00"),  # before any rate: the oldest
    ]

    result = sales.upload("uk", export(rows))

    assert result["rows_imported"] == 3, result
    prices = {i["sku"]: i["price"] for i in sales.get("/uk")["items"]}
    assert prices == {"A": 8.0, "B": 5.0, "C": 8.0}


def test_a_threshold_set_while_an_import_runs_applies_to_its_lines(site, export, line, make_sales):
    import threading

    rows = [line(str(n), "2026-11-02", f"SKU-{n % 5}", 40 if n % 10 == 0 else 1) for n in range(300)]
    data = export(rows)
    start = threading.Barrier(2)
    editor = make_sales(site.client_with_tabs("salesdata"))

    def upload() -> None:
        sales = make_sales(site.client_with_tabs("salesdata"))
        start.wait()
        sales.upload("uk", data)

    def set_threshold() -> None:
        start.wait()
        assert editor.client.put("/api/v1/salesdata/uk/thresholds", json={"max_line_qty": 20}).status_code == 200

    threads = [threading.Thread(target=upload), threading.Thread(target=set_threshold)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # whichever went first, the 30 lines of 40 units (all SKU-0) are left out and the 270 of 1 count
    assert editor.condensed("uk", since="2026-01-01") == {
        "SKU-0": 30,
        "SKU-1": 60,
        "SKU-2": 60,
        "SKU-3": 60,
        "SKU-4": 60,
    }


def test_a_filter_change_waits_for_the_regions_running_import_and_counts_its_lines(site, make_sales):
    """An import holding its region's turn (PostgreSQL: the advisory lock its merge takes;
    SQLite: the write lock) has written a line the new threshold catches; the change waits,
    then counts that line too."""
    import threading
    import time

    from sqlalchemy import text

    engine = site.kernel.databases.engine("products")
    postgres = engine.dialect.name == "postgresql"
    editor = make_sales(site.client_with_tabs("salesdata"))
    with engine.connect() as importer:
        if postgres:
            importer.execute(text("SELECT pg_advisory_xact_lock(hashtext('rm365.salesdata.import'), hashtext('uk'))"))
        importer.execute(
            text(
                "INSERT INTO salesdata_lines (region, order_number, sku, line_no, name, created_at, day, qty, "
                "price_minor, status, currency, grand_total_minor, customer_email, customer_name, customer_group) "
                "VALUES ('uk', '1', 'BIG', 1, 'Big', '2026-11-02 12:00:00', '2026-11-02', 40, 100, 'complete', "
                "'GBP', 4000, '', '', 'General')"
            )
        )
        answers: list[int] = []
        change = threading.Thread(
            target=lambda: answers.append(
                editor.client.put("/api/v1/salesdata/uk/thresholds", json={"max_line_qty": 20}).status_code
            )
        )
        change.start()
        if postgres:
            waiting = False
            while change.is_alive() and not waiting:
                with engine.connect() as probe:
                    waiting = bool(
                        probe.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"))
                    )
                time.sleep(0.02)
            assert waiting, "the filter change did not wait for the import"
        else:
            change.join(0.3)
            assert change.is_alive(), "the filter change did not wait for the import"
        importer.commit()
    change.join()

    assert answers == [200]
    with engine.connect() as conn:
        removed = conn.execute(text("SELECT sku, qty FROM salesdata_removed WHERE region = 'uk'")).all()
    assert [tuple(r) for r in removed] == [("BIG", 40)]
