"""A job's output: its PDF drawn from the snapshot (the same bytes every time), the stored PDF
of a big job, the CSV of its rows, the preview image, and the background run that renders a
big job. Rows are read in chunks, never the whole job at once."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable, Iterator
from dataclasses import fields
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from rm365_core import Kernel, Progress, emit_on_commit

from .errors import Conflict, NotFound
from .models import LabelJob, LabelJobPdf, LabelJobRow
from .render import LabelRow, render_pdf
from .templates import Template

DB = "labels"
#: Every labels page listens in one of these; a connection in several gets an event once.
ROOM = ["labels", "labels.generator", "labels.history"]
#: Rows are resolved, stored and read back in chunks of this many.
CHUNK = 1000
_PDFIUM = threading.Lock()


class JobOutput:
    """What :class:`~rm365_labels.service.LabelsService` prints and exports."""

    kernel: Any

    def _job(self, session: Session, job_id: int) -> LabelJob:
        raise NotImplementedError

    preview: Callable[..., bytes]

    def preview_png(self, **choices: Any) -> bytes:
        """The first page as a PNG image (what the generator page shows), drawn from the PDF."""
        import pypdfium2

        data = self.preview(**choices)
        with _PDFIUM:  # PDFium is not thread-safe; previews come from a thread pool
            document = pypdfium2.PdfDocument(data)
            try:
                image = document[0].render(scale=150 / 72).to_pil()
            finally:
                document.close()
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=False)
        return out.getvalue()

    def _label_rows(self, job: LabelJob) -> Iterator[LabelRow]:
        """The job's rows as they print, read in chunks (never the whole job in memory)."""
        line = job.line_date.strftime("%d/%m/%Y") if job.line_date else ""
        after = -1
        while True:
            with self.kernel.databases.session(DB, readonly=True) as session:
                chunk = session.execute(
                    select(
                        LabelJobRow.position,
                        LabelJobRow.sku,
                        LabelJobRow.name,
                        LabelJobRow.barcode,
                        LabelJobRow.price_text,
                        LabelJobRow.uk_6m,
                        LabelJobRow.fr_6m,
                        LabelJobRow.copies,
                    )
                    .where(LabelJobRow.job_id == job.id, LabelJobRow.position > after)
                    .order_by(LabelJobRow.position)
                    .limit(CHUNK)
                ).all()
            if not chunk:
                return
            for position, sku, name, code, price_text, uk, fr, copies in chunk:
                yield LabelRow(
                    sku=sku,
                    name=name,
                    barcode=code,
                    price_text=price_text,
                    uk_6m="" if uk is None else str(uk),
                    fr_6m="" if fr is None else str(fr),
                    line_date=line,
                    copies=copies,
                )
                after = position

    def render(self, job_id: int, progress: Any = None) -> bytes:
        """The job's PDF, drawn from its snapshot (the same bytes every time)."""
        with self.kernel.databases.session(DB, readonly=True) as session:
            job = self._job(session, job_id)
        spec = {f.name: job.template_spec[f.name] for f in fields(Template) if f.name in job.template_spec}
        out = io.BytesIO()
        render_pdf(
            Template(**spec),
            self._label_rows(job),
            out,
            title=f"Labels job {job.id}",
            total=job.label_count,
            progress=progress,
        )
        return out.getvalue()

    def pdf(self, job_id: int) -> bytes:
        """The PDF to print: the stored one of a big job, or drawn now for a small one."""
        with self.kernel.databases.session(DB, readonly=True) as session:
            job = self._job(session, job_id)
            if job.state == "rendering":
                raise Conflict(f"label job {job_id} is still rendering; wait for its run to finish", run_id=job.run_id)
            if job.state == "failed":
                raise Conflict(f"label job {job_id} failed to render: {job.error}", field="id")
            stored = session.get(LabelJobPdf, job_id)
            if stored is not None:
                return stored.data
        return self.render(job_id)

    def csv_lines(self, job_id: int) -> Iterator[str]:
        """The job's rows as CSV, streamed."""
        with self.kernel.databases.session(DB, readonly=True) as session:
            job = self._job(session, job_id)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(
            [
                "sku",
                "name",
                "item_id",
                "barcode",
                "price",
                "currency",
                "price_converted",
                "price_text",
                "uk_6m",
                "fr_6m",
                "copies",
                "line_date",
                "template",
                "region",
            ]
        )
        after = -1
        while True:
            with self.kernel.databases.session(DB, readonly=True) as session:
                chunk = session.scalars(
                    select(LabelJobRow)
                    .where(LabelJobRow.job_id == job.id, LabelJobRow.position > after)
                    .order_by(LabelJobRow.position)
                    .limit(CHUNK)
                ).all()
            for r in chunk:
                writer.writerow(
                    [
                        r.sku,
                        r.name,
                        r.item_id,
                        r.barcode,
                        r.price or "",
                        r.currency,
                        "yes" if r.price_converted else "",
                        r.price_text,
                        "" if r.uk_6m is None else r.uk_6m,
                        "" if r.fr_6m is None else r.fr_6m,
                        r.copies,
                        job.line_date.isoformat() if job.line_date else "",
                        job.template,
                        job.region,
                    ]
                )
                after = r.position
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            if len(chunk) < CHUNK:
                return


def render_job(kernel: Kernel, progress: Progress, job_id: int) -> dict[str, Any]:
    """The background run of a big job: draw its PDF and keep it with the job."""
    from .service import LabelsService

    service = LabelsService(kernel)
    try:
        service.price_rows(job_id, progress=progress)
        data = service.render(job_id, progress=lambda done, total: progress(done, total, f"{done} labels"))
    except NotFound:
        return {"job_id": job_id, "deleted": True}
    except Exception as exc:
        with kernel.databases.session(DB) as session:
            job = session.get(LabelJob, job_id)
            if job is not None:
                job.state, job.error = "failed", str(exc)[:500]
                emit_on_commit(session, "labels.job", {"action": "failed", "id": job_id}, room=ROOM)
        raise
    with kernel.databases.session(DB) as session:
        job = session.get(LabelJob, job_id)
        if job is None:
            return {"job_id": job_id, "deleted": True}
        session.execute(delete(LabelJobPdf).where(LabelJobPdf.job_id == job_id))
        session.add(LabelJobPdf(job_id=job_id, data=data, size=len(data)))
        job.state, job.error = "ready", None
        emit_on_commit(session, "labels.job", {"action": "rendered", "id": job_id}, room=ROOM)
    return {"job_id": job_id, "bytes": len(data)}
