"""``voiceshop``: serve the assistant, talk to it in a terminal, seed the demo shop, import a shop's own files,
set passwords."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from app.logs import configure_logging
from app.settings import Settings, load_settings
from shop.catalog.files import CATALOG_FORMATS

if TYPE_CHECKING:
    from shop.db import Database

Data = TypeVar("Data")
Summary = TypeVar("Summary")

COMMANDS_GROUP = "voiceshop.commands"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="voiceshop", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the assistant server (seeds the demo shop on first start)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)

    chat = commands.add_parser("chat", help="talk to the assistant in the terminal")
    chat.add_argument("--login", default="demo", help="seeded customer to sign in as (default: demo)")

    seed = commands.add_parser("seed", help="(re)create the demo shop database")
    seed.add_argument("--products", type=int, default=2000)
    seed.add_argument("--customers", type=int, default=200)
    seed.add_argument("--seed", type=int, default=7)

    importing = commands.add_parser(
        "import", help="import a shop's own files: its catalog, help center or customers (docs/catalog-import.md)")
    import_commands = importing.add_subparsers(dest="import_command", required=True)
    import_catalog = import_commands.add_parser(
        "catalog", help="products with options and variants from Shopify's product CSV export or our JSON/YAML "
                        "form; re-importing updates by handle and SKU")
    import_catalog.add_argument("file", type=Path)
    import_catalog.add_argument("--format", choices=CATALOG_FORMATS,
                                help="default: by the file's extension, else by its first line")
    import_catalog.add_argument("--modifiers", type=Path, default=None, metavar="YAML",
                                help="add-ons by product Type and Handle (default: modifiers.yaml beside FILE, "
                                     "when there is one)")
    import_help = import_commands.add_parser(
        "help", help="help-center entries from a YAML topic file or Markdown Q&A (## Question, then the answer); "
                     "re-importing updates by id or question")
    import_help.add_argument("file", type=Path)
    import_customers = import_commands.add_parser(
        "customers", help="customers, their addresses and past orders from our JSON/YAML form")
    import_customers.add_argument("file", type=Path)

    commands.add_parser("retrain", help="refit the recommender from the shop's orders and carts")

    users = commands.add_parser("users", help="manage sign-in of the shop's customers and owners")
    user_commands = users.add_subparsers(dest="user_command", required=True)
    set_password = user_commands.add_parser(
        "set-password", help="give a customer or owner a new password (asked for, or one line on stdin) and "
                             "sign out their sessions")
    set_password.add_argument("login")

    for extra in _extra_commands():
        extra(commands)

    args = parser.parse_args(argv)
    configure_logging(load_settings().app.log_format)
    if args.command == "serve":
        return _serve(args.host, args.port)
    if args.command == "chat":
        return asyncio.run(_chat(args.login))
    if args.command == "seed":
        return _seed(args.products, args.customers, args.seed, reset=True)
    if args.command == "import":
        return _import(args)
    if args.command == "users":
        return _set_password(args.login)
    if args.command == "retrain":
        from shop.recsys.service import main as recommend_main

        return recommend_main(["--retrain"])
    return args.run(args)


def _extra_commands() -> list:
    """Subcommands that tools beside the product add (``voiceshop eval`` from evals/), each a
    ``register(subparsers)`` declared as a ``voiceshop.commands`` entry point in pyproject.toml: the product
    never imports them, and an installation without them simply lacks the subcommand."""
    from importlib.metadata import entry_points

    return [entry.load() for entry in entry_points(group=COMMANDS_GROUP)]


def _seed(products: int, customers: int, seed: int, *, reset: bool) -> int:
    from shop.seed import SeedError, owner_notice, seed_database

    settings = load_settings()
    database = _shop_database()
    try:
        summary = seed_database(database, products=products, customers=customers, seed=seed, reset=reset,
                                progress=lambda line: print(line, flush=True), owner_password=settings.sign_in.owner_password)
    except SeedError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"Seeded {summary.products:,} products, {summary.customers:,} customers, {summary.orders:,} orders "
          f"in {sum(summary.seconds.values()):.1f}s.", flush=True)
    print(owner_notice(summary), flush=True)
    return 0


def _import(args: argparse.Namespace) -> int:
    """Read and check the whole file first: one with problems prints them all and imports nothing."""
    from shop.catalog.problems import ImportFileError

    if not args.file.is_file():
        print(f"error: {args.file}: no such file", file=sys.stderr)
        return 1
    try:
        if args.import_command == "help":
            return _import_help(args.file)
        if args.import_command == "catalog":
            return _import_catalog(args.file, args.format, args.modifiers)
        return _import_customers(args.file)
    except ImportFileError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        count = len(error.problems)
        named = error.problems[0].file  # the catalog, or the add-ons file beside it
        print(f"error: {count} problem{'s' if count != 1 else ''} in "
              f"{args.file if named == args.file.name else named}; nothing was imported",
              file=sys.stderr)
        return 1


def _import_help(file: Path) -> int:
    from shop.catalog.problems import ImportFileError
    from shop.helpcenter.importing import import_help

    settings = load_settings()
    folder = settings.own_helpcenter_dir
    if folder != settings.help_center.helpcenter_dir:  # the first import into this data dir
        print(f"Starting this shop's own help center in {folder}; the shop answers from it instead of the "
              f"demo's ({settings.help_center.helpcenter_dir}) from its next start on.", flush=True)
        folder.mkdir(parents=True)
        try:
            summary = import_help(file, folder)
        except ImportFileError:
            folder.rmdir()  # a refused file leaves the shop on the demo's help center, as before
            raise
    else:
        summary = import_help(file, folder)
    print(f"Help center ({folder}): {summary.created} created, {summary.updated} updated, "
          f"{summary.unchanged} unchanged. A running shop answers from them on its next question.")
    return 0


def _shop_database() -> Database:
    from shop.db import Database

    return Database(load_settings().app.shop_database_url)


def _load_into_shop(file: Path, load: Callable[[Database, Data], Summary], data: Data) -> Summary | None:
    """One transaction: ``None`` (after saying why) when the shop refuses the file, which then stored nothing."""
    from shop.catalog.load import CatalogLoadError

    database = _shop_database()
    database.create_schema()  # a new data dir gets the schema, an older database its migrations
    try:
        return load(database, data)
    except CatalogLoadError as error:
        print(f"error: {file}: {error}; nothing was imported", file=sys.stderr)
        return None


def _import_catalog(file: Path, file_format: str | None, modifiers: Path | None) -> int:
    from shop.catalog.files import read_catalog
    from shop.catalog.load import load_catalog
    from shop.catalog.modifiers import MODIFIERS_BESIDE, with_modifiers

    if modifiers is None and (file.parent / MODIFIERS_BESIDE).is_file():
        modifiers = file.parent / MODIFIERS_BESIDE
    elif modifiers is not None and not modifiers.is_file():
        print(f"error: {modifiers}: no such file", file=sys.stderr)
        return 1
    catalog = read_catalog(file, file_format)
    variants = sum(len(product.variants) for product in catalog.products)
    print(f"Read {len(catalog.products):,} products with {variants:,} variants from {file}.", flush=True)
    if modifiers is not None:  # joined before loading: catalog and add-ons go in one transaction
        catalog, with_addons = with_modifiers(catalog, modifiers)
        print(f"Add-ons from {modifiers}: {with_addons:,} products have some.", flush=True)
    print("Loading them…", flush=True)
    summary = _load_into_shop(file, load_catalog, catalog)
    if summary is None:
        return 1
    print(f"Products: {summary.products_created:,} created, {summary.products_updated:,} updated. "
          f"Variants: {summary.variants_created:,} created, {summary.variants_updated:,} updated, "
          f"{summary.variants_retired:,} no longer in the file (now unavailable).")
    return 0


def _import_customers(file: Path) -> int:
    from shop.catalog.files import read_customers
    from shop.catalog.load import load_customers

    summary = _load_into_shop(file, load_customers, read_customers(file))
    if summary is None:
        return 1
    print(f"Customers: {summary.customers_created:,} created, {summary.customers_updated:,} updated "
          f"({summary.addresses:,} addresses, {summary.payment_methods:,} payment methods). Past orders: {summary.orders_created:,} created, "
          f"{summary.orders_skipped:,} already there.")
    return 0


def _read_password(prompt: str = "Password: ") -> str:
    """Asked for at a terminal (not echoed), else one line from stdin (for scripts)."""
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().rstrip("\n")


def _set_password(login: str) -> int:
    from sqlalchemy import func, select

    from shop.auth import set_password
    from shop.models import User

    password = _read_password("New password: ")
    if sys.stdin.isatty() and getpass.getpass("Again: ") != password:
        print("error: the passwords differ", file=sys.stderr)
        return 1
    with _shop_database().session() as session:
        user = session.execute(select(User).where(func.lower(User.login) == login.lower())).scalar_one_or_none()
        if user is None:
            print(f"error: no customer or owner with login {login!r}", file=sys.stderr)
            return 1
        try:
            set_password(session, user, password)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    print(f"New password set for {user.login}; their sessions are signed out.")
    return 0


def _ensure_seeded(settings: Settings) -> None:
    """An empty shop gets the demo shop; an imported catalog without any user gets the demo customer and
    the owner account, so that someone can sign in."""
    from sqlalchemy import exists, select

    from shop.db import Database
    from shop.models import User
    from shop.seed import SeedError, add_sign_in_accounts, owner_notice

    database = Database(settings.app.shop_database_url)
    if database.is_empty():
        print("First start: seeding the demo shop (2,000 products, 200 customers)…", flush=True)
        _seed(2000, 200, 7, reset=False)
        return
    with database.session() as session:
        has_users = session.scalar(select(exists().select_from(User)))
    if not has_users:
        try:
            summary = add_sign_in_accounts(database, settings.sign_in.owner_password)
        except SeedError as error:
            raise SystemExit(f"error: {error}") from error
        print("First start with an imported catalog: added the demo customer 'demo' and the owner account.",
              flush=True)
        print(owner_notice(summary), flush=True)


def _serve(host: str, port: int) -> int:
    import uvicorn

    from app.main import create_app

    settings = load_settings()
    _ensure_seeded(settings)
    print(f"Voice shop assistant on http://{host}:{port}  (API docs: /docs)", flush=True)
    # log_config=None: uvicorn's own loggers (access log included) go through the LOG_FORMAT handler too.
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None)
    return 0


async def _chat(login: str) -> int:
    import httpx

    from app.main import create_app
    from shop.auth import DEMO_LOGIN

    settings = load_settings()
    _ensure_seeded(settings)
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://voiceshop", timeout=120) as client:
        credentials = {"login": login}
        if login != DEMO_LOGIN or not settings.sign_in.demo_login:
            credentials["password"] = _read_password(f"Password for {login}: ")
        signed_in = await client.post("/api/login", json=credentials)
        if signed_in.status_code != 200:
            print(f"cannot sign in as {login!r}: {signed_in.json().get('detail')}", file=sys.stderr)
            return 2
        headers = {"Authorization": f"Bearer {signed_in.json()['token']}"}
        conversation = None
        print(f"Signed in as {signed_in.json()['user']['name']}. Type your request; an empty line quits.")
        while True:
            try:
                text = input("you> ").strip()
            except EOFError:
                break
            if not text:
                break
            response = await client.post("/api/chat", json={"text": text, "conversation_id": conversation},
                                         headers=headers)
            body = response.json()
            if response.status_code != 200:
                print(f"error {response.status_code}: {body.get('detail')}")
                continue
            conversation = body["conversation_id"]
            for action in body["actions"]:
                print(f"  [{action['tool']} {action['args']} → {action['status']}]")
            for i, product in enumerate(body["products"], 1):
                print(f"  {i}. {product['name']}  ${product['price']:.2f}  ({product['id']})")
            print(f"shop> {body['reply']}   ({body['timings']['total']:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
