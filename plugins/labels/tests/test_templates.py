"""Templates: page size and labels per page, the fitted name, fonts embedded, every template's
barcodes scanning back to the item's code."""

from __future__ import annotations

import re
from typing import Any

import pytest
from rm365_labels.render import MAX_NAME_LINES, fit_name

BASE = "/api/v1/labels"
EXPECTED = {
    "roll-69x27": ((103.0, 200.0), 7, "Code128"),
    "roll-69x27-qr": ((103.0, 200.0), 7, "QRCode"),
    "a4-3x8": ((210.0, 297.0), 24, "Code128"),
    "thermal-62x29": ((62.0, 29.0), 1, "Code128"),
    "thermal-4x6in": ((101.6, 152.4), 1, "QRCode"),
}


def test_templates_are_listed_with_their_sizes(labels: Any) -> None:
    listed = {t["id"]: t for t in labels.client.get(f"{BASE}/templates").json()}
    assert set(listed) == set(EXPECTED)
    roll = listed["roll-69x27"]
    assert (roll["label_width"], roll["label_height"], roll["columns"], roll["rows"], roll["outline"]) == (
        69,
        27,
        1,
        7,
        True,
    )
    assert (listed["a4-3x8"]["columns"], listed["a4-3x8"]["rows"]) == (3, 8)


@pytest.mark.parametrize("template_id", list(EXPECTED))
def test_each_template_fills_its_pages_and_every_barcode_scans(labels: Any, pdf: Any, template_id: str) -> None:
    size, per_page, symbology = EXPECTED[template_id]
    count = per_page + 1 if per_page > 1 else 2
    made = [labels.item(f"T-{i:02d}", f"Turmeric & Black Pepper {i}") for i in range(count)]
    job = labels.job([m["sku"] for m in made], template=template_id)
    data = labels.pdf(job["id"])
    assert pdf.sizes(data) == [size, size]
    template = next(t for t in labels.client.get(f"{BASE}/templates").json() if t["id"] == template_id)
    pages = pdf.decode(data, template)
    assert [len(p) for p in pages] == [per_page, count - per_page]
    assert [text for page in pages for _, text in page] == [m["item_id"] for m in made]
    assert {kind for page in pages for kind, _ in page} == {symbology}


def test_a4_prints_ean13_when_the_code_is_a_valid_ean(labels: Any, pdf: Any) -> None:
    labels.item("EAN-1", "Cod Liver Oil", item_id="5012345678900")
    labels.item("NOTEAN-1", "Krill Oil", item_id="5012345678901")
    job = labels.job(["EAN-1", "NOTEAN-1"], template="a4-3x8")
    found = pdf.decode(labels.pdf(job["id"]))[0]
    assert sorted(found) == [("Code128", "5012345678901"), ("EAN13", "5012345678900")]


def test_an_item_without_item_id_would_print_its_sku(labels: Any) -> None:
    item = labels.item("SKU-ONLY")
    job = labels.job(["SKU-ONLY"])
    assert job["rows"][0]["barcode"] == item["item_id"]  # inventory always derives one


def test_fonts_are_embedded_and_no_images_are_used(labels: Any) -> None:
    labels.item("F-1", "Folic Acid 400mcg")
    data = labels.pdf(labels.job(["F-1"])["id"])
    assert b"/FontFile2" in data  # TrueType subsets embedded
    fonts = re.findall(rb"/BaseFont /([^\s/>]+)", data)
    assert fonts and all(re.fullmatch(rb"[A-Z]{6}\+.+", f) for f in fonts), fonts  # no font left out
    assert b"/Subtype /Image" not in data


def test_the_name_fits_in_four_lines_with_the_first_word_bold(labels: Any, pdf: Any) -> None:
    long_name = "Vitamin D3 & K2 " + "Extra Strength Vegan Softgels For Bones Teeth And Immunity " * 4
    size, lines = fit_name(long_name, 110.0, 7.5, 5.0)
    assert len(lines) == MAX_NAME_LINES and lines[-1].endswith("\u2026") and size == 5.0
    size, lines = fit_name("Zinc 15mg", 110.0, 7.5, 5.0)
    assert (size, lines) == (7.5, ("Zinc 15mg",))
    labels.item("LONG-1", long_name)
    text = pdf.text(labels.pdf(labels.job(["LONG-1"])["id"]))[0]
    name_lines = text[text.index("Vitamin") :].splitlines()[:MAX_NAME_LINES]
    assert name_lines[0].startswith("Vitamin D3") and name_lines[-1].endswith("\u2026")
    # The first word is drawn in the bold font, the rest in the regular one.
    data = labels.pdf(labels.job(["LONG-1"])["id"])
    assert len(re.findall(rb"/BaseFont /[A-Z]{6}\+", data)) >= 2


def test_line_date_prints_or_is_left_to_write_on(labels: Any, pdf: Any) -> None:
    labels.item("L-1")
    dated = pdf.text(labels.pdf(labels.job(["L-1"], line_date="2026-03-09")["id"]))[0]
    blank = pdf.text(labels.pdf(labels.job(["L-1"])["id"]))[0]
    assert "Line: 09/03/2026" in dated and "Line: ____" in blank and "Date: ____" in blank


def test_codes_each_symbology_can_draw() -> None:
    from rm365_labels.symbols import encoding_problem

    assert encoding_problem("code128", "700012345678901234") is None
    assert encoding_problem("code128", "SKU-É") == "Code128 takes printable ASCII only"
    assert encoding_problem("qr", "SKU-É") is None
    assert encoding_problem("auto", "5012345678900") is None
