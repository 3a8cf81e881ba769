"""The Magento REST client: one shared ``requests`` session with timeouts, retries with
backoff (429, 5xx, connection errors) and errors a page can show in words.

Lookups used by pick & pack: an order by ``increment_id``, its invoices, and an invoice by
its own number. Lists page with ``searchCriteria`` sorted by ``entity_id`` and stop by
``total_count``: Magento answers the last page again when asked past the end."""

from __future__ import annotations

import threading
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError
from urllib3.util.retry import Retry

from .errors import NotConfigured, NotFound, Upstream
from .settings import MagentoSettings

ACCESS_HINT = (
    "check RM365_MAGENTO_TOKEN (an integration access token; Magento 2.4.4+ also needs "
    '"Allow OAuth Access Tokens to be used as standalone Bearer tokens" switched on)'
)
#: Never page further than this, whatever ``total_count`` says.
MAX_PAGES = 200


def search_criteria(field: str, value: Any, *, page: int = 1, size: int = 50, condition: str = "eq") -> dict[str, str]:
    """The query parameters of a one-filter Magento search sorted by ``entity_id``."""
    prefix = "searchCriteria[filter_groups][0][filters][0]"
    return {
        f"{prefix}[field]": field,
        f"{prefix}[value]": str(value),
        f"{prefix}[condition_type]": condition,
        "searchCriteria[sortOrders][0][field]": "entity_id",
        "searchCriteria[sortOrders][0][direction]": "ASC",
        "searchCriteria[pageSize]": str(size),
        "searchCriteria[currentPage]": str(page),
    }


def _message(response: requests.Response) -> str:
    """Magento's own words for a refusal (``message`` with ``%1`` parameters filled in)."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip() or response.reason or ""
    if not isinstance(body, dict):
        return str(body)[:200]
    message = str(body.get("message", ""))
    params = body.get("parameters")
    if isinstance(params, dict):
        for key, value in params.items():
            message = message.replace(f"%{key}", str(value))
    elif isinstance(params, list):
        for index, value in enumerate(params, start=1):
            message = message.replace(f"%{index}", str(value))
    return message[:300]


class MagentoClient:
    """Talks to one Magento store. Thread-safe: one ``requests.Session`` shared by all."""

    def __init__(self, settings: MagentoSettings) -> None:
        if not settings.base_url:
            raise NotConfigured(
                "Magento is not configured: set RM365_MAGENTO_BASE_URL (and RM365_MAGENTO_TOKEN)",
                setting="RM365_MAGENTO_BASE_URL",
            )
        self.settings = settings
        self.base = f"{settings.base_url}/rest/{settings.store_code}/V1"
        self.calls = 0
        self._lock = threading.Lock()
        self.session = requests.Session()
        retry = Retry(
            total=settings.retries,
            connect=settings.retries,
            read=0,  # a read that timed out may have been applied: do not repeat it
            status=settings.retries,
            backoff_factor=settings.backoff,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=frozenset({"GET"}),
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=16)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["Accept"] = "application/json"
        if settings.token:
            self.session.headers["Authorization"] = f"Bearer {settings.token}"

    def close(self) -> None:
        self.session.close()

    # -- transport ----------------------------------------------------------------------
    def request(self, method: str, path: str, *, params: Any = None, json: Any = None) -> Any:
        """Call Magento; answers the decoded JSON or raises a ``DomainError`` naming Magento
        (404 passes through as ``None`` for the caller to word)."""
        url = f"{self.base}{path}"
        with self._lock:
            self.calls += 1
        try:
            response = self.session.request(method, url, params=params, json=json, timeout=self.settings.timeout)
        except requests.exceptions.Timeout as exc:
            raise Upstream(504, f"Magento did not answer within {self.settings.timeout:g} s ({method} {path})") from exc
        except requests.exceptions.RetryError as exc:
            raise Upstream(502, f"Magento kept failing (after {self.settings.retries} retries): {exc}") from exc
        except requests.exceptions.ConnectionError as exc:
            reason = getattr(exc.args[0], "reason", None) if exc.args else None
            timed_out = isinstance(reason, TimeoutError | ReadTimeoutError | ConnectTimeoutError)
            if timed_out and not isinstance(reason, NewConnectionError):  # refused is not slow
                raise Upstream(
                    504, f"Magento did not answer within {self.settings.timeout:g} s ({method} {path})"
                ) from exc
            raise Upstream(503, f"Magento is unreachable at {self.settings.base_url}") from exc
        except requests.exceptions.RequestException as exc:
            raise Upstream(502, f"Magento request failed: {exc}") from exc
        if response.status_code in (401, 403):
            raise Upstream(
                502,
                f"Magento refused the access token (HTTP {response.status_code}: {_message(response)}); {ACCESS_HINT}",
            )
        if response.status_code == 404:
            return None
        if response.status_code >= 500 or response.status_code == 429:
            raise Upstream(502, f"Magento failed (HTTP {response.status_code}): {_message(response)}")
        if response.status_code >= 400:
            raise Upstream(
                502,
                f"Magento refused the request (HTTP {response.status_code}): {_message(response)}",
                magento_status=response.status_code,
            )
        try:
            return response.json()
        except ValueError as exc:
            raise Upstream(502, f"Magento answered something that is not JSON ({method} {path})") from exc

    def search(self, resource: str, field: str, value: Any) -> list[dict[str, Any]]:
        """Every record of ``/V1/<resource>`` whose ``field`` equals ``value``, page by page
        until ``total_count`` records are in (past the end Magento repeats the last page)."""
        records: list[dict[str, Any]] = []
        seen: set[Any] = set()
        size = self.settings.page_size
        for page in range(1, MAX_PAGES + 1):
            body = self.request("GET", f"/{resource}", params=search_criteria(field, value, page=page, size=size))
            if not isinstance(body, dict):
                raise Upstream(502, f"Magento answered an unexpected {resource} list")
            items = body.get("items") or []
            total = int(body.get("total_count") or 0)
            for item in items:
                key = item.get("entity_id")
                if key not in seen:
                    seen.add(key)
                    records.append(item)
            if len(records) >= total or not items or len(items) < size:
                break
        return records

    # -- lookups ------------------------------------------------------------------------
    def order_by_number(self, increment_id: str) -> dict[str, Any] | None:
        found = self.search("orders", "increment_id", increment_id)
        return found[0] if found else None

    def order(self, entity_id: int) -> dict[str, Any] | None:
        body = self.request("GET", f"/orders/{int(entity_id)}")
        return body if isinstance(body, dict) else None

    def invoices_of_order(self, order_id: int) -> list[dict[str, Any]]:
        return self.search("invoices", "order_id", int(order_id))

    def invoice_by_number(self, increment_id: str) -> dict[str, Any] | None:
        found = self.search("invoices", "increment_id", increment_id)
        return found[0] if found else None

    def ship(self, order_id: int, items: list[dict[str, Any]], tracking: str | None = None) -> Any:
        """Create the shipment of ``items`` ``[{order_item_id, qty}]``; Magento's refusal is
        raised in its own words."""
        body: dict[str, Any] = {"items": items, "notify": False}
        if tracking:
            body["tracks"] = [{"track_number": tracking, "title": "Tracking", "carrier_code": "custom"}]
        result = self.request("POST", f"/order/{int(order_id)}/ship", json=body)
        if result is None:
            raise NotFound(f"Magento has no order {order_id} to ship")
        return result


def invoice_out(order: dict[str, Any], invoice: dict[str, Any]) -> dict[str, Any]:
    """The stored shape of an invoice: what a session keeps and a status read answers."""
    lines = []
    for item in invoice.get("items") or []:
        try:
            qty = int(float(item.get("qty") or 0))
        except (TypeError, ValueError):
            qty = 0
        if qty <= 0 or not item.get("sku") or item.get("parent_id"):
            continue  # children of a bundle or configurable ride on their parent line
        lines.append(
            {
                "order_item_id": int(item.get("order_item_id") or 0),
                "sku": str(item["sku"])[:64],
                "name": str(item.get("name") or item["sku"])[:255],
                "qty": qty,
            }
        )
    return {
        "order_id": int(order.get("entity_id") or invoice.get("order_id") or 0),
        "order_number": str(order.get("increment_id") or ""),
        "invoice_id": int(invoice.get("entity_id") or 0),
        "invoice_number": str(invoice.get("increment_id") or ""),
        "customer": " ".join(str(p) for p in (order.get("customer_firstname"), order.get("customer_lastname")) if p),
        "created_at": str(invoice.get("created_at") or ""),
        "lines": lines,
    }


def lookup_invoice(client: MagentoClient, number: str) -> dict[str, Any]:
    """The invoice an order number names (its first invoice), or the invoice of that number."""
    order = client.order_by_number(number)
    if order is not None:
        invoices = client.invoices_of_order(int(order["entity_id"]))
        if not invoices:
            raise NotFound(f"Magento order {number} has no invoice yet", order_number=number)
        return invoice_out(order, invoices[0])
    invoice = client.invoice_by_number(number)
    if invoice is None:
        raise NotFound(f"Magento has no order or invoice {number}", order_number=number)
    order = client.order(int(invoice.get("order_id") or 0)) or {}
    return invoice_out(order, invoice)
