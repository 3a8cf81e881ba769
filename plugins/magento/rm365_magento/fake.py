"""A fake Magento: a small real HTTP server with the REST endpoints pick & pack uses, Magento's
``searchCriteria`` filters, paging (the last page again past the end) and bearer tokens.
The plugin's tests and ``rm365 serve --demo`` run against it.

    with FakeMagento(token="secret") as magento:
        magento.add_order("1000001", [("VITD3-1-120", "Vitamin D3", 2)])
        # RM365_MAGENTO_BASE_URL=magento.url, RM365_MAGENTO_TOKEN=secret
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

_FILTER_RE = re.compile(r"^searchCriteria\[filter_groups\]\[(\d+)\]\[filters\]\[(\d+)\]\[(\w+)\]$")
_ROUTE_RE = re.compile(r"^/rest/(?P<store>[a-z0-9_]+)/V1/(?P<path>.*)$")


def _matches(record: dict[str, Any], field: str, value: str, condition: str) -> bool:
    actual = record.get(field)
    if actual is None:
        return False
    text = str(actual)
    if condition == "eq":
        return text == value
    if condition == "neq":
        return text != value
    if condition == "in":
        return text in value.split(",")
    if condition == "like":
        pattern = "^" + re.escape(value).replace("%", ".*") + "$"
        return re.match(pattern, text, re.IGNORECASE) is not None
    return False


def search(records: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
    """Magento's list answer: filters in a group are OR, groups are AND; sorted; paged, and
    a page past the end answers the last page again (as Magento does)."""
    groups: dict[str, dict[str, dict[str, str]]] = {}
    for key, value in query.items():
        match = _FILTER_RE.match(key)
        if match:
            groups.setdefault(match.group(1), {}).setdefault(match.group(2), {})[match.group(3)] = value
    found = [
        r
        for r in records
        if all(
            any(_matches(r, f.get("field", ""), f.get("value", ""), f.get("condition_type", "eq")) for f in g.values())
            for g in groups.values()
        )
    ]
    sort_field = query.get("searchCriteria[sortOrders][0][field]", "entity_id")
    reverse = query.get("searchCriteria[sortOrders][0][direction]", "ASC").upper() == "DESC"
    found.sort(key=lambda r: (r.get(sort_field) is None, r.get(sort_field)), reverse=reverse)
    size = int(query.get("searchCriteria[pageSize]", "0") or 0)
    page = max(1, int(query.get("searchCriteria[currentPage]", "1") or 1))
    items = found
    if size > 0:
        last = max(1, -(-len(found) // size))
        page = min(page, last)
        items = found[(page - 1) * size : page * size]
    return {"items": items, "search_criteria": {"page_size": size, "current_page": page}, "total_count": len(found)}


class FakeMagento:
    """The fake store: orders, invoices and shipments in memory, served over HTTP."""

    def __init__(self, token: str, *, port: int = 0, host: str = "127.0.0.1") -> None:
        self.token = token
        self.host, self.port = host, port
        self.orders: list[dict[str, Any]] = []
        self.invoices: list[dict[str, Any]] = []
        self.shipments: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str]] = []
        #: Answer the next ``n`` requests with this status (e.g. ``[503, 503]``).
        self.failures: list[int] = []
        #: Refuse shipment creation with this message.
        self.refuse_shipment: str | None = None
        #: Seconds to wait before answering (to try timeouts).
        self.delay = 0.0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- data -----------------------------------------------------------------------------
    def add_order(
        self,
        increment_id: str,
        lines: Iterable[tuple[str, str, int]],
        *,
        invoice: bool = True,
        customer: tuple[str, str] = ("Alex", "Morgan"),
        invoice_number: str | None = None,
    ) -> dict[str, Any]:
        """An order with ``(sku, name, qty)`` lines and, by default, one invoice of them all."""
        with self._lock:
            order_id = len(self.orders) + 1
            now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
            items: list[dict[str, Any]] = []
            for sku, name, qty in lines:
                item_id = 1000 * order_id + len(items) + 1
                items.append(
                    {
                        "item_id": item_id,
                        "order_id": order_id,
                        "sku": sku,
                        "name": name,
                        "qty_ordered": qty,
                        "qty_invoiced": qty if invoice else 0,
                        "qty_shipped": 0,
                        "product_type": "simple",
                    }
                )
            order = {
                "entity_id": order_id,
                "increment_id": increment_id,
                "state": "processing",
                "status": "processing",
                "customer_firstname": customer[0],
                "customer_lastname": customer[1],
                "created_at": now,
                "items": items,
            }
            self.orders.append(order)
        if invoice:
            self.add_invoice(order, invoice_number=invoice_number)
        return order

    def add_invoice(self, order: dict[str, Any], *, invoice_number: str | None = None) -> dict[str, Any]:
        with self._lock:
            entity_id = len(self.invoices) + 1
            invoice = {
                "entity_id": entity_id,
                "increment_id": invoice_number or f"{order['increment_id']}-INV{entity_id}",
                "order_id": order["entity_id"],
                "state": 2,
                "created_at": order["created_at"],
                "items": [
                    {
                        "entity_id": 10 * entity_id + i,
                        "parent_id": None,
                        "order_item_id": it["item_id"],
                        "sku": it["sku"],
                        "name": it["name"],
                        "qty": f"{it['qty_ordered']:.4f}",
                    }
                    for i, it in enumerate(order["items"])
                ],
            }
            self.invoices.append(invoice)
        return invoice

    def calls(self, path_part: str = "") -> int:
        """How many requests reached the server (whose path contains ``path_part``)."""
        return sum(1 for _, path in self.requests if path_part in path)

    # -- server ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> FakeMagento:
        server = ThreadingHTTPServer((self.host, self.port), _handler(self))
        server.daemon_threads = True
        self.port = server.server_address[1]  # keep the port: a restart comes back on it
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="fake-magento", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeMagento:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- endpoints ------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict[str, str], headers: Any, body: Any) -> tuple[int, Any]:
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            self.requests.append((method, path))
            if self.failures:
                return self.failures.pop(0), {"message": "Internal Error. Details are available in Magento log file."}
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {
                "message": "The consumer isn't authorized to access %resources.",
                "parameters": {"resources": "Magento_Sales::actions_view"},
            }
        route = _ROUTE_RE.match(path)
        if route is None:
            return 404, {"message": "Request does not match any route."}
        rest = route.group("path")
        if method == "GET" and rest == "orders":
            return 200, search(self.orders, query)
        if method == "GET" and rest == "invoices":
            return 200, search(self.invoices, query)
        if method == "GET" and re.fullmatch(r"orders/\d+", rest):
            order = self._order(int(rest.split("/")[1]))
            return (200, order) if order else (404, {"message": "The entity that was requested doesn't exist."})
        if method == "POST" and re.fullmatch(r"order/\d+/ship", rest):
            return self._ship(int(rest.split("/")[1]), body)
        return 404, {"message": "Request does not match any route."}

    def _order(self, entity_id: int) -> dict[str, Any] | None:
        return next((o for o in self.orders if o["entity_id"] == entity_id), None)

    def _ship(self, order_id: int, body: Any) -> tuple[int, Any]:
        order = self._order(order_id)
        if order is None:
            return 404, {"message": "The entity that was requested doesn't exist."}
        if self.refuse_shipment:
            return 400, {"message": self.refuse_shipment}
        items = (body or {}).get("items") or []
        by_id = {it["item_id"]: it for it in order["items"]}
        for line in items:
            item = by_id.get(line.get("order_item_id"))
            if item is None or item["qty_shipped"] + line.get("qty", 0) > item["qty_ordered"]:
                return 400, {
                    "message": "Shipment Document Validation Error(s):\nYou can't create a shipment without products."
                }
        with self._lock:
            for line in items:
                by_id[line["order_item_id"]]["qty_shipped"] += line["qty"]
            shipment_id = len(self.shipments) + 1
            self.shipments.append(
                {
                    "entity_id": shipment_id,
                    "order_id": order_id,
                    "items": items,
                    "tracks": (body or {}).get("tracks", []),
                }
            )
        return 200, shipment_id


def _handler(fake: FakeMagento) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            status, answer = fake.handle(method, parts.path, query, self.headers, body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._serve("POST")

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    return Handler
