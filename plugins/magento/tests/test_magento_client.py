"""The Magento client against the fake Magento over HTTP: lookups, paging, refusals, outages."""

from __future__ import annotations

from typing import Any

import pytest
from rm365_magento.client import MagentoClient
from rm365_magento.errors import NotConfigured, Upstream
from rm365_magento.fake import FakeMagento
from rm365_magento.settings import MagentoSettings

BASE = "/api/v1/magento"


def test_lookup_by_order_number_answers_the_invoice_with_its_lines(site: Any, packer: Any) -> None:
    response = packer.get(f"{BASE}/invoice/lookup", params={"order_number": "1000001"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["invoice_number"] == "1000001-INV1" and body["order_number"] == "1000001"
    assert [(li["sku"], li["qty"], li["order_item_id"]) for li in body["lines"]] == [
        ("VIT-D3", 2, 1001),
        ("OMEGA-3", 1, 1002),
    ]


def test_lookup_by_invoice_number_falls_back_to_the_invoice(site: Any, packer: Any, magento: FakeMagento) -> None:
    magento.add_order("1000002", [("VIT-D3", "Vitamin D3", 4)], invoice_number="INV-77")
    body = packer.get(f"{BASE}/invoice/lookup", params={"order_number": "INV-77"}).json()
    assert body["order_number"] == "1000002" and body["lines"][0]["qty"] == 4


def test_an_unknown_order_is_404_naming_magento(site: Any, packer: Any) -> None:
    response = packer.get(f"{BASE}/invoice/lookup", params={"order_number": "999"})
    assert response.status_code == 404
    assert response.json()["detail"] == "Magento has no order or invoice 999"


def test_an_order_without_invoice_is_404(site: Any, packer: Any, magento: FakeMagento) -> None:
    magento.add_order("1000003", [("VIT-D3", "Vitamin D3", 1)], invoice=False)
    response = packer.get(f"{BASE}/invoice/lookup", params={"order_number": "1000003"})
    assert response.status_code == 404 and "no invoice yet" in response.json()["detail"]


def test_paging_stops_by_total_count_when_magento_repeats_the_last_page(magento: FakeMagento) -> None:
    order = magento.add_order("1000009", [("A", "A", 1)])
    for _ in range(4):
        magento.add_invoice(order)
    client = MagentoClient(MagentoSettings(base_url=magento.url, token=magento.token, page_size=2, backoff=0))
    before = magento.calls("/invoices")
    invoices = client.invoices_of_order(order["entity_id"])
    assert len(invoices) == 5
    assert [i["entity_id"] for i in invoices] == sorted(i["entity_id"] for i in invoices)
    assert magento.calls("/invoices") - before == 3
    client.close()


def test_a_refused_token_is_a_502_saying_so(site: Any, packer: Any, magento: FakeMagento) -> None:
    magento.token = "rotated"
    response = packer.get(f"{BASE}/invoice/lookup", params={"order_number": "1000001"})
    assert response.status_code == 502
    assert "Magento refused the access token" in response.json()["detail"]
    assert "RM365_MAGENTO_TOKEN" in response.json()["detail"]


def test_magento_down_is_a_503_naming_magento(site: Any, packer: Any, magento: FakeMagento) -> None:
    magento.stop()
    response = packer.get(f"{BASE}/invoice/lookup", params={"order_number": "1000001"})
    assert response.status_code == 503
    assert "Magento is unreachable" in response.json()["detail"]


def test_no_answer_in_time_is_a_504_naming_magento(magento: FakeMagento) -> None:
    magento.delay = 1.0
    client = MagentoClient(MagentoSettings(base_url=magento.url, token=magento.token, timeout=0.2, retries=0))
    with pytest.raises(Upstream) as refused:
        client.order_by_number("1000001")
    assert refused.value.status == 504 and "Magento did not answer within 0.2 s" in refused.value.message
    client.close()


def test_passing_failures_are_retried(site: Any, packer: Any, magento: FakeMagento) -> None:
    magento.failures = [503, 429]
    response = packer.get(f"{BASE}/invoice/lookup", params={"order_number": "1000001"})
    assert response.status_code == 200


def test_lasting_failures_are_a_502_naming_magento(site: Any, packer: Any, magento: FakeMagento) -> None:
    magento.failures = [500] * 10
    response = packer.get(f"{BASE}/invoice/lookup", params={"order_number": "1000001"})
    assert response.status_code == 502
    assert response.json()["detail"].startswith("Magento failed (HTTP 500)")


def test_without_a_base_url_magento_is_not_configured_409(rm365_site: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RM365_MAGENTO_BASE_URL", raising=False)
    site = rm365_site(plugins=["inventory", "magento"])
    client = site.client_with_tabs("magento")
    response = client.get(f"{BASE}/invoice/lookup", params={"order_number": "1000001"})
    assert response.status_code == 409
    assert "Magento is not configured" in response.json()["detail"]
    assert client.post(f"{BASE}/sessions", json={"order_number": "1"}).status_code == 409
    with pytest.raises(NotConfigured):
        MagentoClient(MagentoSettings())


def test_status_reads_make_no_magento_call(h: Any, site: Any, packer: Any, magento: FakeMagento) -> None:
    session = h.start(packer)
    calls = magento.calls()
    for _ in range(5):
        assert packer.get(f"{BASE}/sessions/{session['id']}").status_code == 200
        assert packer.get(f"{BASE}/sessions").status_code == 200
    assert magento.calls() == calls


def test_an_open_session_keeps_working_while_magento_is_down(
    h: Any, site: Any, packer: Any, magento: FakeMagento
) -> None:
    session = h.start(packer)
    magento.stop()
    for code in ("VIT-D3", "VIT-D3", "OMEGA-3"):
        assert h.scan(packer, session["id"], code).status_code == 200
    done = packer.post(f"{BASE}/sessions/{session['id']}/complete")
    assert done.status_code == 200 and done.json()["status"] == "completed"


def test_completion_creates_the_shipment_when_the_site_asks(
    h: Any, rm365_site: Any, configure: Any, magento: FakeMagento
) -> None:
    configure(create_shipment="true")
    site = rm365_site(plugins=["inventory", "magento"])
    h.stock_items(site)
    packer = site.client_with_tabs("magento.pickpack")
    session = h.start(packer)
    for code in ("VIT-D3", "VIT-D3", "OMEGA-3"):
        h.scan(packer, session["id"], code)
    done = packer.post(f"{BASE}/sessions/{session['id']}/complete", json={"tracking": "TRK1"})
    assert done.status_code == 200, done.text
    assert done.json()["shipment_id"] == "1"
    assert magento.shipments[0]["items"] == [{"order_item_id": 1001, "qty": 2}, {"order_item_id": 1002, "qty": 1}]
    assert magento.shipments[0]["tracks"][0]["track_number"] == "TRK1"


def test_magentos_refusal_of_the_shipment_is_shown(
    h: Any, rm365_site: Any, configure: Any, magento: FakeMagento
) -> None:
    configure(create_shipment="true")
    site = rm365_site(plugins=["inventory", "magento"])
    h.stock_items(site)
    packer = site.client_with_tabs("magento.pickpack")
    session = h.start(packer)
    for code in ("VIT-D3", "VIT-D3", "OMEGA-3"):
        h.scan(packer, session["id"], code)
    magento.refuse_shipment = "The order does not allow a shipment to be created."
    refused = packer.post(f"{BASE}/sessions/{session['id']}/complete")
    assert refused.status_code == 502
    assert refused.json()["detail"].startswith("Magento refused the shipment")
    assert "does not allow a shipment" in refused.json()["detail"]
    assert packer.get(f"{BASE}/sessions/{session['id']}").json()["status"] == "active"
