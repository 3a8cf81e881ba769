"""Label jobs through the API: snapshot, reprint, PDF pages, CSV, history, bad input."""

from __future__ import annotations

from typing import Any

BASE = "/api/v1/labels"


def test_roll_job_prints_seven_boxed_labels_a_page_on_103_by_200_mm(labels: Any, pdf: Any) -> None:
    made = [labels.item(f"VIT-{i:02d}", f"Vitamin {i}") for i in range(9)]
    job = labels.job([{"sku": m["sku"], "copies": 2 if i == 0 else 1} for i, m in enumerate(made)])
    assert job["item_count"] == 9 and job["label_count"] == 10 and job["pages"] == 2
    data = labels.pdf(job["id"])
    assert pdf.sizes(data) == [(103.0, 200.0), (103.0, 200.0)]
    roll = next(t for t in labels.client.get(f"{BASE}/templates").json() if t["id"] == "roll-69x27")
    pages = pdf.decode(data, roll)
    assert [len(p) for p in pages] == [7, 3]
    expected = [made[0]["item_id"], *[m["item_id"] for m in made]]
    assert [text for page in pages for _, text in page] == expected


def test_reprint_gives_the_same_bytes_even_after_the_item_is_deleted(labels: Any, pdf: Any) -> None:
    item = labels.item("OMEGA-1", "Omega-3 Fish Oil 1000mg")
    job = labels.job(["OMEGA-1"], line_date="2026-12-01")
    first = labels.pdf(job["id"])
    assert labels.client.delete("/api/v1/inventory/items/OMEGA-1").status_code == 204
    again = labels.pdf(job["id"])
    assert again == first
    text = pdf.text(again)[0]
    assert "Omega-3" in text and "01/12/2026" in text and "OMEGA-1" in text
    assert pdf.decode(again) == [[("Code128", item["item_id"])]]


def test_history_lists_jobs_newest_first_with_who_made_them(labels: Any, pdf: Any) -> None:
    labels.item("A-1")
    first = labels.job(["A-1"])
    second = labels.job(["A-1"], region="fr", filters={"statuses": "Active", "search": "a"})
    page = labels.client.get(f"{BASE}/jobs").json()
    assert [j["id"] for j in page["items"]] == [second["id"], first["id"]]
    assert page["total"] == 2 and page["items"][0]["created_by"] == labels.client.username
    assert page["items"][0]["filters"] == {"statuses": "Active", "search": "a"}
    assert page["items"][0]["region"] == "fr" and page["items"][0]["currency"] == "EUR"


def test_csv_has_every_row_as_printed(labels: Any, pdf: Any) -> None:
    labels.item("B-1", "Biotin, 10000mcg")
    job = labels.job([{"sku": "B-1", "copies": 3}], line_date="2026-11-30")
    response = labels.client.get(f"{BASE}/jobs/{job['id']}/csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    lines = response.text.strip().splitlines()
    assert lines[0].startswith("sku,name,item_id,barcode")
    assert lines[1].startswith('B-1,"Biotin, 10000mcg"') and ",3,2026-11-30,roll-69x27,uk" in lines[1]


def test_deleted_job_is_gone(labels: Any, pdf: Any) -> None:
    labels.item("C-1")
    job = labels.job(["C-1"])
    assert labels.client.delete(f"{BASE}/jobs/{job['id']}").status_code == 204
    response = labels.client.get(f"{BASE}/jobs/{job['id']}")
    assert response.status_code == 404 and "no label job" in response.json()["detail"]
    assert labels.client.get(f"{BASE}/jobs/{job['id']}/pdf").status_code == 404
    assert labels.client.get(f"{BASE}/jobs/{job['id']}/csv").status_code == 404


def test_bad_input_is_refused_with_a_clear_message(labels: Any, pdf: Any) -> None:
    labels.item("D-1")
    cases = [
        ({"items": [{"sku": "NOPE"}], "template": "roll-69x27", "region": "uk"}, "unknown SKU 'NOPE'"),
        ({"items": [{"sku": "D-1"}], "template": "roll-1x1", "region": "uk"}, "unknown template"),
        ({"items": [{"sku": "D-1"}], "template": "roll-69x27", "region": "de"}, "unknown region"),
        ({"items": [{"sku": "D-1", "copies": 0}], "template": "roll-69x27", "region": "uk"}, "copies"),
        ({"items": [{"sku": "D-1", "copies": 10**6}], "template": "roll-69x27", "region": "uk"}, "copies"),
        ({"items": [], "template": "roll-69x27", "region": "uk"}, "at least one item"),
        ({"items": [{"sku": "D-1"}, {"sku": "D-1"}], "template": "roll-69x27", "region": "uk"}, "listed twice"),
    ]
    for body, message in cases:
        response = labels.client.post(f"{BASE}/jobs", json=body)
        assert 400 <= response.status_code < 500, (body, response.text)
        assert message in response.json()["detail"], (body, response.text)
    assert labels.client.get(f"{BASE}/jobs").json()["total"] == 0


def test_labels_need_their_tabs(site: Any) -> None:
    other = site.client_with_tabs("inventory")
    assert other.get(f"{BASE}/candidates").status_code == 403
    history_only = site.client_with_tabs("labels.history")
    assert history_only.get(f"{BASE}/jobs").status_code == 200
    assert history_only.post(f"{BASE}/jobs", json={}).status_code == 403


def test_preview_draws_only_the_first_page_and_stores_nothing(labels: Any, pdf: Any) -> None:
    made = [labels.item(f"P-{i}", f"Probiotic {i}") for i in range(5)]
    body = {"items": [{"sku": m["sku"], "copies": 2} for m in made], "template": "roll-69x27", "region": "uk"}
    response = labels.client.post(f"{BASE}/preview", json=body)
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    roll = next(t for t in labels.client.get(f"{BASE}/templates").json() if t["id"] == "roll-69x27")
    pages = pdf.decode(response.content, roll)
    assert len(pages) == 1 and len(pages[0]) == 7
    assert labels.client.get(f"{BASE}/jobs").json()["total"] == 0
    bad = labels.client.post(f"{BASE}/preview", json={**body, "template": "nope"})
    assert bad.status_code == 422 and "unknown template" in bad.json()["detail"]


def test_preview_as_an_image_for_the_generator_page(labels: Any) -> None:
    labels.item("PNG-1", "Spirulina 500mg")
    body = {"items": [{"sku": "PNG-1"}], "template": "thermal-62x29", "region": "fr"}
    response = labels.client.post(f"{BASE}/preview", params={"format": "png"}, json=body)
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")
