"""``voiceshop import catalog|help|customers``: a shop owner's files into the shop, all or nothing, re-runnable."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select

from app import cli
from shop.api import create_shop_app
from shop.catalog.shopify import read_shopify_csv
from shop.db import Database
from shop.helpcenter.store import HELPCENTER_DIR, load_helpcenter
from shop.models import Order, Product, User, Variant

FIXTURE = Path(__file__).resolve().parents[1] / "shop" / "catalog" / "shopify_products.csv"


def shop_rows(data_dir: Path) -> dict[str, object]:
    """What the catalog import wrote: products by handle with their variants, as plain values."""
    database = Database(f"sqlite:///{data_dir / 'shop.db'}")
    try:
        with database.session() as session:
            if not database.engine.dialect.has_table(session.connection(), "products"):
                return {}
            return {product.handle: (product.id, product.name, product.price, product.stock, product.colors,
                                     [(v.sku, v.options, v.price, v.compare_at_price, v.stock, v.available)
                                      for v in product.variants])
                    for product in session.scalars(select(Product))}
    finally:
        database.engine.dispose()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["import", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_shopify_export_imports_and_importing_it_again_changes_nothing(
        shop_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "catalog", str(FIXTURE))
    assert code == 0
    assert "Products: 3 created, 0 updated. Variants: 6 created" in out
    first = shop_rows(shop_dir)
    assert sorted(first) == ["gift-card-box", "house-blend", "travel-mug"]
    coffee = first["house-blend"]
    assert coffee[2] == 9.5  # the "from" price: the cheapest available variant
    assert [variant[0] for variant in coffee[5]] == ["HB-250-WB", "HB-250-ES", "HB-1K-WB"]

    code, out, _ = run(capsys, "catalog", str(FIXTURE))
    assert code == 0 and "Products: 0 created, 3 updated. Variants: 0 created, 6 updated" in out
    assert shop_rows(shop_dir) == first


def test_the_json_and_yaml_forms_of_a_catalog_update_the_same_products(
        shop_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "catalog", str(FIXTURE))[0] == 0
    before = shop_rows(shop_dir)
    catalog = read_shopify_csv(FIXTURE).model_dump()
    as_json = tmp_path / "catalog.json"
    as_json.write_text(json.dumps(catalog), encoding="utf-8")
    catalog["products"][0]["variants"][0]["price"] = 8.75  # one change, in the YAML copy
    as_yaml = tmp_path / "catalog.txt"  # no telling extension: sniffed as YAML
    as_yaml.write_text(yaml.safe_dump(catalog, sort_keys=False), encoding="utf-8")

    code, out, _ = run(capsys, "catalog", str(as_json))
    assert code == 0 and "Products: 0 created, 3 updated" in out
    assert shop_rows(shop_dir) == before
    code, out, _ = run(capsys, "catalog", str(as_yaml), "--format", "yaml")
    assert code == 0 and "Products: 0 created, 3 updated" in out
    after = shop_rows(shop_dir)
    assert after["house-blend"][5][0][2] == 8.75 and after["house-blend"][2] == 8.75
    assert {handle: rows for handle, rows in after.items() if handle != "house-blend"} == \
        {handle: rows for handle, rows in before.items() if handle != "house-blend"}


def test_a_malformed_row_is_reported_with_row_and_field_and_nothing_is_imported(
        shop_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "catalog", str(FIXTURE))[0] == 0
    before = shop_rows(shop_dir)
    text = FIXTURE.read_text(encoding="utf-8")
    # A good change (a new price on row 2) and a bad row (row 7's price): the good one must not go in either.
    text = text.replace("deny,manual,9.50,,TRUE,https", "deny,manual,7.00,,TRUE,https", 1)
    text = text.replace("TM-BLK,300,shopify,3,deny,manual,18.00", "TM-BLK,300,shopify,3,deny,manual,", 1)
    bad = tmp_path / "products.csv"
    bad.write_text(text, encoding="utf-8")

    code, out, err = run(capsys, "catalog", str(bad))
    assert code == 1
    assert "products.csv:7: Variant Price: required: the variant's price" in err.splitlines()
    assert f"error: 1 problem in {bad}; nothing was imported" in err
    assert "created" not in out
    assert shop_rows(shop_dir) == before


def test_a_bad_file_into_an_empty_shop_leaves_it_empty(shop_dir: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "catalog.yaml"
    bad.write_text("products:\n  - handle: Not A Handle\n    title: Mug\n", encoding="utf-8")
    code, _, err = run(capsys, "catalog", str(bad))
    assert code == 1
    assert "catalog.yaml:2: products[0].handle: String should match pattern" in err
    assert "catalog.yaml:2: products[0].vendor: Field required" in err  # every problem, not only the first
    assert shop_rows(shop_dir) == {}
    code, _, err = run(capsys, "catalog", str(tmp_path / "missing.csv"))
    assert code == 1 and "no such file" in err


CUSTOMERS = {
    "customers": [{"login": "ada", "name": "Ada Lovelace", "password": "correct horse battery",
                   "addresses": [{"label": "home", "line1": "1 Analytical St", "city": "London",
                                  "postal_code": "N1 9GU", "country": "gb", "default": True}]}],
    "orders": [{"customer": "ada", "created_at": "2026-03-01T10:00:00Z", "status": "delivered",
                "lines": [{"sku": "HB-1K-WB", "quantity": 2}]}],
}


def test_customers_and_their_past_orders_import_once(shop_dir: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "catalog", str(FIXTURE))[0] == 0
    path = tmp_path / "customers.json"
    path.write_text(json.dumps(CUSTOMERS, indent=1), encoding="utf-8")
    code, out, _ = run(capsys, "customers", str(path))
    assert code == 0 and "Customers: 1 created" in out and "Past orders: 1 created, 0 already there" in out
    code, out, _ = run(capsys, "customers", str(path))
    assert code == 0 and "Customers: 0 created, 1 updated" in out and "Past orders: 0 created, 1 already there" in out
    database = Database(f"sqlite:///{shop_dir / 'shop.db'}")
    with database.session() as session:
        ada = session.scalars(select(User).where(User.login == "ada")).one()
        orders = session.scalars(select(Order).where(Order.user_id == ada.id)).all()
        assert [(order.total, [(line.sku, line.quantity) for line in order.lines]) for order in orders] == \
            [(64.0, [("HB-1K-WB", 2)])]
        assert session.scalar(select(Variant.price).where(Variant.sku == "HB-1K-WB")) == 32.0
    database.engine.dispose()


def test_a_bad_customers_file_names_line_and_field_and_a_sku_the_shop_lacks_stores_nothing(
        shop_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "catalog", str(FIXTURE))[0] == 0
    bad = json.loads(json.dumps(CUSTOMERS))
    bad["orders"][0]["lines"][0]["quantity"] = 0
    path = tmp_path / "customers.json"
    path.write_text(json.dumps(bad, indent=1), encoding="utf-8")
    code, _, err = run(capsys, "customers", str(path))
    line = path.read_text(encoding="utf-8").splitlines().index('     "quantity": 0') + 1
    assert code == 1 and f"customers.json:{line}: orders[0].lines[0].quantity: Input should be greater" in err

    bad["orders"][0]["lines"][0] = {"sku": "NO-SUCH-SKU", "quantity": 1}
    path.write_text(json.dumps(bad), encoding="utf-8")
    code, _, err = run(capsys, "customers", str(path))
    assert code == 1 and "NO-SUCH-SKU" in err and "nothing was imported" in err
    database = Database(f"sqlite:///{shop_dir / 'shop.db'}")
    with database.session() as session:
        assert session.scalars(select(User).where(User.login == "ada")).first() is None  # the customer too
    database.engine.dispose()


def test_help_entries_import_into_the_configured_help_center(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "helpcenter"
    shutil.copytree(HELPCENTER_DIR, folder, ignore=shutil.ignore_patterns("*.py", "*.md", "__pycache__"))
    monkeypatch.setenv("VOICESHOP_HELPCENTER_DIR", str(folder))
    before = len(load_helpcenter(folder))
    faq = tmp_path / "faq.md"
    faq.write_text("# Shipping\n\n## Do you ship to Canada?\nYes, in 5 to 7 business days.\n", encoding="utf-8")
    code, out, _ = run(capsys, "help", str(faq))
    assert code == 0 and "1 created, 0 updated, 0 unchanged" in out
    code, out, _ = run(capsys, "help", str(faq))
    assert code == 0 and "0 created, 0 updated, 1 unchanged" in out
    assert len(load_helpcenter(folder)) == before + 1


def test_a_running_shop_finds_the_imported_products_without_a_restart(
        data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VOICESHOP_DATA_DIR", str(data_dir))  # the seeded demo shop (tests/conftest.py)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    database = Database(f"sqlite:///{data_dir / 'shop.db'}")
    with TestClient(create_shop_app(database)) as shop:
        def found() -> list[dict]:
            return shop.get("/products", params={"q": "house blend coffee"}).json()["items"]

        assert "house-blend" not in [item["handle"] for item in found()]
        assert run(capsys, "catalog", str(FIXTURE))[0] == 0
        coffee = shop.get(f"/products/{found()[0]['id']}").json()
        assert (coffee["handle"], coffee["name"], coffee["brand"], coffee["price"]) == \
            ("house-blend", "House Blend Coffee", "Hill Roasters", 9.5)
        assert coffee["options"] == [{"name": "Size", "values": ["250 g", "1 kg"]},
                                     {"name": "Grind", "values": ["Whole bean", "Espresso"]}]
        assert [(v["sku"], v["options"], v["price"], v["available"]) for v in coffee["variants"]] == [
            ("HB-250-WB", {"Size": "250 g", "Grind": "Whole bean"}, 9.5, True),
            ("HB-250-ES", {"Size": "250 g", "Grind": "Espresso"}, 9.5, False),
            ("HB-1K-WB", {"Size": "1 kg", "Grind": "Whole bean"}, 32.0, True)]
        assert coffee["description"].startswith("Our house blend & everyday cup.")
    database.engine.dispose()
