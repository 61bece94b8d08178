"""The catalog's words from the shop: one request, re-read cheaply (304) until the catalog changes; an older
shop without the route is read from its category and brand lists."""

from __future__ import annotations

import httpx

from tests.tools.doubles import VocabularyShopDouble
from tools.vocabulary import CatalogWords, read_vocabulary


async def test_words_are_read_then_reread_only_when_the_catalog_changed() -> None:
    shop = VocabularyShopDouble()
    async with httpx.AsyncClient(transport=httpx.MockTransport(shop), base_url="http://shop") as http:
        first = await read_vocabulary(http)
        assert first == CatalogWords(version="v1", categories=["Coffee", "Tea"], brands=["Kaffa"],
                                     options={"Grind": ["Whole Bean", "Espresso"]}, modifiers=["Oat milk"])
        assert await read_vocabulary(http, first) is first  # 304: nothing to rebuild
        shop.version = "v2"  # e.g. a new import
        second = await read_vocabulary(http, first)
    assert second is not first and second.version == "v2"
    assert [r.headers.get("If-None-Match") for r in shop.requests] == [None, '"v1"', '"v1"']


async def test_an_older_shop_gives_its_category_and_brand_names_most_common_first() -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(VocabularyShopDouble(new=False)),
                                 base_url="http://shop") as http:
        words = await read_vocabulary(http)
    assert words == CatalogWords(categories=["Books", "Toys"], brands=["Zentro", "Acme"])
