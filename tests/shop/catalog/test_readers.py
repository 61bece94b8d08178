"""The catalog readers: Shopify's product CSV export and the JSON/YAML form, into shop.catalog.format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from shop.catalog.files import read_catalog, read_document, sniff_catalog_format
from shop.catalog.format import CatalogFile
from shop.catalog.problems import ImportFileError
from shop.catalog.shopify import html_to_text, read_shopify_csv

FIXTURE = Path(__file__).parent / "shopify_products.csv"


def products_by_handle(catalog: CatalogFile) -> dict:
    return {product.handle: product for product in catalog.products}


def write_variant_of_fixture(tmp_path: Path, *replacements: tuple[str, str], name: str = "products.csv") -> Path:
    text = FIXTURE.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old  # the fixture still has what this test changes
        text = text.replace(old, new, 1)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_multi_variant_product_takes_its_fields_from_the_first_row_and_skips_image_rows() -> None:
    coffee = products_by_handle(read_shopify_csv(FIXTURE))["house-blend"]
    assert (coffee.title, coffee.vendor, coffee.category) == ("House Blend Coffee", "Hill Roasters", "Coffee Beans")
    assert coffee.tags == ["coffee", "beans", "house"]
    assert [(o.name, o.values) for o in coffee.options] == [("Size", ["250 g", "1 kg"]),
                                                           ("Grind", ["Whole bean", "Espresso"])]
    # Four rows carry the handle; the fourth holds only an image and is no variant.
    assert [(v.sku, v.options, v.price, v.compare_at_price, v.stock, v.available) for v in coffee.variants] == [
        ("HB-250-WB", {"Size": "250 g", "Grind": "Whole bean"}, 9.5, None, 12, True),
        ("HB-250-ES", {"Size": "250 g", "Grind": "Espresso"}, 9.5, 11.0, 0, False),  # tracked, 0, "deny"
        ("HB-1K-WB", {"Size": "1 kg", "Grind": "Whole bean"}, 32.0, None, 4, True),
    ]
    assert coffee.from_price == 9.5


def test_the_html_body_becomes_plain_text_one_line_per_block() -> None:
    coffee = products_by_handle(read_shopify_csv(FIXTURE))["house-blend"]
    assert coffee.description == "Our house blend & everyday cup.\nNotes of cocoa\nMedium roast"
    assert html_to_text("<p>Hot<br>cold</p><script>track()</script><style>p{}</style>&lt;3") == "Hot\ncold\n<3"


def test_a_default_title_product_has_no_options_and_a_variant_without_sku_gets_a_stable_one() -> None:
    products = products_by_handle(read_shopify_csv(FIXTURE))
    box = products["gift-card-box"]
    assert box.options == []
    assert [(v.sku, v.options, v.price, v.stock) for v in box.variants] == [("gift-card-box", {}, 5.0, 7)]
    mug = products["travel-mug"]
    assert mug.category == "Drinkware"  # no Type: the leaf of Shopify's Product Category
    assert mug.published is False
    assert [(v.sku, v.stock, v.available) for v in mug.variants] == [("TM-BLK", 3, True),
                                                                    ("travel-mug-sand", 0, True)]  # "continue"


def test_a_byte_order_mark_and_a_draft_status_are_read(tmp_path: Path) -> None:
    path = write_variant_of_fixture(tmp_path, ("FALSE,House Blend,active", "FALSE,House Blend,draft"))
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())  # as Excel saves "CSV UTF-8"
    products = products_by_handle(read_shopify_csv(path))
    assert products["house-blend"].published is False
    assert len(products) == 3


def test_every_malformed_row_is_named_by_its_spreadsheet_row_and_column(tmp_path: Path) -> None:
    path = write_variant_of_fixture(
        tmp_path,
        ("HB-1K-WB,1000,shopify,4,deny,manual,32.00", "HB-1K-WB,1000,shopify,4,deny,manual,thirty-two"),
        (",1 kg,,Whole bean,", ",1 kg,,,"),
        ("Sand,,,,,,300", "Sand,,,,,TM-BLK,300"),
        ("HB-250-ES,250,shopify,0,deny", "HB-250-ES,250,shopify,2.5,deny"),
        ("manual,9.50,11.00", "manual,9.50,\"11,00\""),
    )
    with pytest.raises(ImportFileError) as raised:
        read_shopify_csv(path)
    # Row 2's body spans two lines of the file; a spreadsheet still shows it as one row, so the 1 kg variant
    # is row 4 (line 5 of the file).
    assert [str(problem) for problem in raised.value.problems] == [
        "products.csv:3: Variant Compare At Price: '11,00' is not a number",
        "products.csv:3: Variant Inventory Qty: '2.5' is not a whole number",
        "products.csv:4: Option2 Value: required: this product's option 'Grind' (row 2)",
        "products.csv:4: Variant Price: 'thirty-two' is not a number",
        "products.csv:8: Variant SKU: 'TM-BLK' is already the SKU of row 7",
    ]


def test_missing_product_fields_and_a_repeated_option_combination_are_problems(tmp_path: Path) -> None:
    path = write_variant_of_fixture(
        tmp_path,
        ("<p>A gift box.</p>,Hill Roasters,,Gifts", "<p>A gift box.</p>,,,"),
        ("house-blend,,,,,,,,,1 kg,,Whole bean", "house-blend,,,,,,,,,250 g,,Whole bean"),
    )
    with pytest.raises(ImportFileError) as raised:
        read_shopify_csv(path)
    assert [(p.where, p.field) for p in raised.value.problems] == [(4, "Option1 Value"), (6, "Type"),
                                                                    (6, "Vendor")]
    assert "the same options as row 2" in raised.value.problems[0].message


def test_a_file_that_is_not_a_shopify_export_says_which_columns_it_lacks(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("name,price\nMug,3\n", encoding="utf-8")
    with pytest.raises(ImportFileError) as raised:
        read_shopify_csv(path)
    assert [(p.where, p.field) for p in raised.value.problems] == [(1, "Handle"), (1, "Title"), (1, "Variant Price")]


def test_json_and_yaml_round_trip_what_the_csv_reader_made(tmp_path: Path) -> None:
    catalog = read_shopify_csv(FIXTURE)
    as_json = tmp_path / "catalog.json"
    as_json.write_text(catalog.model_dump_json(indent=2), encoding="utf-8")
    as_yaml = tmp_path / "catalog.yaml"
    as_yaml.write_text(yaml.safe_dump(catalog.model_dump(), allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert read_catalog(as_json) == catalog
    assert read_catalog(as_yaml) == catalog


YAML_CATALOG = """\
products:
  - handle: oat-latte
    title: Oat Latte
    vendor: Corner Cafe
    category: Coffee
    options:
      - name: Size
        values: [Small, Large]
    variants:
      - sku: OL-S
        options: {Size: Small}
        price: 3.5
      - sku: OL-L
        options: {Size: Large}
        price: -4
"""


def test_yaml_problems_name_their_line_and_field_path(tmp_path: Path) -> None:
    path = tmp_path / "cafe.yaml"
    path.write_text(YAML_CATALOG + "    modifiers:\n      - {name: Extra shot, price: 0.5, colour: brown}\n",
                    encoding="utf-8")
    with pytest.raises(ImportFileError) as raised:
        read_catalog(path)
    assert [str(problem) for problem in raised.value.problems] == [
        "cafe.yaml:15: products[0].variants[1].price: Input should be greater than or equal to 0",
        "cafe.yaml:17: products[0].modifiers[0].colour: Extra inputs are not permitted",
    ]


def test_json_problems_name_their_line_too_and_a_repeated_key_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load(YAML_CATALOG)
    path = tmp_path / "cafe.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    with pytest.raises(ImportFileError) as raised:
        read_catalog(path)
    [problem] = raised.value.problems
    line = path.read_text(encoding="utf-8").splitlines()[problem.where - 1]
    assert problem.field == "products[0].variants[1].price" and '"price": -4' in line
    path.write_text('{"products": [\n  {"handle": "a",\n   "handle": "b"}]}', encoding="utf-8")
    with pytest.raises(ImportFileError, match=r"cafe.json:3: products\[0\].handle: this key is given twice"):
        read_catalog(path)
    repeated = tmp_path / "repeated.yaml"
    repeated.write_text("products: []\nproducts: []\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="repeated.yaml:2: products: this key is given twice"):
        read_catalog(repeated)


def test_syntax_errors_and_empty_files_are_problems_not_crashes(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("products:\n  - handle: [unclosed\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match=r"broken.yaml:\d+: not valid YAML"):
        read_catalog(broken)
    empty = tmp_path / "empty.json"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ImportFileError, match="empty.json:1: not valid JSON"):
        read_catalog(empty)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(FIXTURE.read_bytes().replace(b"Hill Roasters", b"H\xf6ll Roasters"))
    with pytest.raises(ImportFileError, match="not UTF-8"):
        read_catalog(latin)


def test_the_format_is_found_by_extension_or_by_the_first_line(tmp_path: Path) -> None:
    export = tmp_path / "products_export_1.txt"
    export.write_bytes(FIXTURE.read_bytes())
    as_json = tmp_path / "catalog"
    as_json.write_text('{"products": []}', encoding="utf-8")
    as_yaml = tmp_path / "catalog.txt"
    as_yaml.write_text("products: []\n", encoding="utf-8")
    assert [sniff_catalog_format(p) for p in (FIXTURE, export, as_json, as_yaml)] == ["shopify", "shopify", "json",
                                                                                       "yaml"]
    assert read_catalog(export) == read_shopify_csv(FIXTURE)
    assert read_document(as_json, CatalogFile, "json") == CatalogFile()
