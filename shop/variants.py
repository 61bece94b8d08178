"""Which variant and modifiers of a product a cart request means, or a 422 that says what the product has.

A request names a variant by id, by option values (``{"Storage": "256 GB"}``), or by the ``color``/``size``
shorthands for the options named Color/Colour and Size. Names and values match forgivingly ("45mm" is
"45 mm", "storage" is "Storage"). The answer is exactly one variant for sale, or an :class:`OptionsProblem`
whose body lists the product's options and values (and modifiers), so the assistant can say what there is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from shop.catalog.load import COLOR_OPTIONS, SIZE_OPTIONS
from shop.models import Modifier, Product, Variant


class OptionsProblem(Exception):
    """422: the request does not pin one variant (or names a modifier the product lacks)."""

    status = 422

    def __init__(self, product: Product, message: str, *, sold_out: bool = False) -> None:
        super().__init__(message)
        self.product = product
        self.message = message
        self.sold_out = sold_out  # the options name variants the product has, none of them for sale

    def body(self) -> dict:
        return {
            "detail": self.message,
            "sold_out": self.sold_out,
            "product_id": self.product.id,
            "options": [{"name": option.name, "values": list(option.values)} for option in self.product.options],
            "modifiers": [{"id": modifier.id, "name": modifier.name, "price": modifier.price, "group": modifier.group}
                          for modifier in self.product.modifiers],
        }


def comparable(text: str) -> str:
    """"45mm", "45 MM" and "45 mm" are the same size; "navy-blue" is "Navy Blue"."""
    return re.sub(r"[\s\-_]+", "", text.casefold())


def _offered(product: Product) -> str:
    return "; ".join(f"{option.name}: {', '.join(option.values)}" for option in product.options) or "no options"


def _wanted_options(product: Product, options: Mapping[str, str] | None, color: str | None,
                    size: str | None) -> dict[str, str]:
    """The request's option values under the product's own option names and spellings."""
    by_name = {comparable(option.name): option for option in product.options}
    requested: list[tuple[str, str, str]] = [(name, value, name) for name, value in (options or {}).items()]
    for shorthand, value, names in (("color", color, COLOR_OPTIONS), ("size", size, SIZE_OPTIONS)):
        if value is None:
            continue
        option = next((option for option in product.options if option.name.casefold() in names), None)
        if option is None:
            raise OptionsProblem(product, f"{product.name} has no {shorthand} options; leave {shorthand} out "
                                          f"(it has {_offered(product)})")
        requested.append((option.name, value, shorthand))
    wanted: dict[str, str] = {}
    for name, value, said in requested:
        option = by_name.get(comparable(name))
        if option is None:
            raise OptionsProblem(product, f"{product.name} has no option '{said}'; it has {_offered(product)}")
        spelled = next((known for known in option.values if comparable(known) == comparable(value)), None)
        if spelled is None:
            raise OptionsProblem(product, f"{product.name} does not come in {option.name.lower()} '{value}'; "
                                          f"available: {', '.join(option.values)}")
        if wanted.get(option.name, spelled) != spelled:
            raise OptionsProblem(product, f"{option.name} given twice: '{wanted[option.name]}' and '{spelled}'")
        wanted[option.name] = spelled
    return wanted


def resolve_variant(product: Product, *, variant_id: int | None = None, options: Mapping[str, str] | None = None,
                    color: str | None = None, size: str | None = None) -> Variant:
    """The one variant for sale that the request pins down (see the module docstring)."""
    if not product.variants:
        raise OptionsProblem(product, f"{product.name} is not for sale: it has no variants")
    wanted = _wanted_options(product, options, color, size)
    matching = [variant for variant in product.variants
                if all(variant.options.get(name) == value for name, value in wanted.items())]
    if variant_id is not None:
        matching = [variant for variant in matching if variant.id == variant_id]
        if not matching:
            raise OptionsProblem(product, f"{product.name} has no variant {variant_id}"
                                          f"{' with those options' if wanted else ''}; it has {_offered(product)}")
    for_sale = [variant for variant in matching if variant.available]
    if len(for_sale) == 1:
        return for_sale[0]
    chosen = ", ".join(f"{name} {value}" for name, value in wanted.items())
    if not for_sale:
        if matching:
            raise OptionsProblem(product, f"{product.name} ({chosen}) is not for sale; it has {_offered(product)}",
                                 sold_out=True)
        raise OptionsProblem(product, f"{product.name} does not come as {chosen}; it has {_offered(product)}")
    open_options = [option for option in product.options if option.name not in wanted
                    and len({variant.options.get(option.name) for variant in for_sale}) > 1]
    say = "; ".join(f"{option.name}: {', '.join(value for value in option.values if any(variant.options.get(option.name) == value for variant in for_sale))}"
                    for option in open_options)
    raise OptionsProblem(product, f"{product.name} comes in several variants{' with ' + chosen if chosen else ''}; "
                                  f"say which {say}")


def resolve_modifiers(product: Product, wanted: Sequence[str | int] | None) -> list[Modifier]:
    """The product's modifiers the request names (by name or id), in the product's order, one per group."""
    chosen: dict[int, Modifier] = {}
    for item in wanted or ():
        modifier = next((modifier for modifier in product.modifiers
                         if (isinstance(item, int) and modifier.id == item)
                         or (isinstance(item, str) and comparable(modifier.name) == comparable(item))), None)
        if modifier is None:
            offered = ", ".join(modifier.name for modifier in product.modifiers) or "none"
            raise OptionsProblem(product, f"{product.name} has no add-on '{item}'; add-ons: {offered}")
        chosen[modifier.id] = modifier
    groups: dict[str, str] = {}
    for modifier in chosen.values():
        if modifier.group is not None:
            if modifier.group in groups:
                raise OptionsProblem(product, f"choose one {modifier.group}: '{groups[modifier.group]}' or "
                                              f"'{modifier.name}'")
            groups[modifier.group] = modifier.name
    return sorted(chosen.values(), key=lambda modifier: modifier.position)
