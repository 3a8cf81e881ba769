"""``rm365 inventory ...`` commands: import a catalogue CSV, show an item's stock."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

CLI_USER = "cli"


def register(kernel: Any, app: typer.Typer) -> None:
    from .catalogue import decode_csv
    from .errors import InventoryError
    from .service import StockService

    @app.command("import")
    def import_catalogue(
        path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="Catalogue CSV")],
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would change; change nothing.")] = False,
    ) -> None:
        """Upsert items from a catalogue CSV (e.g. a Magento product export)."""
        try:
            text = decode_csv(path.read_bytes())
            result = StockService(kernel).import_catalogue(text, dry_run=dry_run, user=CLI_USER)
        except InventoryError as exc:
            typer.secho(f"error: {exc.message}", fg="red", err=True)
            raise typer.Exit(1) from None
        verb = "would be" if dry_run else "were"
        typer.echo(
            f"{result['rows']} rows: {result['created']} {verb} created, {result['updated']} updated, "
            f"{result['unchanged']} unchanged; {result['folded']} variants folded, "
            f"{result['excluded']} excluded"
        )
        for error in result["errors"][:50]:
            typer.secho(f"  row {error['row']}, column {error['column']}: {error['message']}", fg="yellow")
        if len(result["errors"]) > 50:
            typer.secho(f"  ... and {len(result['errors']) - 50} more errors", fg="yellow")
        if result["errors"]:
            raise typer.Exit(1)

    @app.command("stock")
    def show_stock(code: Annotated[str, typer.Argument(help="SKU or barcode")]) -> None:
        """Show an item's stock per location."""
        item = StockService(kernel).find_item(code)
        if item is None:
            typer.secho(f"error: no item has the SKU or barcode {code!r}", fg="red", err=True)
            raise typer.Exit(1)
        typer.echo(f"{item['sku']}  {item['name']}  ({item['status']}, barcode {item['item_id']})")
        for location, quantity in item["stock"].items():
            typer.echo(f"  {location:<12} {quantity:>8}")
        typer.echo(f"  {'total':<12} {item['total']:>8}")
