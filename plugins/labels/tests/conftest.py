"""Shared set-up for the labels tests: a site with inventory and labels, clients, helpers."""

from __future__ import annotations

import io
from typing import Any

import pytest

BASE = "/api/v1/labels"
INV = "/api/v1/inventory"


class Labels:
    """A client holding the labels tabs (and inventory, to make items), with short-hands."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def item(self, sku: str, name: str | None = None, **fields: Any) -> dict[str, Any]:
        response = self.client.post(f"{INV}/items", json={"sku": sku, "name": name or f"Item {sku}", **fields})
        assert response.status_code == 201, response.text
        return response.json()

    def candidates(self, **params: Any) -> dict[str, Any]:
        response = self.client.get(f"{BASE}/candidates", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def job(self, items: list[Any], template: str = "roll-69x27", region: str = "uk", **extra: Any) -> dict[str, Any]:
        body = {
            "items": [i if isinstance(i, dict) else {"sku": i} for i in items],
            "template": template,
            "region": region,
            **extra,
        }
        response = self.client.post(f"{BASE}/jobs", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def pdf(self, job_id: int) -> bytes:
        response = self.client.get(f"{BASE}/jobs/{job_id}/pdf")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        return response.content


def decode_pdf(data: bytes, template: dict[str, Any] | None = None, dpi: int = 300) -> list[list[tuple[str, str]]]:
    """Every barcode on every page: ``[[(format, text), ...] per page]``. With a template (as
    ``GET /templates`` lists it) each label is decoded on its own, in slot order (a decoder
    reports identical symbols in one image once)."""
    import pypdfium2 as pdfium
    import zxingcpp

    pages = []
    document = pdfium.PdfDocument(io.BytesIO(data))
    scale = dpi / 25.4
    for page in document:
        image = page.render(scale=dpi / 72).to_pil()
        if template is None:
            found = zxingcpp.read_barcodes(image)
            pages.append([(r.format.name, r.text) for r in found])
            continue
        labels = []
        for slot in range(template["columns"] * template["rows"]):
            column, row = slot % template["columns"], slot // template["columns"]
            left = template["margin_left"] + column * (template["label_width"] + template["gap_x"])
            top = template["margin_top"] + row * (template["label_height"] + template["gap_y"])
            box = (
                left * scale,
                top * scale,
                (left + template["label_width"]) * scale,
                (top + template["label_height"]) * scale,
            )
            found = zxingcpp.read_barcodes(image.crop(tuple(round(v) for v in box)))
            labels.extend((r.format.name, r.text) for r in found)
        pages.append(labels)
    return pages


def page_sizes_mm(data: bytes) -> list[tuple[float, float]]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(io.BytesIO(data))
    return [(round(w / 72 * 25.4, 1), round(h / 72 * 25.4, 1)) for w, h in (p.get_size() for p in document)]


def pdf_text(data: bytes) -> list[str]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(io.BytesIO(data))
    return [page.get_textpage().get_text_range() for page in document]


@pytest.fixture
def site(rm365_site: Any) -> Any:
    return rm365_site(plugins=["inventory", "labels"])


@pytest.fixture
def labels(site: Any) -> Labels:
    return Labels(site.client_with_tabs("labels", "inventory"))


class PdfTools:
    """Reading a PDF back: barcodes decoded per page, page sizes in mm, text per page."""

    decode = staticmethod(decode_pdf)
    sizes = staticmethod(page_sizes_mm)
    text = staticmethod(pdf_text)


@pytest.fixture
def pdf() -> PdfTools:
    return PdfTools()


@pytest.fixture
def make_labels(rm365_site: Any) -> Any:
    """``make_labels(extra={"salesdata": plugin})``: a Labels client on a new site."""

    def make(extra: dict[str, Any] | None = None) -> Labels:
        site = rm365_site(plugins=["inventory", "labels"], extra=extra)
        return Labels(site.client_with_tabs("labels", "inventory"))

    return make
