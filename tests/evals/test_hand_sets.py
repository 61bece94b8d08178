"""Schema checks of issue 12's hand-written sets: the café utterances, their screens, the shopping queries.

Each check collects every problem it finds (a list of sentences), so one run names all the mistakes; the
planted-mistake tests show that each kind of mistake is caught.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent.compact.prompt import spoken_form
from evals.matchers import MATCHER_KEYS, Fields, Literal, MatcherSyntaxError, parse_matcher
from shop.catalog_data import CATEGORIES
from tools import TOOLS

ROOT = Path(__file__).resolve().parents[2]
SETS = ROOT / "evals" / "understanding"
CAFE_CSV = ROOT / "examples" / "cafe" / "products.csv"
SPLITS = {"dev", "heldout"}
# Issue 12 adds these optional arguments to the frozen contract; they count as known before the registry has them.
CONTRACT_ADDITIONS = {"search_products": {"options", "exclude"}, "add_to_cart": {"options", "modifiers"}}
QUERY_FIELDS = {"q", "content_words", "negated", "filters", "split"}
QUERY_FILTERS = {"brand", "color", "size", "min_price", "max_price"}


def _load(name: str) -> Any:
    return yaml.safe_load((SETS / name).read_text(encoding="utf-8"))


def _known_arguments(action: str) -> set[str]:
    fields = set(TOOLS[action].model.model_fields) - {"action"}
    return fields | CONTRACT_ADDITIONS.get(action, set())


def cafe_catalog_options(path: Path = CAFE_CSV) -> dict[str, dict[str, list[str]]]:
    """Product title -> option name -> values, as Shopify lays the export out (names on a handle's first row)."""
    titles: dict[str, str] = {}
    names: dict[str, list[str]] = {}
    options: dict[str, dict[str, list[str]]] = {}
    with path.open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            handle = row["Handle"]
            if handle not in titles:
                titles[handle] = row["Title"]
                names[handle] = [row[f"Option{i} Name"] for i in (1, 2, 3) if row[f"Option{i} Name"]]
                options[row["Title"]] = {name: [] for name in names[handle] if name != "Title"}
            if not row["Variant SKU"]:
                continue  # an image-only row
            for i, name in enumerate(names[handle], 1):
                values = options[titles[handle]].get(name)
                if values is not None and row[f"Option{i} Value"] not in values:
                    values.append(row[f"Option{i} Value"])
    return options


def _options_matchers(raw: Any, where: str, problems: list[str]) -> dict[str, Any] | None:
    """An `options` gold: a mapping of option name to matcher (or one matcher such as {any: true})."""
    if isinstance(raw, dict) and raw and set(raw) <= set(MATCHER_KEYS) | {"tol"}:
        return None  # a whole-value matcher: nothing per option to check
    if not isinstance(raw, dict) or not raw:
        problems.append(f"{where}: options must be a non-empty mapping of option name to value")
        return None
    parsed = {}
    for name, value in raw.items():
        try:
            parsed[name] = parse_matcher(value)
        except MatcherSyntaxError as error:
            problems.append(f"{where}: options.{name}: {error}")
    return parsed


def _screen(item: dict, contexts: dict, where: str, problems: list[str]) -> dict[str, Any]:
    names = item.get("context") or []
    screen: dict[str, Any] = {"shown": [], "cart": []}
    for name in [names] if isinstance(names, str) else names:
        if name not in contexts:
            problems.append(f"{where}: unknown context {name!r}")
            continue
        screen.update(contexts[name])
    return screen


def _check_options_exist(options: dict[str, Any], choices: dict[str, list[str]], where: str,
                         problems: list[str]) -> None:
    folded = {name.casefold(): [v.casefold() for v in values] for name, values in choices.items()}
    for name, matcher in options.items():
        if name.casefold() not in folded:
            problems.append(f"{where}: option {name!r} is not an option there (has {sorted(choices)})")
        elif isinstance(matcher, Literal) and str(matcher.value).casefold() not in folded[name.casefold()]:
            problems.append(f"{where}: {matcher.value!r} is not a value of {name!r} ({choices[name]})")


# Arguments whose values are objects, matched field by field (issue 14's items and new addresses).
_OBJECT_ARGUMENTS = frozenset({"items", "address"})


def cafe_problems(cases: list[dict], contexts: dict, catalog: dict[str, dict[str, list[str]]]) -> list[str]:
    problems: list[str] = []
    every_value = {}
    for product_options in catalog.values():
        for name, values in product_options.items():
            every_value.setdefault(name, []).extend(values)
    for number, item in enumerate(cases, 1):
        where = f"cafe case {number} ({item.get('say')!r})"
        unknown_keys = set(item) - {"say", "context", "expect", "optional", "split"}
        if unknown_keys:
            problems.append(f"{where}: unknown keys {sorted(unknown_keys)}")
        if not isinstance(item.get("say"), str) or not item["say"].strip():
            problems.append(f"{where}: no `say`")
        if item.get("split") not in SPLITS:
            problems.append(f"{where}: split must be one of {sorted(SPLITS)}, got {item.get('split')!r}")
        expect = dict(item.get("expect") or {})
        action = expect.pop("action", None)
        if action not in TOOLS:
            problems.append(f"{where}: unknown action {action!r}")
            continue
        screen = _screen(item, contexts, where, problems)
        by_id = {p["id"]: p for p in screen.get("shown", [])}
        ids = set(by_id) | {line["product_id"] for line in screen.get("cart", [])}
        for part, arguments in (("expect", expect), ("optional", item.get("optional") or {})):
            for name, raw in arguments.items():
                if name not in _known_arguments(action):
                    problems.append(f"{where}: {part}: {action} has no argument {name!r}")
                    continue
                if name == "options":
                    options = _options_matchers(raw, where, problems)
                    if options is None:
                        continue
                    product = by_id.get(expect.get("product_id"))
                    if action == "add_to_cart" and product is not None:
                        choices = {o["name"]: o["values"] for o in product.get("options", [])}
                        _check_options_exist(options, choices, where, problems)
                    elif action == "search_products":
                        _check_options_exist(options, every_value, where, problems)
                    continue
                try:
                    matcher = parse_matcher(raw)
                except MatcherSyntaxError as error:
                    problems.append(f"{where}: {part}.{name}: {error}")
                    continue
                if isinstance(matcher, Fields) and name not in _OBJECT_ARGUMENTS:  # "{roughly: 2}" is no matcher
                    problems.append(f"{where}: {part}.{name}: {raw!r} is not a matcher")
                    continue
                if name in ("product_id", "product_ids") and isinstance(matcher, Literal):
                    wanted = matcher.value if isinstance(matcher.value, list) else [matcher.value]
                    if not set(wanted) <= ids:
                        problems.append(f"{where}: {name} {wanted} not on the screen (shown/cart: {sorted(ids)})")
    return problems


def context_problems(contexts: dict, catalog: dict[str, dict[str, list[str]]]) -> list[str]:
    """Screens show café products as the catalog has them: same title, same options and values."""
    problems = []
    for name, screen in contexts.items():
        for product in screen.get("shown", []):
            if product["name"] not in catalog:
                problems.append(f"context {name}: {product['name']!r} is not a product in {CAFE_CSV.name}")
                continue
            shown = {o["name"]: o["values"] for o in product.get("options", [])}
            if shown != catalog[product["name"]]:
                problems.append(f"context {name}: {product['name']!r} shows options {shown}, "
                                f"the catalog has {catalog[product['name']]}")
        for line in screen.get("cart", []):
            if line["name"] not in catalog:
                problems.append(f"context {name}: cart line {line['name']!r} is not a product")
            else:
                options = {k: Literal(v) for k, v in (line.get("options") or {}).items()}
                _check_options_exist(options, catalog[line["name"]], f"context {name}", problems)
    return problems


def seeded_vocabulary() -> dict[str, set[str]]:
    return {"brand": {b.casefold() for c in CATEGORIES for b in c.brands},
            "color": {v.casefold() for c in CATEGORIES for v in c.colors},
            "size": {v.casefold() for c in CATEGORIES for v in c.sizes}}


def query_problems(queries: list[dict], vocabulary: dict[str, set[str]]) -> list[str]:
    problems = []
    for number, item in enumerate(queries, 1):
        where = f"shopping query {number} ({item.get('q')!r})"
        unknown = set(item) - QUERY_FIELDS
        if unknown:
            problems.append(f"{where}: unknown fields {sorted(unknown)}")
        text = item.get("q")
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{where}: no `q`")
            continue
        if item.get("split") not in SPLITS:
            problems.append(f"{where}: split must be one of {sorted(SPLITS)}, got {item.get('split')!r}")
        words = [str(w) for w in item.get("content_words") or []]
        if not words:
            problems.append(f"{where}: no content_words")
        for word in words:
            if word.casefold() not in text.casefold():
                problems.append(f"{where}: content word {word!r} is not in the query")
        negated = [str(w) for w in item.get("negated") or []]
        for word in negated:
            if word not in words:
                problems.append(f"{where}: negated word {word!r} is not one of its content_words")
        for name, value in (item.get("filters") or {}).items():
            if name not in QUERY_FILTERS:
                problems.append(f"{where}: unknown filter {name!r} (known: {sorted(QUERY_FILTERS)})")
            elif name in vocabulary and str(value).casefold() not in vocabulary[name]:
                problems.append(f"{where}: {name} {value!r} is not in the seeded catalog")
            elif name.endswith("_price") and (not isinstance(value, int | float) or value <= 0):
                problems.append(f"{where}: {name} must be a positive number, got {value!r}")
            if any(str(value).casefold() == w.casefold() for w in negated):
                problems.append(f"{where}: negated word {value!r} is a positive filter")
    return problems


def duplicate_problems(sentences: dict[str, list[str]], dev: list[str]) -> list[str]:
    """Sentences repeated within or across the sets, or copied from dev.yaml (after spoken-form normalising)."""
    problems = []
    dev_forms = {spoken_form(s) for s in dev}
    seen: Counter[str] = Counter()
    for name, texts in sentences.items():
        for text in texts:
            form = spoken_form(text)
            seen[form] += 1
            if seen[form] == 2:
                problems.append(f"{name}: {text!r} appears more than once")
            if form in dev_forms:
                problems.append(f"{name}: {text!r} is also in dev.yaml")
    return problems


@pytest.fixture(scope="module")
def catalog() -> dict[str, dict[str, list[str]]]:
    return cafe_catalog_options()


@pytest.fixture(scope="module")
def cafe() -> list[dict]:
    return _load("cafe.yaml")["cases"]


@pytest.fixture(scope="module")
def queries() -> list[dict]:
    return _load("shopping_queries.yaml")["queries"]


def _heldout_share(items: list[dict]) -> float:
    return sum(item.get("split") == "heldout" for item in items) / len(items)


def test_cafe_cases_are_enough_well_formed_and_point_at_their_screens(cafe, catalog) -> None:
    assert len(cafe) >= 150
    assert cafe_problems(cafe, _load("cafe_contexts.yaml"), catalog) == []
    assert 0.3 <= _heldout_share(cafe) <= 0.5
    kinds = Counter(item["expect"]["action"] for item in cafe)
    assert kinds["search_products"] >= 50 and kinds["add_to_cart"] >= 50 and kinds["clarify"] >= 10
    with_options = [c for c in cafe if "options" in c["expect"]]
    with_exclude = [c for c in cafe if "exclude" in c["expect"]]
    assert len(with_options) >= 60 and len(with_exclude) >= 20


def test_cafe_screens_match_the_cafe_catalog(catalog) -> None:
    assert len(catalog) >= 40 and sum(len(o) > 0 for o in catalog.values()) >= 30
    assert context_problems(_load("cafe_contexts.yaml"), catalog) == []


def test_shopping_queries_are_enough_and_well_formed(queries) -> None:
    assert len(queries) >= 200
    assert query_problems(queries, seeded_vocabulary()) == []
    assert 0.3 <= _heldout_share(queries) <= 0.5
    assert sum(bool(q.get("negated")) for q in queries) >= 30


def test_no_sentence_is_repeated_or_taken_from_dev(cafe, queries) -> None:
    dev = [case["say"] for case in _load("dev.yaml")["cases"]]
    sets = {"cafe.yaml": [c["say"] for c in cafe], "shopping_queries.yaml": [q["q"] for q in queries]}
    assert duplicate_problems(sets, dev) == []


def test_each_kind_of_mistake_is_caught(catalog) -> None:
    contexts = {"mugs": {"shown": [{"id": "c1", "name": "Kiln Stoneware Mug", "options": [
        {"name": "Capacity", "values": ["250 ml", "350 ml"]},
        {"name": "Color", "values": ["Speckled White", "Charcoal", "Sage"]}]}]}}
    good = {"say": "the big sage one", "context": "mugs", "split": "dev",
            "expect": {"action": "add_to_cart", "product_id": "c1", "options": {"Capacity": "350 ml", "Color": "Sage"}}}
    assert cafe_problems([good], contexts, catalog) == []
    broken = [
        {**good, "expect": {**good["expect"], "action": "buy_now"}},
        {**good, "context": "teapots"},
        {**good, "split": None},
        {**good, "expect": {**good["expect"], "product_id": "c9"}},
        {**good, "expect": {**good["expect"], "options": {"Color": "Blue", "Capacity": "350 ml"}}},
        {**good, "expect": {**good["expect"], "options": {"Milk": "Oat", "Capacity": "350 ml"}}},
        {**good, "expect": {**good["expect"], "coupon": "X"}},
        {**good, "expect": {**good["expect"], "quantity": {"roughly": 2}}},
        {"say": "oat latte", "split": "dev", "expect": {"action": "search_products", "query": "latte",
                                                        "options": {"Milk": "Coconut"}}},
    ]
    for case in broken:
        assert cafe_problems([case], contexts, catalog), case
    assert context_problems({"x": {"shown": [{"id": "c1", "name": "Kiln Stoneware Mug", "options": []}]}}, catalog)
    vocabulary = seeded_vocabulary()
    fine = {"q": "red sneakers not leather", "content_words": ["red", "sneakers", "leather"], "negated": ["leather"],
            "filters": {"color": "Red"}, "split": "heldout"}
    assert query_problems([fine], vocabulary) == []
    for wrong in ({**fine, "content_words": ["red", "sneakers", "leather", "suede"]},
                  {**fine, "negated": ["leather", "canvas"]},
                  {**fine, "filters": {"color": "Maroon"}},
                  {**fine, "filters": {"brand": "Nike"}},
                  {**fine, "filters": {"material": "canvas"}},
                  {**fine, "negated": ["red"], "content_words": ["red", "sneakers"]},
                  {**fine, "split": "train"}):
        assert query_problems([wrong], vocabulary), wrong
    assert duplicate_problems({"a": ["Find red sneakers!", "find red sneakers"]}, []) != []
    assert duplicate_problems({"a": ["show me some red sneakers"]}, ["Show me some red sneakers"]) != []


def test_sentences_differ_from_generated_training_examples(cafe, queries) -> None:
    from training.taskdata import generate  # only the generator's output is compared, never read into the sets

    generated = {spoken_form(e.utterance) for split in ("train", "heldout") for e in generate(3000, split, 0)}
    ours = [c["say"] for c in cafe] + [q["q"] for q in queries]
    assert [s for s in ours if spoken_form(s) in generated] == []

