"""The catalog's own words, read from the shop: categories, brands, option names and values, add-ons.

They prime every stage that has to recognise them (the ASR prompt and name correction, the per-turn
grammar, the spelling of search options). The shop answers ``GET /catalog/vocabulary`` with an ``ETag``
that changes whenever the catalog does (an import, a new product), so a caller that keeps the last answer
re-reads cheaply: the shop answers 304 until something changed. A shop without that route (an older one
behind SHOP_URL) is read from ``GET /categories`` and ``GET /brands`` instead.
"""

from __future__ import annotations

import httpx
from pydantic import BaseModel, Field

VOCABULARY_PATH = "/catalog/vocabulary"


class CatalogWords(BaseModel):
    """What the catalog calls things, most common first; ``version`` is the shop's ETag for it."""

    version: str | None = None
    categories: list[str] = Field(default_factory=list)
    brands: list[str] = Field(default_factory=list)
    options: dict[str, list[str]] = Field(default_factory=dict)  # option name -> its values across the catalog
    modifiers: list[str] = Field(default_factory=list)


def _names(entries: list[dict]) -> list[str]:
    return [str(entry["name"]) for entry in sorted(entries, key=lambda entry: -int(entry.get("count", 0)))]


async def read_vocabulary(shop: httpx.AsyncClient, known: CatalogWords | None = None) -> CatalogWords:
    """The catalog's words now; ``known`` itself (the same object) when the shop says they did not change.

    ``shop`` has the shop's base URL (or the in-process transport). Raises ``httpx.HTTPError`` when the
    shop cannot answer."""
    headers = {"If-None-Match": f'"{known.version}"'} if known is not None and known.version else {}
    response = await shop.get(VOCABULARY_PATH, headers=headers)
    if response.status_code == 304 and known is not None:
        return known
    if response.status_code == 404:
        return await _read_names_only(shop)
    response.raise_for_status()
    body = response.json()
    return CatalogWords(version=response.headers.get("ETag", "").strip('"') or None,
                        categories=_names(body.get("categories", [])), brands=_names(body.get("brands", [])),
                        options={str(option["name"]): [str(v) for v in option.get("values", [])]
                                 for option in body.get("options", [])},
                        modifiers=[str(m) for m in body.get("modifiers", [])])


async def _read_names_only(shop: httpx.AsyncClient) -> CatalogWords:
    names: dict[str, list[str]] = {}
    for endpoint in ("categories", "brands"):
        response = await shop.get(f"/{endpoint}")
        response.raise_for_status()
        names[endpoint] = _names(response.json())
    return CatalogWords(categories=names["categories"], brands=names["brands"])
