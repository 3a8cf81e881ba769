"""Importing an export: the run's record and history, one transaction around the loader of the
database (:mod:`.loaders`; on PostgreSQL the file is read by :mod:`.pgcopy` first), the counts
and the error report. Lines already there are counted as duplicates, and the summaries grow by
exactly the lines inserted, in the same transaction."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import IO, Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from rm365_core import DomainError, utcnow

from .context import Context, announce
from .loaders import PgLoader, SqliteLoader
from .models import ImportError_, ImportRun, Rate
from .parse import ParseResult, Rates, parse_export
from .pgcopy import CannotCopy, copy_import
from .settings import Region

#: ``progress(done, total, message)``, as a kernel job's ``Progress`` takes it.
ProgressFn = Callable[..., Any]


def stored_rates(ctx: Context) -> Rates:
    """Every stored rate of every currency pair with its date (works offline: nothing is fetched)."""
    rates: Rates = {}
    with ctx.session(readonly=True) as session:
        query = select(Rate.base, Rate.quote, Rate.as_of, Rate.rate).order_by(Rate.as_of)
        for base, quote, as_of, rate in session.execute(query):
            rates.setdefault((base, quote), []).append((as_of, rate))
    return rates


def start_run(ctx: Context, region_id: str, filename: str, username: str, dry_run: bool) -> int:
    """Record an import as running (or queued) before the data is read; its id."""
    with ctx.session() as session:
        run = ImportRun(region=region_id, filename=filename[:255], username=username, dry_run=dry_run, status="running")
        session.add(run)
        session.flush()
        return run.id


def set_job(ctx: Context, import_id: int, job_id: str) -> None:
    with ctx.session() as session:
        session.execute(update(ImportRun).where(ImportRun.id == import_id).values(job_id=job_id))


def mark_failed(ctx: Context, import_id: int, message: str) -> None:
    with ctx.session() as session:
        session.execute(
            update(ImportRun)
            .where(ImportRun.id == import_id)
            .values(status="failed", message=message[:2000], finished_at=utcnow())
        )


def import_file(
    ctx: Context,
    region_id: str,
    binary: IO[bytes],
    *,
    filename: str,
    username: str,
    dry_run: bool = False,
    progress: ProgressFn | None = None,
    import_id: int | None = None,
) -> dict[str, Any]:
    """Import one export into ``region_id``: ``{import_id, rows_total, rows_imported,
    rows_duplicate, rows_updated, rows_failed, errors, dry_run, duration_ms}``. Nothing is kept of a
    dry run or of an import that fails part way (one transaction)."""
    region_id = region_id.lower()
    region = ctx.region(region_id)
    settings = ctx.settings
    rates = stored_rates(ctx)
    if import_id is None:
        import_id = start_run(ctx, region_id, filename, username, dry_run)
    started = time.perf_counter()
    size = _size(binary)
    result = ParseResult()
    imported = 0
    try:
        engine = ctx.kernel.databases.engine("products")
        with engine.connect() as conn:
            transaction = conn.begin()
            try:

                def report() -> None:
                    if progress is not None:
                        progress(_position(binary, size), size, f"{result.rows_total} rows read")

                if conn.dialect.name == "postgresql":
                    imported = _postgres(
                        conn, binary, region_id, region, rates, result, report, settings.batch_rows, import_id
                    )
                else:
                    batches = parse_export(binary, region, rates, settings.batch_rows, result)
                    loader = SqliteLoader(conn)
                    for batch in batches:
                        imported += loader.load(batch, region_id, import_id, result)
                        report()
                    loader.finish()
                if dry_run:
                    transaction.rollback()
                else:
                    transaction.commit()
            except BaseException:
                transaction.rollback()
                raise
    except BaseException as exc:
        message = exc.message if isinstance(exc, DomainError) else f"the import failed: {type(exc).__name__}"
        _finish(ctx, import_id, "failed", result, 0, started, message)
        raise
    duplicate = result.rows_total - result.rows_failed - imported - result.rows_updated
    _finish(ctx, import_id, "done", result, imported, started, "", duplicate=duplicate, dry_run=dry_run)
    if progress is not None:
        progress(size, size, "done")
    return {
        "import_id": import_id,
        "region": region_id,
        "dry_run": dry_run,
        "rows_total": result.rows_total,
        "rows_imported": imported,
        "rows_duplicate": duplicate,
        "rows_updated": result.rows_updated,
        "rows_failed": result.rows_failed,
        "errors": result.errors[:1000],
        "errors_truncated": len(result.errors) > 1000 or result.rows_failed > len(result.errors),
        "duration_ms": int((time.perf_counter() - started) * 1000),
    }


def _finish(
    ctx: Context,
    import_id: int,
    status: str,
    result: ParseResult,
    imported: int,
    started: float,
    message: str,
    *,
    duplicate: int = 0,
    dry_run: bool = False,
) -> None:
    duration = int((time.perf_counter() - started) * 1000)
    with ctx.session() as session:
        session.execute(
            update(ImportRun)
            .where(ImportRun.id == import_id)
            .values(
                status=status,
                message=message[:2000],
                rows_total=result.rows_total,
                rows_imported=imported,
                rows_duplicate=duplicate,
                rows_updated=result.rows_updated,
                rows_failed=result.rows_failed,
                finished_at=utcnow(),
                duration_ms=duration,
            )
        )
        if result.errors:
            session.execute(
                insert(ImportError_),
                [{"import_id": import_id, **e} for e in result.errors],
            )
        if status == "done":
            region = session.get(ImportRun, import_id)
            region_id = region.region if region is not None else ""
            announce(
                session,
                "salesdata.imported",
                {
                    "import_id": import_id,
                    "region": region_id,
                    "imported": imported,
                    "updated": result.rows_updated,
                    "dry_run": dry_run,
                },
                rooms=[f"salesdata.{region_id}", "salesdata.history", "salesdata.upload"],
            )


def _postgres(
    conn: Connection,
    binary: IO[bytes],
    region_id: str,
    region: Region,
    rates: Rates,
    result: ParseResult,
    report: Callable[[], None],
    batch_rows: int,
    import_id: int,
) -> int:
    """PostgreSQL reads the file itself (see :mod:`.pgcopy`); a file ``COPY`` cannot read is
    read by Python from the start again. Then one merge of every valid line."""
    loader = PgLoader(conn)
    start = binary.tell() if binary.seekable() else None
    try:
        if start is None:
            raise CannotCopy("the upload cannot be read twice")
        copy_import(loader.raw, binary, region, rates, result, report, loader.add, batch_rows)
    except CannotCopy:
        if start is not None:
            binary.seek(start)
        result.rows_total, result.rows_failed = 0, 0
        result.errors.clear()
        for batch in parse_export(binary, region, rates, batch_rows, result):
            loader.add(batch)
            report()
    return loader.merge(region_id, import_id, result)


def _size(binary: IO[bytes]) -> int:
    try:
        here = binary.tell()
        size = binary.seek(0, os.SEEK_END)
        binary.seek(here)
        return int(size)
    except (OSError, AttributeError):
        return 0


def _position(binary: IO[bytes], size: int) -> int:
    try:
        return min(int(binary.tell()), size)
    except (OSError, ValueError):
        return 0
