"""The labels rules: candidates to print, the preview, jobs that snapshot exactly what they
print (with their prices filled in by the background run for big jobs), history. A job's PDF
and CSV live in :mod:`~rm365_labels.printing`. No HTTP here."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from rm365_core import DomainError, emit_on_commit

from . import sources
from .errors import Invalid, NotFound
from .models import LabelJob, LabelJobPdf, LabelJobRow
from .printing import CHUNK, DB, ROOM, JobOutput
from .render import LabelRow, render_pdf
from .settings import LabelsSettings
from .symbols import encoding_problem
from .templates import TEMPLATES, Template

RENDER_JOB = "labels.render"
JOB_TAB = "labels.generator"


def settings_of(kernel: Any) -> LabelsSettings:
    found = kernel.settings_for("labels")
    return found if isinstance(found, LabelsSettings) else LabelsSettings()


def _template(template_id: str) -> Template:
    template = TEMPLATES.get(template_id)
    if template is None:
        raise Invalid(f"unknown template {template_id!r}; use one of: {', '.join(TEMPLATES)}", field="template")
    return template


def _region(settings: LabelsSettings, region: str) -> str:
    name = (region or "").strip().lower()
    if name not in settings.regions:
        raise Invalid(f"unknown region {region!r}; use one of: {', '.join(settings.regions)}", field="region")
    return name


def _statuses(value: str | list[str] | None) -> list[str]:
    parts = value.split(",") if isinstance(value, str) else (value or [])
    return [p.strip() for p in parts if p.strip()]


class LabelsService(JobOutput):
    """The labels plugin's service; every method opens its own transaction."""

    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @property
    def settings(self) -> LabelsSettings:
        return settings_of(self.kernel)

    # -- what can be printed -------------------------------------------------------
    def templates(self) -> list[dict[str, Any]]:
        return [t.as_dict() for t in TEMPLATES.values()]

    def config(self) -> dict[str, Any]:
        settings = self.settings
        stock = sources.stock_service(self.kernel)
        return {
            "regions": [{"id": k, "currency": v.currency, "symbol": v.symbol} for k, v in settings.regions.items()],
            "statuses": stock.statuses(),
            "templates": self.templates(),
            "sales": self.kernel.services.get(sources.DEMAND_SERVICE) is not None,
            "background_over": settings.background_over,
            "max_labels": settings.max_labels,
            "max_copies": settings.max_copies,
        }

    def _describe(self, items: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
        """Inventory items with the region's price and the 6-month quantities."""
        settings = self.settings
        skus = [item["sku"] for item in items]
        by_sku = sources.demand(self.kernel, skus, list(settings.regions))
        prices = sources.Prices(self.kernel, settings)
        currency = settings.regions[region].currency
        out = []
        for item in items:
            price, converted = prices.price(item["sku"], region)
            uk, fr = sources.quantities(settings, None if by_sku is None else by_sku.get(item["sku"], {}))
            out.append(
                {
                    "sku": item["sku"],
                    "name": item["name"],
                    "item_id": item["item_id"],
                    "status": item["status"],
                    "price": None if price is None else str(price),
                    "price_text": sources.format_price(price, settings, region),
                    "currency": currency,
                    "price_converted": converted,
                    "uk_6m": uk,
                    "fr_6m": fr,
                }
            )
        return out

    def _describe_all(self, items: list[dict[str, Any]], region: str) -> dict[str, dict[str, Any]]:
        described: dict[str, dict[str, Any]] = {}
        for start in range(0, len(items), CHUNK):
            for row in self._describe(items[start : start + CHUNK], region):
                described[row["sku"]] = row
        return described

    def price_rows(self, job_id: int, progress: Any = None) -> None:
        """Give a big job's rows their prices and quantities (chunk by chunk; safe to repeat)."""
        with self.kernel.databases.session(DB, readonly=True) as session:
            job = self._job(session, job_id)
        if job.priced:
            return
        after, done = -1, 0
        while True:
            with self.kernel.databases.session(DB) as session:
                chunk = session.scalars(
                    select(LabelJobRow)
                    .where(LabelJobRow.job_id == job_id, LabelJobRow.position > after)
                    .order_by(LabelJobRow.position)
                    .limit(CHUNK)
                ).all()
                if not chunk:
                    break
                items = [{"sku": r.sku, "name": r.name, "item_id": r.item_id, "status": ""} for r in chunk]
                described = {d["sku"]: d for d in self._describe(items, job.region)}
                for row in chunk:
                    data = described[row.sku]
                    row.price, row.price_text = data["price"], data["price_text"]
                    row.price_converted, row.uk_6m, row.fr_6m = data["price_converted"], data["uk_6m"], data["fr_6m"]
                after = chunk[-1].position
            done += len(chunk)
            if progress is not None:
                progress(done, job.item_count, f"prices of {done} items")
        with self.kernel.databases.session(DB) as session:
            stored = session.get(LabelJob, job_id)
            if stored is not None:
                stored.priced = True

    def candidates(self, *, statuses: str | None, region: str, search: str, page: int, size: int) -> dict[str, Any]:
        """One row per inventory item (SKU order, no random pick between variants) with the
        price in ``region`` and the UK / FR 6-month quantities."""
        region = _region(self.settings, region)
        stock = sources.stock_service(self.kernel)
        found = stock.list_items(search=search, statuses=_statuses(statuses), page=page, size=size)
        return {"items": self._describe(found["items"], region), "total": found["total"], "page": page, "size": size}

    # -- jobs ----------------------------------------------------------------------------
    def create_job(
        self,
        *,
        items: list[dict[str, Any]],
        template: str,
        region: str,
        line_date: date | None,
        filters: dict[str, Any],
        user: str,
    ) -> dict[str, Any]:
        """Store every row as it will print. A job over ``background_over`` labels is stored
        with the inventory's part of its rows at once; its background run adds prices and
        quantities, then renders the PDF."""
        settings = self.settings
        spec, region, found, labels = self._resolve(items, template, region)
        background = labels > settings.background_over
        resolved = {sku: _unpriced(row, settings.regions[region].currency) for sku, row in found.items()}
        if not background:
            resolved = self._describe_all(list(found.values()), region)
        with self.kernel.databases.session(DB) as session:
            job = LabelJob(
                template=spec.id,
                template_spec=spec.as_dict(),
                region=region,
                currency=settings.regions[region].currency,
                line_date=line_date,
                filters=filters,
                item_count=len(items),
                label_count=labels,
                state="rendering" if background else "ready",
                priced=not background,
                created_by=user[:150],
            )
            session.add(job)
            session.flush()
            rows = []
            for position, entry in enumerate(items):
                data = resolved[entry["sku"]]
                rows.append(
                    {
                        "job_id": job.id,
                        "position": position,
                        "sku": data["sku"],
                        "name": data["name"],
                        "item_id": data["item_id"],
                        "barcode": data["item_id"] or data["sku"],
                        "price": data["price"],
                        "currency": data["currency"],
                        "price_converted": data["price_converted"],
                        "price_text": data["price_text"],
                        "uk_6m": data["uk_6m"],
                        "fr_6m": data["fr_6m"],
                        "copies": entry.get("copies", 1),
                    }
                )
                if len(rows) == CHUNK:
                    session.execute(insert(LabelJobRow), rows)
                    rows = []
            if rows:
                session.execute(insert(LabelJobRow), rows)
            job_id = job.id
            emit_on_commit(session, "labels.job", {"action": "created", "id": job_id, "by": user}, room=ROOM)
        if background:
            try:
                run = self.kernel.jobs.start(RENDER_JOB, job_id=job_id)
            except DomainError as exc:  # the queue cannot take it: say so on the job too
                with self.kernel.databases.session(DB) as session:
                    stored = session.get(LabelJob, job_id)
                    if stored is not None:
                        stored.state, stored.error = "failed", str(exc)[:500]
                raise
            with self.kernel.databases.session(DB) as session:
                stored = session.get(LabelJob, job_id)
                if stored is not None and stored.state == "rendering":
                    stored.run_id = run.id
        return self.get_job(job_id)

    def _resolve(
        self, items: list[dict[str, Any]], template: str, region: str
    ) -> tuple[Template, str, dict[str, dict[str, Any]], int]:
        """Check a request and find its items in inventory: (template, region, inventory rows
        by SKU, labels)."""
        settings = self.settings
        spec = _template(template)
        region = _region(settings, region)
        if not items:
            raise Invalid("choose at least one item to print", field="items")
        seen: set[str] = set()
        labels = 0
        for index, entry in enumerate(items):
            copies = entry.get("copies", 1)
            if not 1 <= copies <= settings.max_copies:
                raise Invalid(
                    f"copies of {entry['sku']!r} must be from 1 to {settings.max_copies}", field="copies", row=index
                )
            if entry["sku"] in seen:
                raise Invalid(f"SKU {entry['sku']!r} is listed twice; give it more copies instead", field="items")
            seen.add(entry["sku"])
            labels += copies
        if labels > settings.max_labels:
            raise Invalid(f"a job prints at most {settings.max_labels} labels, not {labels}", field="copies")
        stock = sources.stock_service(self.kernel)
        resolved: dict[str, dict[str, Any]] = {}
        skus = [entry["sku"] for entry in items]
        for start in range(0, len(skus), CHUNK):
            chunk = skus[start : start + CHUNK]
            for row in stock.list_items(skus=chunk, size=CHUNK)["items"]:
                resolved[row["sku"]] = row
        missing = [sku for sku in skus if sku not in resolved]
        if missing:
            shown = ", ".join(repr(s) for s in missing[:5]) + (" ..." if len(missing) > 5 else "")
            raise Invalid(f"unknown SKU {shown}: no such item in inventory", field="items", skus=missing[:100])
        for row in resolved.values():
            problem = encoding_problem(spec.symbology, row["item_id"] or row["sku"])
            if problem:
                raise Invalid(
                    f"the barcode of {row['sku']!r} cannot be printed with {spec.id}: {problem}", field="template"
                )
        return spec, region, resolved, labels

    def preview(self, *, items: list[dict[str, Any]], template: str, region: str, line_date: date | None) -> bytes:
        """The first page of the job these choices would make, as a PDF (nothing is stored)."""
        per_page = _template(template).per_page
        first: list[dict[str, Any]] = []
        count = 0
        for entry in items:
            if count >= per_page:
                break
            copies = entry.get("copies", 1)
            first.append({**entry, "copies": min(copies, per_page - count) if copies >= 1 else copies})
            count += max(copies, 0)
        spec, region, found, _ = self._resolve(first, template, region)
        resolved = self._describe_all(list(found.values()), region)
        line = line_date.strftime("%d/%m/%Y") if line_date else ""
        rows = [_label_row(resolved[e["sku"]], line, e.get("copies", 1)) for e in first]
        out = io.BytesIO()
        render_pdf(spec, rows, out, title="Labels preview")
        return out.getvalue()

    def _job(self, session: Session, job_id: int) -> LabelJob:
        job = session.get(LabelJob, job_id)
        if job is None:
            raise NotFound(f"there is no label job {job_id}", field="id")
        return job

    def job_out(self, job: LabelJob) -> dict[str, Any]:
        return {
            "id": job.id,
            "template": job.template,
            "region": job.region,
            "currency": job.currency,
            "line_date": job.line_date,
            "filters": job.filters or {},
            "item_count": job.item_count,
            "label_count": job.label_count,
            "state": job.state,
            "run_id": job.run_id,
            "room": f"{JOB_TAB}:job:{job.run_id}" if job.run_id else None,
            "error": job.error,
            "created_by": job.created_by,
            "created_at": job.created_at,
            "pages": -(-job.label_count // max(1, int(job.template_spec.get("per_page", 1)))),
        }

    def list_statement(self) -> Any:
        return select(LabelJob).order_by(LabelJob.created_at.desc(), LabelJob.id.desc())

    def get_job(self, job_id: int, *, rows: int = 500) -> dict[str, Any]:
        with self.kernel.databases.session(DB, readonly=True) as session:
            job = self._job(session, job_id)
            found = session.scalars(
                select(LabelJobRow).where(LabelJobRow.job_id == job_id).order_by(LabelJobRow.position).limit(rows)
            ).all()
            return {**self.job_out(job), "rows": [_row_out(r) for r in found]}

    def delete_job(self, job_id: int, user: str) -> None:
        with self.kernel.databases.session(DB) as session:
            job = self._job(session, job_id)
            session.execute(delete(LabelJobPdf).where(LabelJobPdf.job_id == job.id))
            session.execute(delete(LabelJobRow).where(LabelJobRow.job_id == job.id))
            session.delete(job)
            emit_on_commit(session, "labels.job", {"action": "deleted", "id": job_id, "by": user}, room=ROOM)


def _label_row(data: dict[str, Any], line: str, copies: int) -> LabelRow:
    return LabelRow(
        sku=data["sku"],
        name=data["name"],
        barcode=data["item_id"] or data["sku"],
        price_text=data["price_text"],
        uk_6m="" if data["uk_6m"] is None else str(data["uk_6m"]),
        fr_6m="" if data["fr_6m"] is None else str(data["fr_6m"]),
        line_date=line,
        copies=copies,
    )


def _unpriced(item: dict[str, Any], currency: str) -> dict[str, Any]:
    """An inventory row waiting for its price and quantities."""
    return {
        **item,
        "price": None,
        "price_text": "",
        "currency": currency,
        "price_converted": False,
        "uk_6m": None,
        "fr_6m": None,
    }


def _row_out(row: LabelJobRow) -> dict[str, Any]:
    return {
        "sku": row.sku,
        "name": row.name,
        "item_id": row.item_id,
        "barcode": row.barcode,
        "price": row.price,
        "price_text": row.price_text,
        "currency": row.currency,
        "price_converted": row.price_converted,
        "uk_6m": row.uk_6m,
        "fr_6m": row.fr_6m,
        "copies": row.copies,
    }
