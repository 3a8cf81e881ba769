"""The background import: a large upload saved to the data folder, imported with progress."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rm365_core import Job, Kernel, Progress

from .context import Context
from .importer import import_file


def import_job(
    kernel: Kernel,
    progress: Progress,
    import_id: int,
    region: str,
    path: str,
    filename: str,
    username: str,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Import the saved upload; the file is removed once the import ends, whatever the outcome."""
    file = Path(path)
    try:
        with file.open("rb") as binary:
            result = import_file(
                Context(kernel),
                region,
                binary,
                filename=filename,
                username=username,
                dry_run=dry_run,
                progress=progress,
                import_id=import_id,
            )
    finally:
        file.unlink(missing_ok=True)
    return {k: v for k, v in result.items() if k != "errors"}


def jobs() -> list[Job]:
    return [Job(name="import", func=import_job, tab="salesdata.upload")]
