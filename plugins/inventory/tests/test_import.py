"""Catalogue import: upsert by SKU from a Magento export, variants folded, exclusions, dry run,
errors per row with its row number and column."""

from __future__ import annotations

import os
import subprocess
import sys

BASE = "/api/v1/inventory"

EXPORT = """sku,name,categories,additional_attributes,price
VITD3-120,Vitamin D3 1000 IU 120 tablets,Default Category/Vitamins,"colour=none,discontinued_status=Active,size=1",9.99
VITD3-120-MD,Vitamin D3 (multi-deal),Default Category/Vitamins,discontinued_status=Active,18.00
ZINC-90-SD2,Zinc 25mg (single deal),Default Category/Minerals,,5.00
OMEGA3-90,Omega-3 90 softgels,"Default Category/Oils,Default Category/AW365/Autumn",discontinued_status=Active,12.00
KRILL-60,Krill Oil 60 softgels,Default Category/Oils,"discontinued_status=Discontinued (Supplier),x=1",15.00
,No SKU,Default Category/Oils,,1.00
BAD-STATUS,Bad status,Default Category/Oils,discontinued_status=Sold Out,1.00
NONAME-1,,Default Category/Oils,,1.00
"""


def upload(client, text, **params):
    return client.post(f"{BASE}/items/import", params=params, files={"file": ("export.csv", text.encode(), "text/csv")})


def test_import_creates_items_folds_variants_and_skips_excluded_categories(inv):
    response = upload(inv.client, EXPORT)

    assert response.status_code == 200, response.text
    result = response.json()
    assert result["rows"] == 8
    assert result["created"] == 3  # VITD3-120, ZINC-90 (from its variant), KRILL-60
    assert result["folded"] == 2
    assert result["excluded"] == 1
    skus = {i["sku"] for i in inv.items()["items"]}
    assert skus == {"VITD3-120", "ZINC-90", "KRILL-60"}
    assert inv.item("VITD3-120")["name"] == "Vitamin D3 1000 IU 120 tablets"
    assert inv.item("KRILL-60")["status"] == "Discontinued (Supplier)"
    assert inv.item("ZINC-90")["status"] == "Active"


def test_import_reports_each_bad_row_with_its_number_and_column(inv):
    result = upload(inv.client, EXPORT).json()

    assert result["errors"] == [
        {"row": 7, "column": "sku", "message": "the SKU is empty", "sku": None},
        {"row": 8, "column": "additional_attributes", "sku": "BAD-STATUS", "message": result["errors"][1]["message"]},
        {"row": 9, "column": "name", "message": "a new item needs a name", "sku": "NONAME-1"},
    ]
    assert "Sold Out" in result["errors"][1]["message"]


def test_dry_run_reports_the_same_and_changes_nothing(inv):
    dry = upload(inv.client, EXPORT, dry_run="true").json()

    assert dry["dry_run"] is True
    assert dry["created"] == 3 and len(dry["errors"]) == 3
    assert inv.items()["total"] == 0


def test_import_updates_by_sku_and_keeps_stock(inv):
    inv.create("KRILL-60", "Old name", stock={"shelf_lt1": 4})
    upload(inv.client, EXPORT)

    second = upload(inv.client, EXPORT).json()

    krill = inv.item("KRILL-60")
    assert krill["name"] == "Krill Oil 60 softgels" and krill["status"] == "Discontinued (Supplier)"
    assert krill["stock"]["shelf_lt1"] == 4
    assert second["created"] == 0 and second["updated"] == 0 and second["unchanged"] == 3


def test_a_variant_does_not_rename_its_base(inv):
    inv.create("ZINC-90", "Zinc Picolinate 25mg, 90 tablets")

    upload(inv.client, "sku,name\nZINC-90-NP,Zinc new pack\n")

    assert inv.item("ZINC-90")["name"] == "Zinc Picolinate 25mg, 90 tablets"


def test_import_accepts_a_raw_csv_body_and_semicolons(inv):
    response = inv.client.post(
        f"{BASE}/items/import", content="sku;name;status\nA-1;Alpha;Pre Order\n", headers={"Content-Type": "text/csv"}
    )

    assert response.status_code == 200, response.text
    assert inv.item("A-1")["status"] == "Pre Order"


def test_a_file_without_a_sku_column_is_422(inv):
    response = upload(inv.client, "name,price\nx,1\n")

    assert response.status_code == 422
    assert "sku" in response.json()["detail"]


def test_import_needs_the_management_tab(site):
    adjuster = site.client_with_tabs("inventory.adjustments")

    assert upload(adjuster, EXPORT).status_code == 403


def test_cli_import_dry_run(tmp_path, site):
    path = tmp_path / "export.csv"
    path.write_text(EXPORT)
    env_url = site.kernel.databases.url("inventory")
    env = {
        **os.environ,
        "RM365_DATA_DIR": str(site.kernel.settings.data_dir),
        "RM365_DATABASE_URL": env_url,
        "RM365_PLUGINS": "inventory",
        "RM365_SECRET_KEY": "x" * 48,
    }
    result = subprocess.run(
        [sys.executable, "-m", "rm365_core.cli", "inventory", "import", str(path), "--dry-run"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )

    assert "3 would be created" in result.stdout, result.stdout + result.stderr
    assert "row 8, column additional_attributes" in result.stdout
    assert result.returncode == 1  # there were errors
