"""Deterministic demo data: a catalog over every category, customers with a taste, and their order history.

``seed_database(db, products=2000, customers=200, seed=7)`` fills an empty database; the same seed always
gives the same products, customers and order lines (order timestamps are relative to "now"). The catalog
goes in through the catalog loader (``shop.catalog.load.load_catalog``, the importer's), a batch of products
per call; the loader and the order rows use SQLAlchemy Core ``executemany``.

Sign-in: no seeded customer has a password. ``demo`` signs in without one while the demo login is on
(``DEMO_LOGIN``, default on); any customer can be given a password with ``voiceshop users set-password LOGIN``.
One owner account (login ``owner``) is added after the customers, with the password ``owner_password``
(``OWNER_PASSWORD``) or, without one, a random password that the seeding CLIs print once.

CLI: ``python -m shop.seed --products N --customers M --seed S --database-url URL --reset``.
"""

from __future__ import annotations

import argparse
import math
import random
import re
import secrets
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate

from sqlalchemy import Connection, bindparam, insert, select, update

from shop.auth import DEMO_LOGIN, hash_password
from shop.catalog.format import CatalogFile, ModifierSpec, OptionSpec, ProductSpec, VariantSpec
from shop.catalog.load import COLOR_OPTIONS, SIZE_OPTIONS, load_catalog, named_value
from shop.catalog_data import CATEGORIES, FIRST_NAMES, LAST_NAMES, CategorySpec
from shop.db import Database
from shop.models import (ADDRESS_FIELDS, Address, Order, OrderLine, OrderStatus, OrderTransaction, PaymentKind,
                         PaymentMethod, Product, RefundState, TransactionKind, User, UserRole, Variant)
from shop.search import drop_search_index, ensure_search_index

DEMO_NAME = "Demo Customer"
OWNER_LOGIN = "owner"  # not a first.last login, so no generated customer can take it
OWNER_NAME = "Shop Owner"
# The demo customer's history, oldest first: (age in days, status). The latest order is still pending so
# "where is my order" and "cancel my last order" both have something to act on.
# Order 1 was delivered long ago (past the return window); order 4, recently, holds running shoes, so
# "return the running shoes" and "exchange them for a size 10" work at once.
DEMO_ORDER_PLAN = ((200, OrderStatus.delivered), (120, OrderStatus.returned), (60, OrderStatus.cancelled),
                   (12, OrderStatus.delivered), (4, OrderStatus.shipped), (2, OrderStatus.processing),
                   (0.2, OrderStatus.pending))
DEMO_SHOES_ORDER = 3  # position in DEMO_ORDER_PLAN
SHOES_CATEGORY = "Running Shoes"
# The demo customer's wallet: a default card, PayPal, a gift card that covers most things and one that doesn't.
DEMO_PAYMENT_METHODS = (
    {"kind": PaymentKind.card, "label": "Visa", "last_digits": "4242", "balance": None, "is_default": True},
    {"kind": PaymentKind.paypal, "label": "PayPal", "last_digits": None, "balance": None, "is_default": False},
    {"kind": PaymentKind.gift_card, "label": "Gift card", "last_digits": "7890", "balance": 250.0, "is_default": False},
    {"kind": PaymentKind.gift_card, "label": "Gift card", "last_digits": "1111", "balance": 5.0, "is_default": False},
)
DEMO_ADDRESSES = (
    {"label": "home", "line1": "12 Orchard Lane", "line2": None, "city": "Springfield", "region": "IL",
     "postal_code": "62704", "country": "US", "is_default": True},
    {"label": "work", "line1": "400 Market Street", "line2": "Floor 5", "city": "Springfield", "region": "IL",
     "postal_code": "62701", "country": "US", "is_default": False},
)
STREETS = ("Maple Avenue", "Oak Street", "Cedar Road", "Harbor Way", "Hillcrest Drive", "Lakeview Terrace",
           "Mill Lane", "Station Road", "Park Place", "River Street")
CITIES = (("Portland", "OR", "972"), ("Austin", "TX", "787"), ("Madison", "WI", "537"), ("Denver", "CO", "802"),
          ("Raleigh", "NC", "276"), ("Boise", "ID", "837"), ("Tucson", "AZ", "857"), ("Albany", "NY", "122"))
CARD_LABELS = ("Visa", "Mastercard", "American Express")

Progress = Callable[[str], None]


class SeedError(Exception):
    """The database cannot be seeded as asked (e.g. it already holds products and no reset was requested)."""


@dataclass(frozen=True)
class SeedOptions:
    """How much to generate. ``order_pool`` caps how many products per category past orders draw from,
    so order generation stays cheap for a million-product catalog."""

    products: int = 2000
    customers: int = 200
    seed: int = 7
    batch_size: int = 20_000
    order_pool: int = 400


@dataclass
class SeedSummary:
    products: int = 0
    customers: int = 0
    orders: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # per phase: products, index, customers
    owner_password: str | None = None  # the owner's password when it was generated: show it once


@dataclass(frozen=True)
class PoolProduct:
    """What an order line needs to know about a product."""

    id: str
    name: str
    variants: tuple[VariantSpec, ...]


@dataclass
class CategoryPool:
    """Products past orders can pick from in one category, weighted towards popular ones."""

    products: list[PoolProduct] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    _cumulative: list[float] | None = None

    def add(self, product: PoolProduct, popularity: float) -> None:
        self.products.append(product)
        self.weights.append(popularity)
        self._cumulative = None

    def pick(self, rng: random.Random) -> PoolProduct:
        if self._cumulative is None:
            self._cumulative = list(accumulate(self.weights))
        return rng.choices(self.products, cum_weights=self._cumulative)[0]


# --- products ------------------------------------------------------------------------------------------

def _charm_price(value: float) -> float:
    """Shop-like prices: 12.99, 129.99 (whole units below 100, fives above)."""
    base = round(value) if value < 100 else round(value / 5) * 5
    return max(base - 0.01, 0.99)


def _sentence_noun(noun: str) -> str:
    """"Trail Running Shoe" -> "trail running shoe"; keeps "STEM", "5G", "SPF 50"; drops a title's "A "."""
    words = noun.removeprefix("A ").split()
    return " ".join(word if word.isupper() or any(ch.isdigit() for ch in word) else word.lower() for word in words)


def _pick_sizes(rng: random.Random, sizes: tuple[str, ...]) -> list[str]:
    """A run of neighbouring sizes (shoes 7-11, S-XL) or, for short lists, the full list or a few."""
    if len(sizes) >= 6:
        start = rng.randint(0, len(sizes) // 3)
        end = rng.randint(start + len(sizes) // 2, len(sizes))
        return list(sizes[start:end])
    if rng.random() < 0.6:
        return list(sizes)
    chosen = set(rng.sample(sizes, rng.randint(1, len(sizes) - 1)))
    return [size for size in sizes if size in chosen]


def _spoken_list(items: list[str]) -> str:
    """"Black", "Black and Red", "Black, Red and Navy"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _describe(rng: random.Random, spec: CategorySpec, noun: str, colors: list[str]) -> str:
    """One to three sentences naming features and use cases."""
    first, second, third, fourth = rng.sample(spec.features, 4)
    use, other_use = rng.sample(spec.uses, 2)
    thing = _sentence_noun(noun)
    plural = thing.endswith("s") and not thing.endswith("ss")  # "jeans", "garden gloves"
    article = "" if plural else "An " if thing[0].lower() in "aeiou" else "A "
    opening = rng.choice((
        f"{article}{thing} with {first} and {second}, made {use}.",
        f"{'These' if plural else 'This'} {thing} {'pair' if plural else 'pairs'} {first} with {second}.",
        f"Built {use}: {first}, {second} and {third}.",
    ))
    sentences = [opening[0].upper() + opening[1:]]
    if rng.random() < 0.75:
        sentences.append(rng.choice((f"Great {other_use}.", f"Also features {fourth}.",
                                     f"A favourite {other_use}.")))
    if colors and rng.random() < 0.5:
        sentences.append(f"Available in {_spoken_list(colors)}.")
    return " ".join(sentences)


def _stock(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.05:
        return 0  # out of stock: the assistant must handle it
    if roll < 0.15:
        return rng.randint(1, 5)
    if roll < 0.80:
        return rng.randint(6, 60)
    return rng.randint(61, 500)


def _handle(name: str, number: int) -> str:
    """"Trailblaze Men's Running Shoe", 17 -> "trailblaze-men-s-running-shoe-17" (unique by the number)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return f"{re.sub(r'[^a-z0-9]+', '-', ascii_name.lower()).strip('-')[:100]}-{number}"


def _split_stock(rng: random.Random, total: int, parts: int) -> list[int]:
    """``total`` units over ``parts`` variants, unevenly (some sizes sell out first), summing to ``total``."""
    weights = [rng.random() + 0.05 for _ in range(parts)]
    scale = total / sum(weights)
    shares = [int(weight * scale) for weight in weights]
    for index in range(total - sum(shares)):
        shares[index % parts] += 1
    return shares


def _variants(rng: random.Random, number: int, base_price: float, total_stock: int,
              options: list[tuple[str, list[str], list[float]]]) -> list[VariantSpec]:
    """One variant per combination of the options' values; each value adds its price step to the base."""
    combinations: list[tuple[dict[str, str], float]] = [({}, 0.0)]
    for name, values, steps in options:
        combinations = [({**chosen, name: value}, added + step) for chosen, added in combinations
                        for value, step in zip(values, steps, strict=True)]
    stocks = _split_stock(rng, total_stock, len(combinations))
    return [VariantSpec(sku=f"VS{number:07d}-{position + 1:02d}", options=chosen,
                        price=round(base_price + added, 2), stock=stock)
            for position, ((chosen, added), stock) in enumerate(zip(combinations, stocks, strict=True))]


@dataclass(frozen=True)
class SeededProduct:
    spec: ProductSpec
    created_at: datetime


def generate_products(seed: int, count: int, now: datetime) -> Iterator[SeededProduct]:
    """Products as :class:`ProductSpec` in the order the loader numbers them (``p1`` .. ``p<count>`` in an
    empty shop); the first 22 cover every category once. Colour and size become the options Color and Size;
    some categories have priced options of their own (storage, material, capacity) and add-ons."""
    rng = random.Random(f"{seed}:products")
    variant_rng = random.Random(f"{seed}:variants")  # a second stream: the product draws stay as they were
    weights = list(accumulate(spec.weight for spec in CATEGORIES))
    for index in range(count):
        spec = CATEGORIES[index] if index < len(CATEGORIES) else rng.choices(CATEGORIES, cum_weights=weights)[0]
        noun = rng.choice(spec.nouns)
        name = spec.name_format.format(
            line=rng.choice(spec.lines),
            audience=rng.choice(spec.audiences) if spec.audiences else "",
            tag=rng.choice(spec.tags) if spec.tags else "",
            noun=noun,
        )
        low, high = spec.noun_prices.get(noun, spec.price_range)
        colors = rng.sample(spec.colors, rng.randint(1, min(4, len(spec.colors)))) if spec.colors else []
        sizes = _pick_sizes(rng, spec.sizes) if spec.sizes else []
        created = now - timedelta(days=rng.uniform(30, 3 * 365))
        brand = rng.choice(spec.brands)
        description = _describe(rng, spec, noun, colors)
        price = _charm_price(math.exp(rng.uniform(math.log(low), math.log(high))))
        rating = round(min(5.0, max(1.0, rng.gauss(4.15, 0.5))), 1)
        review_count = min(60_000, int(rng.lognormvariate(3.5, 1.6)))
        stock = _stock(rng)
        options = [("Color", colors, [0.0] * len(colors))] if colors else []
        if sizes:
            steps = dict(spec.size_option.values) if spec.size_option else {}
            cheapest = min(steps.get(size, 0.0) for size in sizes)  # the price stays the cheapest variant's
            options.append((spec.size_option.name if spec.size_option else "Size", sizes,
                            [steps.get(size, 0.0) - cheapest for size in sizes]))
        for priced in spec.options:  # a second stream, so the draws above stay those of the catalog before
            offered = priced.values[:variant_rng.randint(1, len(priced.values))]
            options.append((priced.name, [value for value, _ in offered], [step for _, step in offered]))
        yield SeededProduct(ProductSpec(
            handle=_handle(name, index + 1), title=name, vendor=brand, category=spec.name, description=description,
            options=[OptionSpec(name=option_name, values=values) for option_name, values, _ in options],
            variants=_variants(variant_rng, index + 1, price, stock, options),
            modifiers=[ModifierSpec(name=add_on.name, price=add_on.price, group=add_on.group)
                       for add_on in spec.add_ons],
            rating=rating, review_count=review_count,
        ), created)


# --- customers and orders --------------------------------------------------------------------------------

def _ascii_login(first: str, last: str) -> str:
    text = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore").decode()
    return "".join(ch for ch in text.lower() if ch.isalnum() or ch == ".")


def generate_customers(seed: int, count: int) -> list[dict]:
    """``demo`` first, then ``alice.nguyen``-style logins; none with a password (see the module docs)."""
    rng = random.Random(f"{seed}:customers")
    rows = [demo_customer()]
    taken = {DEMO_LOGIN}
    while len(rows) < count:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        base = login = _ascii_login(first, last)
        suffix = 1
        while login in taken:
            suffix += 1
            login = f"{base}{suffix}"
        taken.add(login)
        rows.append({"login": login, "name": f"{first} {last}"})
    return rows


def _status_for_age(rng: random.Random, age_days: float) -> OrderStatus:
    """Recent orders are still moving; old ones have settled (mostly delivered)."""
    if age_days < 2:
        return rng.choice((OrderStatus.pending, OrderStatus.processing))
    if age_days < 7:
        return rng.choices((OrderStatus.processing, OrderStatus.shipped, OrderStatus.cancelled), (2, 5, 1))[0]
    if age_days < 20:
        return rng.choices((OrderStatus.shipped, OrderStatus.delivered, OrderStatus.cancelled), (3, 6, 1))[0]
    return rng.choices((OrderStatus.delivered, OrderStatus.returned, OrderStatus.cancelled), (16, 2, 2))[0]


def _last_update(rng: random.Random, created: datetime, status: OrderStatus, now: datetime) -> datetime:
    if status is OrderStatus.pending:
        return created
    return min(now, created + timedelta(days=rng.uniform(0.1, 9 if status is OrderStatus.returned else 5)))


@dataclass
class PastOrder:
    """One generated order: whose (position in the customer list), its row and its line rows (no ids yet:
    the database assigns them, which keeps its id sequences right on every backend)."""

    customer: int
    row: dict
    lines: list[dict]
    payment: int = 0  # which of the customer's payment methods paid it
    transactions: list[dict] = field(default_factory=list)  # refunds and charges after the purchase


def generate_orders(seed: int, customers: list[dict], pools: dict[str, CategoryPool],
                    now: datetime) -> list[PastOrder]:
    """Past orders; each customer mostly buys from 1-3 favourite categories, which is the signal a
    recommender can learn."""
    rng = random.Random(f"{seed}:orders")
    categories = sorted(pools)
    orders: list[PastOrder] = []
    for position, customer in enumerate(customers):
        first_of_customer = len(orders)
        favourites = rng.sample(categories, rng.randint(1, min(3, len(categories))))
        if customer["login"] == DEMO_LOGIN:
            plan = [(age + rng.uniform(0, 0.1), status) for age, status in DEMO_ORDER_PLAN]
        else:
            ages = sorted((rng.uniform(0, 365) for _ in range(rng.randint(0, 12))), reverse=True)
            plan = [(age, _status_for_age(rng, age)) for age in ages]
        for age_days, status in plan:
            created = now - timedelta(days=age_days)
            picked: dict[str, dict] = {}
            for _ in range(rng.choices((1, 2, 3, 4), (50, 30, 15, 5))[0]):
                category = rng.choice(favourites) if rng.random() < 0.85 else rng.choice(categories)
                product = pools[category].pick(rng)
                if product.id in picked:
                    continue
                variant = rng.choice(product.variants)
                picked[product.id] = {
                    "product_id": product.id, "name": product.name,
                    "unit_price": variant.price, "quantity": rng.choices((1, 2, 3), (80, 15, 5))[0],
                    "sku": variant.sku, "options": dict(variant.options), "modifiers": [],
                    "color": named_value(variant.options, COLOR_OPTIONS),
                    "size": named_value(variant.options, SIZE_OPTIONS),
                }
            if customer["login"] == DEMO_LOGIN and len(orders) - first_of_customer == DEMO_SHOES_ORDER:
                _add_running_shoes(picked, pools)
            shipped = status in (OrderStatus.shipped, OrderStatus.delivered, OrderStatus.returned)
            updated = _last_update(rng, created, status, now)
            orders.append(PastOrder(position, {
                "status": status,
                "total": _total(picked.values()),
                "tracking_number": f"1ZVS{rng.randrange(10**12):012d}" if shipped else None,
                "created_at": created, "updated_at": updated,
                "delivered_at": updated if status in (OrderStatus.delivered, OrderStatus.returned) else None,
            }, list(picked.values())))
    return orders


def _total(lines: Iterable[dict]) -> float:
    return round(sum(line["unit_price"] * line["quantity"] for line in lines), 2)


def _add_running_shoes(picked: dict[str, dict], pools: dict[str, CategoryPool]) -> None:
    """One pair of the first running shoe that comes in several sizes, in its first size (no random draw, so
    the rest of the history stays as it was)."""
    shoes = next((product for product in pools.get(SHOES_CATEGORY, CategoryPool()).products
                  if len(product.variants) > 1 and product.id not in picked), None)
    if shoes is not None:
        variant = shoes.variants[0]
        picked[shoes.id] = {"product_id": shoes.id, "name": shoes.name, "unit_price": variant.price, "quantity": 1,
                            "sku": variant.sku, "options": dict(variant.options), "modifiers": [],
                            "color": named_value(variant.options, COLOR_OPTIONS),
                            "size": named_value(variant.options, SIZE_OPTIONS)}


def generate_wallets(seed: int, customers: list[dict]) -> tuple[list[list[dict]], list[list[dict]]]:
    """Each customer's addresses and payment methods (labels and last digits only), the default first; the
    demo customer's are fixed (DEMO_ADDRESSES, DEMO_PAYMENT_METHODS)."""
    rng = random.Random(f"{seed}:wallets")
    addresses, methods = [], []
    for customer in customers:
        if customer["login"] == DEMO_LOGIN:
            addresses.append([{**address, "recipient": customer["name"]} for address in DEMO_ADDRESSES])
            methods.append([dict(method) for method in DEMO_PAYMENT_METHODS])
            continue
        city, region, postal = rng.choice(CITIES)
        own = [{"label": "home", "recipient": customer["name"], "line1": f"{rng.randint(1, 999)} {rng.choice(STREETS)}",
                "line2": None, "city": city, "region": region, "postal_code": f"{postal}{rng.randint(0, 99):02d}",
                "country": "US", "is_default": True}]
        if rng.random() < 0.4:
            own.append({**own[0], "label": "work", "line1": f"{rng.randint(1, 999)} {rng.choice(STREETS)}",
                        "line2": f"Suite {rng.randint(100, 999)}", "is_default": False})
        addresses.append(own)
        wallet = [{"kind": PaymentKind.card, "label": rng.choice(CARD_LABELS),
                   "last_digits": f"{rng.randrange(10**4):04d}", "balance": None, "is_default": True}]
        if rng.random() < 0.5:
            wallet.append({"kind": PaymentKind.paypal, "label": "PayPal", "last_digits": None, "balance": None,
                           "is_default": False})
        if rng.random() < 0.4:
            wallet.append({"kind": PaymentKind.gift_card, "label": "Gift card",
                           "last_digits": f"{rng.randrange(10**4):04d}",
                           "balance": float(rng.choice((10, 25, 50, 100, 200))), "is_default": False})
        methods.append(wallet)
    return addresses, methods


def add_after_purchase_history(seed: int, customers: list[dict], orders: list[PastOrder], wallets: list[list[dict]],
                               pools: dict[str, CategoryPool], now: datetime) -> None:
    """Other customers' orders in every after-purchase state: some recent deliveries returned or exchanged,
    some pending orders with their items changed; and who paid how. A stream of its own, so the orders drawn
    before stay as they were; the demo customer's orders stay as planned."""
    rng = random.Random(f"{seed}:after-purchase")
    products = {product.id: product for pool in pools.values() for product in pool.products}
    for order in orders:
        paid_otherwise = rng.randrange(len(wallets[order.customer])) if rng.random() < 0.3 else 0
        row = order.row
        if customers[order.customer]["login"] == DEMO_LOGIN:
            continue  # paid with the Visa: the gift cards' balances are for trying the flows
        order.payment = paid_otherwise
        roll = rng.random()
        recent = row["delivered_at"] is not None and now - row["delivered_at"] <= timedelta(days=30)
        if row["status"] is OrderStatus.delivered and recent and roll < 0.3:
            row["status"] = OrderStatus.return_requested
            for line in order.lines:
                line["returned_quantity"] = line["quantity"]
            order.transactions.append({"kind": TransactionKind.refund, "reason": "return", "amount": row["total"],
                                       "state": RefundState.awaiting_items, "due_by": None,
                                       "created_at": row["updated_at"]})
        elif row["status"] is OrderStatus.delivered and recent and roll < 0.5:
            line = order.lines[0]
            others = [variant for variant in products[line["product_id"]].variants
                      if variant.sku != line["sku"] and variant.price == line["unit_price"]]
            if others:
                swap = rng.choice(others)
                line["returned_quantity"] = line["quantity"]
                line["exchange"] = {"sku": swap.sku, "options": dict(swap.options), "unit_price": swap.price,
                                    "quantity": line["quantity"]}
                row["status"] = OrderStatus.exchange_requested
        elif row["status"] is OrderStatus.pending and roll < 0.5:
            row["status"] = OrderStatus.pending_items_modified
    others = [order for order in orders if customers[order.customer]["login"] != DEMO_LOGIN]
    if others and not any(order.row["status"] is OrderStatus.pending_items_modified for order in others):
        # Few orders are pending at any time: the newest other order stands for the state, so it always exists.
        newest = max(others, key=lambda order: order.row["created_at"])
        newest.row.update(status=OrderStatus.pending_items_modified, tracking_number=None, delivered_at=None,
                          updated_at=newest.row["created_at"])
        newest.transactions.clear()
        for line in newest.lines:
            line.pop("returned_quantity", None)
            line.pop("exchange", None)


# --- putting it together ---------------------------------------------------------------------------------

def _insert_products(db: Database, options: SeedOptions, now: datetime,
                     progress: Progress | None) -> dict[str, CategoryPool]:
    """Load the catalog through the catalog loader, a batch of products per call, keeping a small
    per-category pool for order generation."""
    pools: dict[str, CategoryPool] = {spec.name: CategoryPool() for spec in CATEGORIES}
    batch: list[SeededProduct] = []
    done = 0
    report_every = max(options.batch_size, options.products // 10)

    def flush() -> None:
        nonlocal done
        # One transaction per batch: keeps the WAL small on huge catalogs.
        loaded = load_catalog(db, CatalogFile(products=[seeded.spec for seeded in batch]), now=now)
        with db.engine.begin() as connection:  # the loader stamps "now"; the seed spreads creation dates
            connection.execute(update(Product.__table__).where(Product.__table__.c.id == bindparam("b_id"))
                               .values(created_at=bindparam("created"), updated_at=bindparam("created")),
                               [{"b_id": product_id, "created": seeded.created_at}
                                for product_id, seeded in zip(loaded.product_ids, batch, strict=True)])
        for product_id, seeded in zip(loaded.product_ids, batch, strict=True):
            pool = pools[seeded.spec.category]
            if len(pool.products) < options.order_pool:
                pool.add(PoolProduct(product_id, seeded.spec.title, tuple(seeded.spec.variants)),
                         popularity=math.sqrt(seeded.spec.review_count + 1))
        done += len(batch)
        batch.clear()
        if progress and (done % report_every < options.batch_size or done == options.products):
            progress(f"  products: {done:,}/{options.products:,}")

    for seeded in generate_products(options.seed, options.products, now):
        batch.append(seeded)
        if len(batch) >= options.batch_size:
            flush()
    if batch:
        flush()
    return {name: pool for name, pool in pools.items() if pool.products}


def _insert_returning_ids(connection: Connection, model: type[User | Order | PaymentMethod],
                          rows: list[dict]) -> list[int]:
    """Insert ``rows`` and return their new ids in row order (one batched INSERT .. RETURNING)."""
    if not rows:
        return []
    statement = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(connection.execute(statement, rows).scalars())


def seed_database(db: Database, products: int = 2000, customers: int = 200, seed: int = 7, *,
                  reset: bool = False, now: datetime | None = None, batch_size: int = 20_000,
                  progress: Progress | None = None, owner_password: str | None = None) -> SeedSummary:
    """Fill ``db`` with a deterministic catalog, customers, their order history and the owner account.

    Refuses a database that already has products unless ``reset`` (which drops and recreates every shop
    table). Rebuilds the search index afterwards. Without ``owner_password`` the owner gets a random one,
    returned in the summary.
    """
    if products < 1 or customers < 1:
        raise SeedError("need at least one product and one customer (the demo login)")
    options = SeedOptions(products=products, customers=customers, seed=seed, batch_size=batch_size)
    now = now or datetime.now(UTC)
    summary = SeedSummary()
    owner = owner_account(summary, owner_password)  # before any write: a bad password changes nothing
    if reset:
        db.reset_schema()
    elif not db.is_empty():
        raise SeedError("the database already has products; use --reset to replace them")
    db.create_schema()

    started = time.perf_counter()
    # Building indexes once over the loaded table beats updating them row by row; the search index
    # likewise gets one rebuild at the end instead of a trigger per inserted row.
    drop_search_index(db.engine)
    # The handle index stays: the loader looks each batch's handles up.
    product_indexes = sorted((index for index in Product.__table__.indexes if not index.unique),
                             key=lambda index: index.name or "")
    with db.engine.begin() as connection:
        for index in product_indexes:
            index.drop(connection)
    pools = _insert_products(db, options, now, progress)
    with db.engine.begin() as connection:
        for index in product_indexes:
            index.create(connection)
    summary.products = products
    summary.seconds["products"] = time.perf_counter() - started

    started = time.perf_counter()
    ensure_search_index(db.engine, rebuild=True)
    summary.seconds["index"] = time.perf_counter() - started
    if progress:
        progress(f"  search index built in {summary.seconds['index']:.1f} s")

    started = time.perf_counter()
    customer_rows = generate_customers(seed, customers)
    orders = generate_orders(seed, customer_rows, pools, now)
    addresses, wallets = generate_wallets(seed, customer_rows)
    add_after_purchase_history(seed, customer_rows, orders, wallets, pools, now)
    with db.engine.begin() as connection:
        user_ids = _insert_returning_ids(connection, User, customer_rows)
        connection.execute(insert(Address), [{**address, "user_id": user_ids[position]}
                                             for position, own in enumerate(addresses) for address in own])
        method_ids = _insert_returning_ids(connection, PaymentMethod,
                                           [{**method, "user_id": user_ids[position]}
                                            for position, wallet in enumerate(wallets) for method in wallet])
        first_method = list(accumulate((len(wallet) for wallet in wallets), initial=0))
        order_ids = _insert_returning_ids(connection, Order, [
            {**order.row, "user_id": user_ids[order.customer],
             "payment_method_id": method_ids[first_method[order.customer] + order.payment],
             "shipping_address": _shipped_to(addresses[order.customer])} for order in orders])
        skus = sorted({line["sku"] for order in orders for line in order.lines}
                      | {line["exchange"]["sku"] for order in orders for line in order.lines if line.get("exchange")})
        variant_ids = {sku: variant_id for start in range(0, len(skus), 500)
                       for sku, variant_id in connection.execute(
                           select(Variant.sku, Variant.id).where(Variant.sku.in_(skus[start:start + 500])))}
        connection.execute(insert(OrderLine), [
            {**line, "order_id": order_id, "variant_id": variant_ids[line["sku"]], "returned_quantity": line.get(
                "returned_quantity", 0), "exchange": _exchange_row(line.get("exchange"), variant_ids)}
            for order_id, order in zip(order_ids, orders, strict=True) for line in order.lines])
        transactions = [{**transaction, "order_id": order_id,
                         "payment_method_id": method_ids[first_method[order.customer] + order.payment]}
                        for order_id, order in zip(order_ids, orders, strict=True)
                        for transaction in order.transactions]
        if transactions:
            connection.execute(insert(OrderTransaction), transactions)
        connection.execute(insert(User), [owner])
    summary.customers, summary.orders = len(customer_rows), len(orders)
    summary.seconds["customers"] = time.perf_counter() - started
    return summary


def _shipped_to(addresses: list[dict]) -> dict:
    default = next(address for address in addresses if address["is_default"])
    return {name: default.get(name) for name in ADDRESS_FIELDS}


def _exchange_row(exchange: dict | None, variant_ids: dict[str, int]) -> dict | None:
    return None if exchange is None else {"variant_id": variant_ids[exchange["sku"]], **exchange}


def demo_customer() -> dict:
    """The ``demo`` customer's user row (no password: see the module docs)."""
    return {"login": DEMO_LOGIN, "name": DEMO_NAME}


def owner_account(summary: SeedSummary, owner_password: str | None) -> dict:
    """The owner's user row; without ``owner_password`` a random one, kept in ``summary`` to be shown once.
    Raises :class:`SeedError` for a password the shop refuses."""
    if owner_password is None:
        owner_password = summary.owner_password = secrets.token_urlsafe(12)
    try:
        return {"login": OWNER_LOGIN, "name": OWNER_NAME, "role": UserRole.owner,
                "password_hash": hash_password(owner_password)}
    except ValueError as error:
        raise SeedError(f"the owner's password (OWNER_PASSWORD): {error}") from error


def add_sign_in_accounts(db: Database, owner_password: str | None = None) -> SeedSummary:
    """The demo customer and the owner account, for a shop whose catalog was imported and has no users yet
    (``voiceshop serve`` on first start); the summary says the owner's password when it was generated."""
    summary = SeedSummary()
    owner = owner_account(summary, owner_password)
    with db.engine.begin() as connection:
        for row in (demo_customer(), owner):  # one insert each: an executemany takes its columns from row one
            connection.execute(insert(User), row)
    summary.customers = 1
    return summary


def owner_notice(summary: SeedSummary) -> str:
    """What the seeding CLIs print about the owner account; a generated password is shown only here."""
    if summary.owner_password is None:
        return f"Owner account '{OWNER_LOGIN}': the password from OWNER_PASSWORD."
    return (f"Owner account '{OWNER_LOGIN}', password {summary.owner_password} (shown once; set OWNER_PASSWORD "
            f"to choose it, or `voiceshop users set-password {OWNER_LOGIN}`).")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m shop.seed``: seed the shop database and print what was made and how long it took."""
    parser = argparse.ArgumentParser(prog="python -m shop.seed", description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=2000, help="catalog size (default 2000)")
    parser.add_argument("--customers", type=int, default=200, help="customers incl. 'demo' (default 200)")
    parser.add_argument("--seed", type=int, default=7, help="random seed; same seed, same data (default 7)")
    parser.add_argument("--database-url", default=None, help="SQLAlchemy URL (default: var/shop.db)")
    parser.add_argument("--reset", action="store_true", help="drop and recreate the shop tables first")
    parser.add_argument("--owner-password", default=None, help="the seeded owner's password (default: random, printed once)")
    args = parser.parse_args(argv)

    db = Database(args.database_url)
    print(f"seeding {db.url}: {args.products:,} products, {args.customers:,} customers, seed {args.seed}", flush=True)
    started = time.perf_counter()
    try:
        summary = seed_database(db, args.products, args.customers, args.seed, reset=args.reset,
                                progress=lambda line: print(line, flush=True),
                                owner_password=args.owner_password)
    except SeedError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        db.engine.dispose()
    phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in summary.seconds.items())
    print(f"done in {time.perf_counter() - started:.1f} s ({phases}): {summary.products:,} products, "
          f"{summary.customers:,} customers, {summary.orders:,} orders")
    print(owner_notice(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
