"""``rm365 salesdata import REGION FILE [--dry-run]``: import an export with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from rm365_core import DomainError

CLI_USER = "cli"


def register(kernel: Any, app: typer.Typer) -> None:
    from .context import Context
    from .importer import import_file

    @app.command("import")
    def import_export(
        region: Annotated[str, typer.Argument(help="Region id, e.g. uk")],
        path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="Magento order export")],
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and count; keep nothing.")] = False,
        errors_csv: Annotated[
            Path | None, typer.Option("--errors", help="Write every row error to this CSV file.")
        ] = None,
    ) -> None:
        """Import a Magento order export into REGION (lines already imported are skipped)."""
        ctx = Context(kernel)
        size = path.stat().st_size
        try:
            with path.open("rb") as binary, typer.progressbar(length=size, label=f"Importing {path.name}") as bar:
                done = [0]

                def progress(position: int, total: int | None = None, message: str = "") -> None:
                    bar.update(max(0, position - done[0]))
                    done[0] = max(done[0], position)

                result = import_file(
                    ctx, region, binary, filename=path.name, username=CLI_USER, dry_run=dry_run, progress=progress
                )
        except DomainError as exc:
            typer.secho(f"error: {exc.message}", fg="red", err=True)
            raise typer.Exit(1) from None
        verb = "would be imported" if dry_run else "imported"
        typer.echo(
            f"{result['rows_total']} rows: {result['rows_imported']} {verb}, "
            f"{result['rows_duplicate']} already there, "
            + (f"{result['rows_updated']} with a new status, " if result["rows_updated"] else "")
            + f"{result['rows_failed']} with errors "
            f"({result['duration_ms'] / 1000:.1f} s, import #{result['import_id']})"
        )
        nothing_new = not (result["rows_imported"] or result["rows_updated"] or result["rows_failed"])
        if result["rows_total"] and nothing_new and not dry_run:
            typer.echo("nothing new: every line of this file was imported before")
        for error in result["errors"][:20]:
            typer.secho(
                f"  row {error['row']}, {error['column']} = {error['value']!r}: {error['message']}", fg="yellow"
            )
        if result["rows_failed"] > 20:
            typer.secho(f"  ... and {result['rows_failed'] - 20} more", fg="yellow")
        if errors_csv is not None and result["rows_failed"]:
            from .views import errors_csv as error_rows

            with errors_csv.open("w", encoding="utf-8", newline="") as out:
                for chunk in error_rows(ctx, result["import_id"]):
                    out.write(chunk)
            typer.echo(f"errors written to {errors_csv}")
        if result["rows_failed"]:
            raise typer.Exit(2)
