"""The catalog interchange format: what every reader produces and the loader consumes.

It follows the convention of Shopify and most shop systems: a product has named options (any names, any
number) with ordered values; a variant is one combination of option values with its own SKU, price and
stock; add-ons that are not variants (an extra shot, gift wrap) are modifiers with their own price. The
documented file form (docs/catalog-import.md) is this model as JSON or YAML.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Word = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
Handle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120,
                                          pattern=r"^[a-z0-9][a-z0-9-]*$")]
Money = Annotated[float, Field(ge=0, le=1_000_000, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OptionSpec(_Strict):
    """One named option of a product ("Size": Small, Medium, Large), its values in the shop's order."""

    name: Word
    values: list[Word] = Field(min_length=1)

    @model_validator(mode="after")
    def _values_unique(self) -> OptionSpec:
        folded = [value.casefold() for value in self.values]
        if len(set(folded)) != len(folded):
            raise ValueError(f"option {self.name!r} lists a value twice")
        return self


class VariantSpec(_Strict):
    """One purchasable combination: a value for every option of its product."""

    sku: Word
    options: dict[Word, Word] = Field(default_factory=dict)  # option name -> value
    price: Money
    compare_at_price: Money | None = None  # the "was" price, shown struck through
    stock: Annotated[int, Field(ge=0, le=10_000_000)] = 0
    available: bool = True  # False: listed but not for sale (Shopify's unpublished / "deny" oversell)


class ModifierSpec(_Strict):
    """An add-on chosen with a line item that is not a variant (oat milk, gift wrap), priced on its own."""

    name: Word
    price: Money = 0.0
    group: Word | None = None  # modifiers of one group exclude each other ("Milk": oat / soy / whole)


class ProductSpec(_Strict):
    handle: Handle  # the shop's stable key: re-importing a handle updates that product
    title: Name
    vendor: Word  # the brand
    category: Word
    description: str = ""
    tags: list[Word] = Field(default_factory=list)
    options: list[OptionSpec] = Field(default_factory=list)
    variants: list[VariantSpec] = Field(min_length=1)
    modifiers: list[ModifierSpec] = Field(default_factory=list)
    rating: Annotated[float, Field(ge=0, le=5)] = 0.0
    review_count: Annotated[int, Field(ge=0)] = 0
    published: bool = True

    @model_validator(mode="after")
    def _variants_fit_options(self) -> ProductSpec:
        names = [option.name for option in self.options]
        allowed = {option.name: set(option.values) for option in self.options}
        seen: set[tuple[str, ...]] = set()
        for variant in self.variants:
            if set(variant.options) != set(names):
                raise ValueError(f"variant {variant.sku!r} must give a value for exactly the options {names}")
            for name, value in variant.options.items():
                if value not in allowed[name]:
                    raise ValueError(f"variant {variant.sku!r}: {value!r} is not a value of option {name!r}")
            combination = tuple(variant.options[name] for name in names)
            if combination in seen:
                raise ValueError(f"two variants share the options {dict(zip(names, combination))}")
            seen.add(combination)
        return self

    @property
    def from_price(self) -> float:
        """The product's price: its cheapest available variant (or cheapest at all when none is)."""
        available = [variant.price for variant in self.variants if variant.available] or \
            [variant.price for variant in self.variants]
        return min(available)


class CatalogFile(_Strict):
    """A whole import: products, unique by handle, and their SKUs unique across the file."""

    products: list[ProductSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _keys_unique(self) -> CatalogFile:
        handles: set[str] = set()
        skus: set[str] = set()
        for product in self.products:
            if product.handle in handles:
                raise ValueError(f"handle {product.handle!r} appears twice")
            handles.add(product.handle)
            for variant in product.variants:
                if variant.sku in skus:
                    raise ValueError(f"SKU {variant.sku!r} appears twice")
                skus.add(variant.sku)
        return self


# --- customers (``voiceshop import customers``; loaded by shop.catalog.load.load_customers) ----------------
#
# The JSON shape, for demos and migrations from another shop:
#   {"customers": [{"login": "ada", "name": "Ada Lovelace", "password": "optional, 8+ chars",
#                   "addresses": [{"label": "home", "line1": "1 Analytical St", "city": "London",
#                                  "postal_code": "N1 9GU", "country": "GB", "default": true}],
#                   "payment_methods": [{"kind": "card", "label": "Visa", "last_digits": "4242", "default": true},
#                                       {"kind": "gift_card", "label": "Gift card", "last_digits": "7890",
#                                        "balance": 50}]}],
#    "orders": [{"customer": "ada", "status": "delivered", "created_at": "2026-03-01T10:00:00Z",
#                "tracking_number": "1Z999", "lines": [{"sku": "TEE-BLK-M", "quantity": 2,
#                                                      "modifiers": ["Gift wrap"]}]}]}
# A line's unit_price defaults to the SKU's price plus its modifiers today; give it to keep the old price.

Login = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=80,
                                         pattern=r"^[^\s]+$")]
OrderStatusName = Literal["pending", "pending (items modified)", "processing", "shipped", "delivered", "cancelled",
                          "return requested", "returned", "exchange requested"]


class AddressSpec(_Strict):
    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] | None = None
    recipient: Word | None = None  # default: the customer's name
    line1: Name
    line2: Name | None = None
    city: Word
    region: Word | None = None
    postal_code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    country: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}$")]
    is_default: bool = Field(default=False, alias="default")


class PaymentMethodSpec(_Strict):
    """A payment method as a label and last digits only (no card numbers: the shop processes no payments)."""

    kind: Literal["card", "paypal", "gift_card"]
    label: Word
    last_digits: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{4}$")] | None = None
    balance: Money | None = None  # gift cards only
    is_default: bool = Field(default=False, alias="default")

    @model_validator(mode="after")
    def _balance_for_gift_cards(self) -> PaymentMethodSpec:
        if (self.balance is not None) != (self.kind == "gift_card"):
            raise ValueError("a gift card has a balance; other payment methods have none")
        return self


class CustomerSpec(_Strict):
    login: Login
    name: Word
    password: Annotated[str, StringConstraints(min_length=8, max_length=256)] | None = None
    addresses: list[AddressSpec] = Field(default_factory=list)
    payment_methods: list[PaymentMethodSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_default(self) -> CustomerSpec:
        if sum(address.is_default for address in self.addresses) > 1:
            raise ValueError(f"customer {self.login!r} has more than one default address")
        if sum(method.is_default for method in self.payment_methods) > 1:
            raise ValueError(f"customer {self.login!r} has more than one default payment method")
        return self


class PastOrderLineSpec(_Strict):
    sku: Word
    quantity: Annotated[int, Field(ge=1, le=99)] = 1
    modifiers: list[Word] = Field(default_factory=list)  # modifier names of the SKU's product
    unit_price: Money | None = None


class PastOrderSpec(_Strict):
    customer: Login  # a login from this file or already in the shop
    status: OrderStatusName = "delivered"
    created_at: AwareDatetime
    tracking_number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] | None = None
    lines: list[PastOrderLineSpec] = Field(min_length=1)


class CustomersFile(_Strict):
    customers: list[CustomerSpec] = Field(default_factory=list)
    orders: list[PastOrderSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _logins_unique(self) -> CustomersFile:
        logins = [customer.login for customer in self.customers]
        if len(set(logins)) != len(logins):
            raise ValueError("a login appears twice")
        return self
