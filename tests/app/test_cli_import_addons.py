"""`voiceshop import catalog` with add-ons (a modifiers.yaml beside the catalog, or --modifiers), and the first
start of a shop whose catalog was imported."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from app import cli
from app.settings import load_settings
from shop.auth import password_matches
from shop.db import Database
from shop.helpcenter.store import HELPCENTER_DIR, load_helpcenter
from shop.models import Product, User, UserRole

FIXTURE = Path(__file__).resolve().parents[1] / "shop" / "catalog" / "shopify_products.csv"
CAFE = Path(__file__).resolve().parents[2] / "examples" / "cafe"


def modifiers_by_handle(data_dir: Path) -> dict[str, list[tuple[str, float, str | None]]]:
    database = Database(f"sqlite:///{data_dir / 'shop.db'}")
    try:
        with database.session() as session:
            if not database.engine.dialect.has_table(session.connection(), "products"):
                return {}
            return {product.handle: [(m.name, m.price, m.group) for m in sorted(product.modifiers,
                                                                                 key=lambda m: m.position)]
                    for product in session.scalars(select(Product))}
    finally:
        database.engine.dispose()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["import", "catalog", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_cafe_modifiers_beside_the_csv_give_a_product_its_type_and_handle_add_ons_once(
        shop_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(CAFE / "products.csv"))
    assert code == 0 and f"Add-ons from {CAFE / 'modifiers.yaml'}" in out
    first = modifiers_by_handle(shop_dir)
    americano = [name for name, _, _ in first["americano"]]
    # its type's (Espresso Drinks) first, then its own
    assert americano[:2] == ["Extra shot", "Decaf"] and americano[-4:] == [
        "Splash of whole milk", "Oat milk", "Soy milk", "Almond milk"]
    assert ("Oat milk", 0.5, "Milk") in first["americano"]
    assert [name for name, _, _ in first["latte"]] == americano[:-4]  # type only: milk is a variant option there

    code, out, _ = run(capsys, str(CAFE / "products.csv"))
    assert code == 0 and "Products: 0 created" in out
    assert modifiers_by_handle(shop_dir) == first


def test_a_bad_modifiers_line_is_named_and_nothing_is_imported(
        shop_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    catalog = tmp_path / "products.csv"
    shutil.copy(FIXTURE, catalog)
    (tmp_path / "modifiers.yaml").write_text(
        "by_handle:\n"
        "  house-blend:\n"
        "    - {name: Gift wrap, price: 3.50}\n"
        "    - {name: Gift box, price: free}\n"        # line 4: not a number
        "  no-such-product:\n"                          # not in the catalog, but a bad price fails first
        "    - {name: Gift wrap}\n", encoding="utf-8")
    code, _, err = run(capsys, str(catalog))
    assert code == 1
    assert "modifiers.yaml:4: by_handle.house-blend[1].price:" in err
    assert "error: 1 problem in modifiers.yaml; nothing was imported" in err
    assert modifiers_by_handle(shop_dir) == {}

    (tmp_path / "modifiers.yaml").write_text(
        "by_type:\n  Coffee:\n    - {name: Gift wrap}\n"
        "by_handle:\n  no-such-product:\n    - {name: Gift wrap}\n", encoding="utf-8")
    code, _, err = run(capsys, str(catalog))
    assert code == 1 and "modifiers.yaml:3: by_type.Coffee: no product Type" in err  # the line of its list
    assert "modifiers.yaml:6: by_handle.no-such-product: no product handle" in err
    assert modifiers_by_handle(shop_dir) == {}


def test_an_explicit_modifiers_file_is_used_and_a_missing_one_is_an_error(
        shop_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    addons = tmp_path / "addons.yaml"
    addons.write_text("by_handle:\n  travel-mug:\n    - {name: Engraving, price: 5, group: Personal}\n",
                      encoding="utf-8")
    code, _, err = run(capsys, str(FIXTURE), "--modifiers", str(tmp_path / "missing.yaml"))
    assert code == 1 and "missing.yaml: no such file" in err
    code, _, _ = run(capsys, str(FIXTURE), "--modifiers", str(addons))
    assert code == 0
    assert modifiers_by_handle(shop_dir)["travel-mug"][-1] == ("Engraving", 5.0, "Personal")


def users(data_dir: Path) -> dict[str, User]:
    database = Database(f"sqlite:///{data_dir / 'shop.db'}")
    try:
        with database.session() as session:
            found = {user.login: user for user in session.scalars(select(User))}
            session.expunge_all()
            return found
    finally:
        database.engine.dispose()


def test_the_first_start_after_an_import_adds_the_demo_customer_and_the_owner_once(
        shop_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, str(FIXTURE))[0] == 0
    assert users(shop_dir) == {}
    monkeypatch.setenv("OWNER_PASSWORD", "a long owner secret")
    cli._ensure_seeded(load_settings())
    out = capsys.readouterr().out
    assert "added the demo customer 'demo' and the owner account" in out
    assert "seeding the demo shop" not in out  # the imported catalog stays the only one
    accounts = users(shop_dir)
    assert sorted(accounts) == ["demo", "owner"]
    assert accounts["owner"].role == UserRole.owner and accounts["demo"].role == UserRole.customer
    assert password_matches(accounts["owner"], "a long owner secret")
    assert len(modifiers_by_handle(shop_dir)) == 3  # no seeded products joined the import

    cli._ensure_seeded(load_settings())  # a second start: nothing more
    assert "added" not in capsys.readouterr().out
    assert sorted(users(shop_dir)) == ["demo", "owner"]


def test_without_owner_password_the_owner_gets_a_random_one_printed_once(
        shop_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, str(FIXTURE))[0] == 0
    monkeypatch.delenv("OWNER_PASSWORD", raising=False)
    cli._ensure_seeded(load_settings())
    notice = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("Owner account"))
    password = notice.split("password ", 1)[1].split(" ", 1)[0]
    assert password_matches(users(shop_dir)["owner"], password)


def test_help_imported_without_a_configured_folder_goes_into_the_data_dir_not_the_source_tree(
        shop_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("VOICESHOP_HELPCENTER_DIR", raising=False)
    shipped = {path.name: path.read_bytes() for path in HELPCENTER_DIR.glob("*.yaml")}
    assert load_settings().help_center.helpcenter_dir == HELPCENTER_DIR  # no own folder yet: the demo's
    code = cli.main(["import", "help", str(CAFE / "help.md")])
    out = capsys.readouterr().out
    assert code == 0 and f"Starting this shop's own help center in {shop_dir / 'helpcenter'}" in out
    assert {path.name: path.read_bytes() for path in HELPCENTER_DIR.glob("*.yaml")} == shipped
    assert load_settings().help_center.helpcenter_dir == shop_dir / "helpcenter"  # what the shop now reads
    entries = load_helpcenter(shop_dir / "helpcenter")
    assert entries and any("pickup" in entry.question.lower() or "pick up" in entry.question.lower()
                           for entry in entries)
    assert cli.main(["import", "help", str(CAFE / "help.md")]) == 0
    assert "0 created, 0 updated" in capsys.readouterr().out
