"""The reference shop's HTTP API (contract: docs/shop-api.md) as a FastAPI app over a :class:`Database`.

Paths carry no ``/shop`` prefix: ``app.main`` mounts this app there. Endpoints are plain ``def`` (FastAPI
runs them in its thread pool) with one SQLAlchemy session per request; writes commit explicitly before
the response is built, so a client never sees a success that was not stored.

Checkout and cancel run exactly once per customer decision: each takes a lock before it reads what decides
its outcome (SQLite: the request's ``BEGIN IMMEDIATE``; Postgres: ``SELECT ... FOR UPDATE`` on the
customer's row, which cart writes take too), may be repeated safely with an ``Idempotency-Key``, and with
``expected_fingerprint`` refuses to act on a cart or order that changed since the customer confirmed it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, StringConstraints
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from shop import schemas, strict_json
from shop.auth import (DEMO_LOGIN, AuthOptions, SignInRefused, hash_password, live_session, needs_rehash,
                       password_matches, start_session)
from shop.catalog.vocabulary import catalog_version, catalog_vocabulary
from shop.db import Database, begin_write
from shop.catalog.load import COLOR_OPTIONS, SIZE_OPTIONS, named_value
from shop.models import (Address, CartLine, IdempotencyKey, KeyedOperation, LoginSession, Modifier, Order, OrderLine,
                         OrderStatus, PaymentKind, PaymentMethod, Product, User, UserRole, Variant, utcnow)
from shop.policy import Policy, default_policy
from shop.search import CatalogSearch, SortOrder, ensure_search_index, parse_query
from shop.search.query import MAX_EXCLUSIONS
from shop.variants import OptionsProblem, resolve_modifiers, resolve_variant

if TYPE_CHECKING:
    from shop.helpcenter.store import FaqStore

MAX_LINE_QUANTITY = 99
SchemaT = TypeVar("SchemaT", bound=BaseModel)


# --- dependencies ----------------------------------------------------------------------------------------

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; closing it rolls back anything an endpoint did not commit.

    A request that may write starts as a write transaction (:func:`shop.db.begin_write`) before its first
    read, the sign-in check included, so on SQLite what it reads cannot change before it writes.
    """
    database: Database = request.app.state.db
    with database.sessions() as session:
        if request.method not in READ_ONLY_METHODS:
            begin_write(session)
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
_bearer = HTTPBearer(auto_error=False)  # we answer 401 ourselves, with a message


def current_session(session: SessionDep,
                    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> LoginSession:
    """The live session whose bearer token came with the request (401 when missing, unknown, expired or revoked)."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise HTTPException(401, "Sign in first: send 'Authorization: Bearer <token>' (POST /login gives one)",
                            headers=challenge)
    signed_in = live_session(session, credentials.credentials)
    if signed_in is None:
        raise HTTPException(401, "Unknown, expired or signed-out token: sign in again", headers=challenge)
    return signed_in


SignedInDep = Annotated[LoginSession, Depends(current_session)]


def current_user(signed_in: SignedInDep) -> User:
    """The customer (or owner) signed in with the request's token."""
    return signed_in.user


UserDep = Annotated[User, Depends(current_user)]


def get_search(request: Request) -> CatalogSearch:
    """The shop's product search (lexical, or hybrid once the server attached a dense index)."""
    return request.app.state.search


SearchDep = Annotated[CatalogSearch, Depends(get_search)]


# --- helpers ---------------------------------------------------------------------------------------------

def to_schema(schema: type[SchemaT], product: Product, **extra: Any) -> SchemaT:
    """A product response model filled from the ORM row, plus fields the row lacks (match, reason)."""
    values = {name: getattr(product, name) for name in schema.model_fields
              if name not in extra and hasattr(product, name)}
    return schema(**values, **extra)


def find_product(session: Session, product_id: str) -> Product | None:
    """Look a product up by id, forgiving stray spaces and case ("P12 " finds "p12")."""
    wanted = product_id.strip()
    return session.get(Product, wanted) or session.get(Product, wanted.lower())


def product_or_404(session: Session, product_id: str) -> Product:
    """A product a customer may see and buy: a draft (unpublished) is as missing as one that never was."""
    product = find_product(session, product_id)
    if product is None or not product.published:
        raise HTTPException(404, f"No product with id '{product_id.strip()}'")
    return product


def cart_lines(session: Session, user: User, product_id: str | None = None, color: str | None = None,
               size: str | None = None, variant_id: int | None = None) -> Sequence[CartLine]:
    """The customer's cart lines, oldest first, optionally for one product (and variant)."""
    statement = select(CartLine).where(CartLine.user_id == user.id)
    if product_id is not None:
        statement = statement.where(CartLine.product_id == product_id)
    if color is not None:
        statement = statement.where(func.lower(CartLine.color) == color.strip().lower())
    if size is not None:
        statement = statement.where(func.lower(CartLine.size) == size.strip().lower())
    if variant_id is not None:
        statement = statement.where(CartLine.variant_id == variant_id)
    return session.execute(statement.order_by(CartLine.added_at, CartLine.id)).scalars().all()


def line_modifiers(line: CartLine) -> list[Modifier]:
    """The line's modifiers that the product still offers (a re-import may have dropped one)."""
    offered = {modifier.id: modifier for modifier in line.product.modifiers}
    return [offered[modifier_id] for modifier_id in line.modifier_ids if modifier_id in offered]


def line_unit_price(line: CartLine) -> float:
    return round(line.variant.price + sum(modifier.price for modifier in line_modifiers(line)), 2)


def _line_modifier_views(modifiers: Sequence[Modifier]) -> list[schemas.LineModifier]:
    return [schemas.LineModifier(name=modifier.name, price=modifier.price, group=modifier.group)
            for modifier in modifiers]


def cart_view(session: Session, user: User) -> schemas.Cart:
    lines = []
    for line in cart_lines(session, user):
        unit_price = line_unit_price(line)
        lines.append(schemas.CartLine(
            product_id=line.product_id, name=line.product.name, unit_price=unit_price, quantity=line.quantity,
            color=line.color, size=line.size, variant_id=line.variant_id, sku=line.variant.sku,
            options=dict(line.variant.options), modifiers=_line_modifier_views(line_modifiers(line)),
            line_total=round(unit_price * line.quantity, 2), stock=line.variant.stock))
    return schemas.Cart(lines=lines, item_count=sum(line.quantity for line in lines),
                        subtotal=round(sum(line.line_total for line in lines), 2))


def variant_label(product: Product, variant: Variant) -> str:
    """"Trail Shoe" or "Trail Shoe (Black, 10)": what the customer hears for one variant."""
    values = ", ".join(variant.options.values())
    return f"{product.name} ({values})" if values else product.name


def check_stock(product: Product, variant: Variant, wanted: int, already_in_cart: int) -> None:
    """409 when the cart would hold more units of ``variant`` than the shop has."""
    if already_in_cart + wanted <= variant.stock:
        return
    label = variant_label(product, variant)
    if variant.stock == 0:
        raise HTTPException(409, f"{label} is out of stock")
    held = f"; {already_in_cart} already in your cart" if already_in_cart else ""
    raise HTTPException(409, f"Only {variant.stock} of {label} in stock{held}")


def parse_order_id(raw: str) -> int | None:
    """"1042" or "#1042" -> 1042; anything else is no order id (answered like an unknown one)."""
    text = raw.strip().removeprefix("#")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def order_or_404(session: Session, user: User, raw_id: str, *, lock: bool = False) -> Order:
    """The customer's own order; another customer's id gets the same 404 as an unknown one.

    ``lock``: hold the order's row until the transaction ends (Postgres; SQLite's write lock covers it).
    """
    order_id = parse_order_id(raw_id)
    order = None
    if order_id is not None:
        statement = select(Order).where(Order.id == order_id, Order.user_id == user.id)
        if lock:
            statement = statement.with_for_update().execution_options(populate_existing=True)
        order = session.execute(statement).scalar_one_or_none()
    if order is None:
        raise HTTPException(404, f"You have no order '{raw_id.strip()}'")
    return order


def lock_customer(session: Session, user: User) -> None:
    """Serialise this customer's cart changes, checkouts and cancels (cart and keys belong to them alone).

    Postgres: a row lock held to the end of the transaction; the next request's reads wait for it and
    then see what this one committed. SQLite renders no FOR UPDATE: the request's ``BEGIN IMMEDIATE``
    (see :func:`get_session`) already holds the database's only write lock.
    """
    session.execute(select(User.id).where(User.id == user.id).with_for_update())


# --- routes: auth and catalog ----------------------------------------------------------------------------

router = APIRouter()


def _refusal(error: SignInRefused) -> HTTPException:
    return HTTPException(error.status, error.detail, headers=error.headers)


def _user_by_login(session: Session, login: str) -> User | None:
    return session.execute(select(User).where(func.lower(User.login) == login.lower())).scalar_one_or_none()


def _authenticate(session: Session, body: schemas.LoginRequest, options: AuthOptions) -> User:
    """The user ``body`` proves to be; raises :class:`SignInRefused` (401) otherwise."""
    user = _user_by_login(session, body.login)
    if body.password is None:
        if body.login.lower() != DEMO_LOGIN:
            raise SignInRefused(401, "Sign in with your login and password")
        if not options.demo_login:
            raise SignInRefused(401, "The demo sign-in is off (DEMO_LOGIN=0): sign in with a password")
        if user is None:
            raise SignInRefused(401, "This shop has no demo customer: seed it with `voiceshop seed`")
        return user
    if not password_matches(user, body.password):
        raise SignInRefused(401, "Wrong login or password")
    return user


@router.post("/login", response_model=schemas.LoginResponse)
def login(body: schemas.LoginRequest, request: Request) -> schemas.LoginResponse:
    """Sign in with login and password (or as ``demo`` without one, while the demo login is on).

    The password check runs outside the write transaction: argon2 is slow on purpose and must not hold
    SQLite's only write lock. Failures count towards the per-address-and-login limit (429 past it).
    """
    options: AuthOptions = request.app.state.auth
    database: Database = request.app.state.db
    client = request.client.host if request.client else "unknown"
    try:
        options.limiter.check(client, body.login)
        with database.sessions() as session:
            try:
                user_id = _authenticate(session, body, options).id
            except SignInRefused:
                options.limiter.failed(client, body.login)
                raise
    except SignInRefused as error:
        raise _refusal(error) from error
    with database.sessions() as session:
        begin_write(session)
        user = session.get(User, user_id)
        if body.password is not None and needs_rehash(user):
            user.password_hash = hash_password(body.password)
        token, started = start_session(session, user, options.session_ttl)
        session.commit()
        return schemas.LoginResponse(token=token, user=schemas.User.model_validate(user), expires_at=started.expires_at)


@router.post("/logout")
def logout(signed_in: SignedInDep, session: SessionDep) -> dict[str, str]:
    """End the session whose token came with the request; the token is refused from now on."""
    signed_in.revoked_at = utcnow()
    session.commit()
    return {"status": "signed out"}


@router.post("/session/jwt", response_model=schemas.LoginResponse)
def shop_token_session(body: schemas.ShopTokenRequest, request: Request, session: SessionDep) -> schemas.LoginResponse:
    """Exchange a JWT signed by the shop that owns the accounts for a session of the customer it names.

    ``sub`` is the customer's login here; a login seen for the first time becomes a new customer (named by
    the ``name`` claim) who can sign in only this way. Owners never sign in with a shop token.
    """
    options: AuthOptions = request.app.state.auth
    if options.jwt is None:
        raise HTTPException(404, "Sign-in with a shop token is off: the shop has no SHOP_JWT_KEY")
    try:
        named = options.jwt.customer(body.token)
    except SignInRefused as error:
        raise _refusal(error) from error
    user = _user_by_login(session, named.login)
    if user is None:
        user = User(login=named.login, name=named.name, role=UserRole.customer)
        session.add(user)
    elif user.role is not UserRole.customer:
        raise HTTPException(403, "A shop token signs in customers only")
    try:
        session.flush()
        token, started = start_session(session, user, options.session_ttl)
        session.commit()
    except IntegrityError as error:  # the same new customer signed in by a simultaneous request
        session.rollback()
        raise HTTPException(409, "You were signed in at the same time elsewhere; please try again") from error
    return schemas.LoginResponse(token=token, user=schemas.User.model_validate(user), expires_at=started.expires_at)


@router.get("/me", response_model=schemas.User)
def me(user: UserDep) -> schemas.User:
    return schemas.User.model_validate(user)


FilterText = Annotated[str | None, Query(max_length=80)]
Price = Annotated[float | None, Query(ge=0, le=1_000_000_000, allow_inf_nan=False)]


@router.get("/products", response_model=schemas.SearchResult)
def list_products(
    session: SessionDep,
    search: SearchDep,
    q: Annotated[str | None, Query(max_length=500)] = None,
    category: FilterText = None,
    brand: FilterText = None,
    color: FilterText = None,
    size: FilterText = None,
    min_price: Price = None,
    max_price: Price = None,
    in_stock: bool | None = None,
    sort: SortOrder = SortOrder.relevance,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    exclude: Annotated[list[Annotated[str, StringConstraints(min_length=1, max_length=80)]] | None,
                       Query(max_length=MAX_EXCLUSIONS, description="words or option values ruled out")] = None,
    said: Annotated[str | None, Query(max_length=500, description="the customer's own words: filters they did "
                                                                 "not say are searched as words")] = None,
) -> schemas.SearchResult:
    if min_price is not None and max_price is not None and min_price > max_price:
        raise HTTPException(422, f"min_price ({min_price:g}) is above max_price ({max_price:g})")
    query = parse_query(q, category=category, brand=brand, color=color, size=size, min_price=min_price,
                        max_price=max_price, in_stock=in_stock, sort=sort, limit=limit, offset=offset,
                        exclude=exclude or (), said=said)
    outcome = search.search(session, query)
    return schemas.SearchResult(
        total=outcome.total,
        items=[to_schema(schemas.ProductSummary, product, match=why) for product, why in outcome.hits],
        applied=outcome.applied, relaxed=outcome.relaxed, ignored=outcome.ignored, similar_only=outcome.similar_only,
    )


@router.get("/products/{product_id}", response_model=schemas.Product)
def get_product(product_id: str, session: SessionDep) -> schemas.Product:
    return to_schema(schemas.Product, product_or_404(session, product_id))


def _counts(session: Session, column: Any) -> list[schemas.NameCount]:
    rows = session.execute(select(column, func.count()).group_by(column).order_by(column)).all()
    return [schemas.NameCount(name=name, count=count) for name, count in rows]


@router.get("/categories", response_model=list[schemas.NameCount])
def categories(session: SessionDep) -> list[schemas.NameCount]:
    return _counts(session, Product.category)


@router.get("/brands", response_model=list[schemas.NameCount])
def brands(session: SessionDep) -> list[schemas.NameCount]:
    return _counts(session, Product.brand)


@router.get("/catalog/vocabulary", response_model=schemas.CatalogVocabulary,
            responses={304: {"description": "the catalog has not changed since the ETag given in If-None-Match"}})
def vocabulary(session: SessionDep, response: Response,
               if_none_match: Annotated[str | None, Header(max_length=200)] = None) -> Any:
    """The catalog's words (categories, brands, option names and values, add-ons) for speech recognition and
    understanding; ``ETag`` changes with the catalog, so a client re-reads only after a change."""
    etag = f'"{catalog_version(session)}"'
    if if_none_match is not None and etag in {tag.strip() for tag in if_none_match.split(",")}:
        return Response(status_code=304, headers={"ETag": etag})
    response.headers["ETag"] = etag
    return catalog_vocabulary(session)


# --- routes: cart ----------------------------------------------------------------------------------------

VariantText = Annotated[str | None, Query(max_length=40, description="pick one variant of the product")]


@router.get("/cart", response_model=schemas.Cart)
def view_cart(session: SessionDep, user: UserDep) -> schemas.Cart:
    return cart_view(session, user)


@router.post("/cart/items", response_model=schemas.Cart)
def add_to_cart(body: schemas.AddToCart, session: SessionDep, user: UserDep) -> schemas.Cart:
    lock_customer(session, user)  # a checkout running now must not empty the cart under this change
    product = product_or_404(session, body.product_id)
    variant = resolve_variant(product, variant_id=body.variant_id, options=body.options, color=body.color,
                              size=body.size)
    modifiers = resolve_modifiers(product, body.modifiers)
    modifier_ids = sorted(modifier.id for modifier in modifiers)
    modifier_key = ",".join(map(str, modifier_ids))
    lines = cart_lines(session, user, product.id, variant_id=variant.id)
    check_stock(product, variant, body.quantity, sum(line.quantity for line in lines))
    line = next((line for line in lines if line.modifier_key == modifier_key), None)
    if line is None:
        session.add(CartLine(user_id=user.id, product_id=product.id, variant_id=variant.id, quantity=body.quantity,
                             color=named_value(variant.options, COLOR_OPTIONS),
                             size=named_value(variant.options, SIZE_OPTIONS),
                             modifier_ids=modifier_ids, modifier_key=modifier_key))
    elif line.quantity + body.quantity > MAX_LINE_QUANTITY:
        raise HTTPException(409, f"A cart line holds at most {MAX_LINE_QUANTITY}; you have {line.quantity}")
    else:
        line.quantity += body.quantity
    try:
        session.commit()
    except IntegrityError as error:  # the same line added by a simultaneous request
        session.rollback()
        raise HTTPException(409, "Your cart changed at the same time; please try again") from error
    return cart_view(session, user)


def _cart_product_id(session: Session, product_id: str) -> str:
    """The id cart lines store for what the client sent ("P12 " -> "p12")."""
    product = find_product(session, product_id)
    return product.id if product is not None else product_id.strip()


def _describe_line(line: CartLine) -> str:
    values = list(line.variant.options.values()) + [modifier.name for modifier in line_modifiers(line)]
    return "/".join(values) or "plain"


def _one_line(session: Session, user: User, product_id: str, color: str | None, size: str | None,
              variant_id: int | None) -> CartLine:
    """The single cart line a PATCH addresses; several variants need color/size/variant_id to say which."""
    lines = cart_lines(session, user, _cart_product_id(session, product_id), color, size, variant_id)
    if not lines:
        raise HTTPException(404, f"'{product_id.strip()}' is not in your cart")
    if len(lines) > 1:
        variants = ", ".join(_describe_line(line) for line in lines)
        raise HTTPException(409, f"{lines[0].product.name} is in your cart in several variants ({variants}); "
                                 "give color and size (or variant_id) to say which")
    return lines[0]


VariantIdQuery = Annotated[int | None, Query(ge=1, le=2**62, description="pick one variant of the product")]


@router.patch("/cart/items/{product_id}", response_model=schemas.Cart)
def update_cart_item(product_id: str, body: schemas.UpdateQuantity, session: SessionDep, user: UserDep,
                     color: VariantText = None, size: VariantText = None,
                     variant_id: VariantIdQuery = None) -> schemas.Cart:
    lock_customer(session, user)
    line = _one_line(session, user, product_id, color, size, variant_id)
    if body.quantity == 0:
        session.delete(line)
        session.commit()
        return cart_view(session, user)
    quantity = line.quantity if body.quantity is None else body.quantity
    variant, modifiers = line.variant, line_modifiers(line)
    if body.options is not None:  # the line's other option values stay: "make it large" keeps the colour
        variant = resolve_variant(line.product, options={**line.variant.options, **body.options})
    if body.modifiers is not None:
        chosen = resolve_modifiers(line.product, body.modifiers)
        replaced = {modifier.group for modifier in chosen if modifier.group is not None}
        kept = [modifier for modifier in modifiers if modifier.group is None or modifier.group not in replaced]
        modifiers = sorted({modifier.id: modifier for modifier in [*kept, *chosen]}.values(),
                           key=lambda modifier: modifier.position)
    modifier_ids = sorted(modifier.id for modifier in modifiers)
    modifier_key = ",".join(map(str, modifier_ids))
    same_variant = [other for other in cart_lines(session, user, line.product_id, variant_id=variant.id)
                    if other.id != line.id]
    check_stock(line.product, variant, quantity, sum(other.quantity for other in same_variant))
    twin = next((other for other in same_variant if other.modifier_key == modifier_key), None)
    if twin is not None:  # the changed line is now another line's choice: one line, quantities added
        if twin.quantity + quantity > MAX_LINE_QUANTITY:
            raise HTTPException(409, f"A cart line holds at most {MAX_LINE_QUANTITY}; you have {twin.quantity}")
        twin.quantity += quantity
        session.delete(line)
    else:
        line.quantity, line.variant_id, line.variant = quantity, variant.id, variant
        line.color = named_value(variant.options, COLOR_OPTIONS)
        line.size = named_value(variant.options, SIZE_OPTIONS)
        line.modifier_ids, line.modifier_key = modifier_ids, modifier_key
    session.commit()
    return cart_view(session, user)


@router.delete("/cart/items/{product_id}", response_model=schemas.Cart)
def remove_from_cart(product_id: str, session: SessionDep, user: UserDep,
                     color: VariantText = None, size: VariantText = None,
                     variant_id: VariantIdQuery = None) -> schemas.Cart:
    lock_customer(session, user)
    lines = cart_lines(session, user, _cart_product_id(session, product_id), color, size, variant_id)
    if not lines:
        raise HTTPException(404, f"'{product_id.strip()}' is not in your cart")
    for line in lines:
        session.delete(line)
    session.commit()
    return cart_view(session, user)


# --- routes: orders --------------------------------------------------------------------------------------

IdempotencyKeyHeader = Annotated[str | None, Header(
    min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$",
    description="any new value per customer decision; a repeat with the same key answers with the same order",
)]
REPLAYED_HEADER = "Idempotent-Replayed"
OPERATION_NOUNS = {KeyedOperation.checkout: "a checkout", KeyedOperation.cancel: "a cancel",
                   KeyedOperation.return_items: "a return", KeyedOperation.exchange_items: "an exchange",
                   KeyedOperation.modify_items: "an item change", KeyedOperation.change_address: "an address change",
                   KeyedOperation.change_payment: "a payment change"}


def replayed_order(session: Session, user: User, key: str | None, operation: KeyedOperation,
                   order_id: int | None = None) -> Order | None:
    """The order an earlier request with this key produced, if the key was spent on this same operation.

    ``None`` for a new key; 422 for a key already spent on something else (another operation, or a
    cancel of another order), since acting on it or replaying it would both answer the wrong question.
    """
    if key is None:
        return None
    spent = session.execute(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user.id, IdempotencyKey.key == key)
    ).scalar_one_or_none()
    if spent is None:
        return None
    if spent.operation != operation or (order_id is not None and spent.order_id != order_id):
        raise HTTPException(422, f"Idempotency-Key '{key}' was already used for {OPERATION_NOUNS[spent.operation]} "
                                 f"(order {spent.order_id}); send a new key for this "
                                 f"{OPERATION_NOUNS[operation].split(' ', 1)[1]}")
    return session.get(Order, spent.order_id)


def replay(response: Response, order: Order) -> Order:
    """Answer a repeated request with the order the first one produced: 200, marked as a replay."""
    response.status_code = 200
    response.headers[REPLAYED_HEADER] = "true"
    return order


def spend_key(session: Session, user: User, key: str | None, operation: KeyedOperation, order: Order) -> None:
    if key is not None:
        session.add(IdempotencyKey(user_id=user.id, key=key, operation=operation, order=order))


@router.post("/checkout", response_model=schemas.Order, status_code=201)
def checkout(session: SessionDep, user: UserDep, response: Response,
             body: schemas.ExpectedFingerprint | None = None,
             idempotency_key: IdempotencyKeyHeader = None) -> Order:
    """Turn the cart into a pending order in one transaction: reserve stock, record lines, empty the cart."""
    lock_customer(session, user)
    earlier = replayed_order(session, user, idempotency_key, KeyedOperation.checkout)
    if earlier is not None:
        return replay(response, earlier)
    lines = cart_lines(session, user)
    if not lines:
        raise HTTPException(409, "Your cart is empty")
    expected = body.expected_fingerprint if body else None
    if expected is not None:
        cart = cart_view(session, user)
        if cart.fingerprint != expected:
            raise HTTPException(409, {"code": "cart_changed", "message": "Your cart changed since you confirmed it",
                                      "cart": cart.model_dump(mode="json")})
    needed: dict[int, int] = defaultdict(int)
    for line in lines:
        needed[line.variant_id] += line.quantity
    short: list[int] = []
    for variant_id in sorted(needed):  # one fixed order: two checkouts never wait on each other in a cycle
        # Check and decrement in one statement, so concurrent checkouts cannot both take the last unit.
        result = session.execute(
            update(Variant).where(Variant.id == variant_id, Variant.available.is_(True),
                                  Variant.stock >= needed[variant_id])
            .values(stock=Variant.stock - needed[variant_id]).execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            short.append(variant_id)
    if short:
        session.rollback()
        variants = {v.id: v for v in session.execute(select(Variant).where(Variant.id.in_(short))).scalars()}
        details = ", ".join(
            f"{variant_label(variants[vid].product, variants[vid])} "
            f"({variants[vid].stock if variants[vid].available else 'not for sale, 0'} left, {needed[vid]} in your cart)"
            for vid in short)
        raise HTTPException(409, f"Not enough stock for: {details}. Nothing was ordered.")
    refresh_product_stock(session, (line.product_id for line in lines))

    order_lines = []
    for line in lines:
        modifiers = line_modifiers(line)
        order_lines.append(OrderLine(
            product_id=line.product_id, name=line.product.name, unit_price=line_unit_price(line),
            quantity=line.quantity, color=line.color, size=line.size, variant_id=line.variant_id,
            sku=line.variant.sku, options=dict(line.variant.options),
            modifiers=[modifier.model_dump() for modifier in _line_modifier_views(modifiers)]))
    order = Order(
        user_id=user.id, status=OrderStatus.pending, tracking_number=None,
        total=round(sum(line.unit_price * line.quantity for line in order_lines), 2), lines=order_lines,
    )
    pay_at_checkout(session, user, order)
    session.add(order)
    spend_key(session, user, idempotency_key, KeyedOperation.checkout, order)
    for line in lines:
        session.delete(line)
    session.commit()
    from shop.recsys.service import notify_order  # lazy: the recommender's libraries load on first use

    notify_order(session, user.id)
    return order


def pay_at_checkout(session: Session, user: User, order: Order) -> None:
    """The order ships to the customer's default address and is paid with their default payment method (a
    gift card must cover the total: 409, nothing ordered); customers with neither keep orders without them."""
    address = session.execute(select(Address).where(Address.user_id == user.id)
                              .order_by(Address.is_default.desc(), Address.id).limit(1)).scalar_one_or_none()
    method = session.execute(select(PaymentMethod).where(PaymentMethod.user_id == user.id)
                             .order_by(PaymentMethod.is_default.desc(), PaymentMethod.id).limit(1)).scalar_one_or_none()
    order.shipping_address = address.snapshot() if address else None
    if method is not None and method.kind is PaymentKind.gift_card:
        if (method.balance or 0.0) + 1e-9 < order.total:
            raise HTTPException(409, f"Your default payment, the {schemas.PaymentMethod.model_validate(method).spoken}"
                                     f", can't cover ${order.total:,.2f}; nothing was ordered")
        method.balance = round(method.balance - order.total, 2)
    order.payment_method = method


@router.get("/orders", response_model=list[schemas.Order])
def list_orders(session: SessionDep, user: UserDep) -> Sequence[Order]:
    return session.execute(
        select(Order).where(Order.user_id == user.id).order_by(Order.created_at.desc(), Order.id.desc())
    ).scalars().all()


@router.get("/orders/latest", response_model=schemas.Order)
def latest_order(session: SessionDep, user: UserDep) -> Order:
    order = session.execute(
        select(Order).where(Order.user_id == user.id).order_by(Order.created_at.desc(), Order.id.desc()).limit(1)
    ).scalar_one_or_none()
    if order is None:
        raise HTTPException(404, "You have no orders yet")
    return order


@router.get("/orders/{order_id}", response_model=schemas.Order)
def get_order(order_id: str, session: SessionDep, user: UserDep) -> Order:
    return order_or_404(session, user, order_id)


def refresh_product_stock(session: Session, product_ids: Iterable[str]) -> None:
    """Set each product's stock to the sum over its variants for sale (after a checkout or cancel moved units)."""
    for_sale = (select(func.coalesce(func.sum(Variant.stock), 0))
                .where(Variant.product_id == Product.id, Variant.available.is_(True)).scalar_subquery())
    for product_id in sorted(set(product_ids)):  # the same order everywhere: no lock cycles between checkouts
        session.execute(update(Product).where(Product.id == product_id).values(stock=for_sale)
                        .execution_options(synchronize_session=False))


# --- routes: recommendations -----------------------------------------------------------------------------

@router.get("/recommendations", response_model=schemas.RecommendationList)
def recommendations(
    session: SessionDep,
    user: UserDep,
    search: SearchDep,
    query: Annotated[str | None, Query(max_length=500)] = None,
    product_id: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> schemas.RecommendationList:
    from shop.recsys.service import recommend  # lazy: the recommender's libraries load on first use

    anchor = product_or_404(session, product_id).id if product_id else None
    pairs = recommend(session, user_id=user.id, query=query or None, product_id=anchor, limit=limit, search=search)
    return schemas.RecommendationList(
        items=[to_schema(schemas.RecommendedProduct, product, reason=reason) for product, reason in pairs]
    )


# --- routes: help center --------------------------------------------------------------------------------

@router.get("/help", response_model=schemas.HelpAnswer, response_model_exclude_none=True)
def help_answer(request: Request, q: Annotated[str, Query(min_length=1, max_length=500)]) -> schemas.HelpAnswer:
    """The help center's answer to a question, or ``found: false`` when no entry is close enough."""
    store: FaqStore | None = request.app.state.help_center
    if store is None:
        raise HTTPException(503, "the help center is not available")
    if not q.strip():
        raise HTTPException(422, "q is blank: ask a question")
    answer = store.answer(q)
    if answer is None:  # below the calibrated threshold: the assistant says so instead of guessing
        return schemas.HelpAnswer(found=False)
    return schemas.HelpAnswer(found=True, **answer.model_dump())


# --- the app ---------------------------------------------------------------------------------------------

async def _database_busy(_request: Request, error: Exception) -> JSONResponse:
    """SQLite gave up waiting for a writer: tell the client to retry instead of failing with a 500."""
    if isinstance(error, OperationalError) and "database is locked" in str(error):
        return JSONResponse({"detail": "The shop is busy; please retry in a moment"}, status_code=503,
                            headers={"Retry-After": "1"})
    raise error


async def _options_problem(_request: Request, error: Exception) -> JSONResponse:
    """A variant the request did not pin down: 422 listing the product's options, values and add-ons."""
    assert isinstance(error, OptionsProblem)
    return JSONResponse(error.body(), status_code=error.status)


def create_shop_app(db: Database, search: CatalogSearch | None = None, help_center: FaqStore | None = None, *,
                    auth: AuthOptions | None = None, policy: Policy | None = None) -> FastAPI:
    """The shop API over ``db``: creates missing tables and the search index, then serves docs/shop-api.md.

    ``search`` is the product search the API answers with (default: lexical); the server keeps it to make
    it hybrid once product vectors are ready. ``help_center`` answers ``GET /help``; it may also be set
    later on ``app.state.help_center`` (it takes a while to index). ``auth``: how people sign in (default:
    :class:`AuthOptions`). ``policy``: the after-purchase rules (default: ``shop/policy.yaml``). Set-up runs here rather than in a lifespan hook because a mounted sub-app's
    lifespan never runs.
    """
    db.create_schema()
    ensure_search_index(db.engine)
    app = FastAPI(title="voiceshop reference shop", description="See docs/shop-api.md", version="1")
    app.state.db = db
    app.state.auth = auth or AuthOptions()
    app.state.search = search or CatalogSearch()
    app.state.help_center = help_center
    app.state.policy = policy or default_policy()
    from shop.after_purchase import router as after_purchase  # it builds on this module's dependencies

    app.include_router(router)
    app.include_router(after_purchase)
    app.add_exception_handler(OperationalError, _database_busy)
    app.add_exception_handler(OptionsProblem, _options_problem)
    strict_json.install(app)
    return app

