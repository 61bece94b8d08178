"""Scale-out with real processes: Postgres, a Chroma server, two API replicas and nginx in front of them.

What makes the replicas interchangeable is that nothing a later turn needs stays in one process: the shop's
rows and the conversations (LangGraph checkpoints: shown products, a pending confirmation with its
idempotency key) are in Postgres, help-center and product vectors on the Chroma server. So a conversation
begun on one replica continues on the other, and checkouts racing across both still make exactly one order.

The LLM is the scripted LLM server double (tests/deploy/llm_double.py), a process of its own; everything else
is the product's real code and the components a deployment runs (deploy/compose.yaml). Under CI a missing
component fails the test instead of skipping it (tests/ci.py).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor, wait
import shutil
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from shop.db import Database
from shop.auth import set_password
from shop.models import Product, User, UserRole
from shop.seed import seed_database
from tests import ci
from tests.deploy.services import REPO, Service, start_service
from tests.postgres import PostgresServer, free_port

SHOP = {"products": 120, "customers": 12, "seed": 11}
PASSWORD = "two replicas, one shop"


@dataclass
class Deployment:
    replicas: dict[str, str]  # name -> base URL
    proxy: str
    llm: str
    chroma_port: int
    database_url: str
    logins: list[str]  # seeded customers, one per test so carts and orders do not mix
    plain_products: list[str]  # in stock, a single variant: no option to choose
    services: list[Service]

    def customer(self) -> str:
        return self.logins.pop()

    def logs(self) -> str:
        return "\n".join(f"--- {s.name} ---\n{s.tail(1500)}" for s in self.services)


def _chroma_command() -> list[str]:
    chroma = Path(sys.executable).parent / "chroma"
    if not chroma.exists():
        ci.unavailable("the Chroma server", f"no {chroma} (pip install chromadb)")
    return [str(chroma)]


def _nginx_available() -> None:
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        ci.unavailable("nginx", "install the Debian package 'nginx' (scripts/install-system-deps.sh)")
    if not shutil.which("envsubst"):
        ci.unavailable("envsubst", "install the Debian package 'gettext-base' (scripts/install-system-deps.sh)")


def _seed(database_url: str) -> tuple[list[str], list[str]]:
    database = Database(database_url)
    try:
        seed_database(database, **SHOP)
        with database.session() as session:
            customers = list(session.scalars(select(User).where(User.login != "demo", User.role == UserRole.customer)
                                             .order_by(User.id)))
            for user in customers:  # seeded customers have none; sign-in needs one (demo's is off-limits)
                set_password(session, user, PASSWORD)
            logins = [user.login for user in customers]
            plain = [product.id for product in session.scalars(select(Product).where(Product.stock >= 20)
                                                               .order_by(Product.id))
                     if len(product.variants) == 1]  # no option to choose
            assert session.scalar(select(func.count()).select_from(Product)) == SHOP["products"]
    finally:
        database.engine.dispose()
    assert len(plain) >= 4, "the seeded catalog should have plain products in stock"
    return logins, plain


@pytest.fixture(scope="module")
def deployment(postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    chroma = _chroma_command()
    _nginx_available()
    root = tmp_path_factory.mktemp("deployment")
    database = postgres_server.create_database()
    database_url = postgres_server.url(database)
    logins, plain = _seed(database_url)
    services: list[Service] = []
    try:
        chroma_port, llm_port, proxy_port = free_port(), free_port(), free_port()
        services.append(start_service(
            "chroma", [*chroma, "run", "--path", str(root / "chroma"), "--host", "127.0.0.1", "--port",
                       str(chroma_port)],
            ready_url=f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat", log_dir=root, timeout_s=60))
        services.append(start_service(
            "llm-double", [sys.executable, "-m", "uvicorn", "tests.deploy.llm_double:app", "--host", "127.0.0.1",
                           "--port", str(llm_port)],
            ready_url=f"http://127.0.0.1:{llm_port}/health", log_dir=root, timeout_s=60))
        ports = {"a": free_port(), "b": free_port()}
        starting = []
        for name, port in ports.items():
            env = {
                "VOICESHOP_DATA_DIR": str(root / f"replica-{name}"),  # only caches: nothing a turn needs
                "DATABASE_URL": database_url,
                "CHECKPOINT_URL": database_url,
                "CHROMA_URL": f"http://127.0.0.1:{chroma_port}",
                "LLM_BASE_URL": f"http://127.0.0.1:{llm_port}/v1",
                "LLM_MODEL": "scripted",
                "MAX_TOOL_STEPS": "1",
                "WARM_INDEXES": "1",  # the product vectors go to the Chroma server, from both replicas
                "LLM_THREADS": "1",
            }
            command = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--host", "127.0.0.1",
                       "--port", str(port)]
            starting.append((name, command, env, port))
        # Both at once, as a deployment starts them: migrations and checkpoint set-up must not collide.
        with ThreadPoolExecutor(len(starting)) as pool:
            futures = [pool.submit(start_service, f"replica-{name}", command, env=env, log_dir=root,
                                   ready_url=f"http://127.0.0.1:{port}/ready", timeout_s=240)
                       for name, command, env, port in starting]
            wait(futures)
        services += [future.result() for future in futures if future.exception() is None]
        for future in futures:
            future.result()  # re-raises a replica's failure to start, with its log
        upstreams = " ".join(f"127.0.0.1:{port}" for port in ports.values())
        services.append(start_service(
            "nginx", ["sh", str(REPO / "deploy" / "proxy-entrypoint.sh")],
            env={"UPSTREAMS": upstreams, "LISTEN": f"127.0.0.1:{proxy_port}", "PROXY_PREFIX": str(root / "nginx")},
            ready_url=f"http://127.0.0.1:{proxy_port}/health", log_dir=root, timeout_s=30))
        yield Deployment(replicas={name: f"http://127.0.0.1:{port}" for name, port in ports.items()},
                         proxy=f"http://127.0.0.1:{proxy_port}", llm=f"http://127.0.0.1:{llm_port}",
                         chroma_port=chroma_port, database_url=database_url, logins=logins, plain_products=plain,
                         services=services)
    finally:
        for service in reversed(services):
            service.stop()
        postgres_server.drop_database(database)


# --- helpers ---------------------------------------------------------------------------------------------

@dataclass
class Customer:
    """One signed-in customer, with a client on each replica and one through the proxy."""

    on: dict[str, httpx.AsyncClient]  # "a", "b", "proxy"
    deployment: Deployment

    async def say(self, where: str, text: str, conversation: str | None = None,
                  model_answers: dict[str, Any] | None = None) -> dict[str, Any]:
        """One chat turn on replica ``where``; ``model_answers``: the action the LLM double gives this turn."""
        if model_answers is not None:
            await script(self.deployment, model_answers)
        response = await self.on[where].post("/api/chat", json={"text": text, "conversation_id": conversation})
        assert response.status_code == 200, f"{where}: {response.status_code} {response.text}"
        return response.json()

    async def orders(self) -> list[dict[str, Any]]:
        return (await self.on["a"].get("/api/orders")).json()

    async def fill_cart(self, product_id: str, quantity: int = 1) -> dict[str, Any]:
        response = await self.on["b"].post("/api/cart/items", json={"product_id": product_id, "quantity": quantity})
        assert response.status_code == 200, response.text
        return response.json()


async def script(deployment: Deployment, *actions: dict[str, Any]) -> None:
    """Queue what the LLM double answers next."""
    async with httpx.AsyncClient(base_url=deployment.llm) as llm:
        response = await llm.post("/script", json=list(actions))
    assert response.status_code == 200, response.text


async def model_requests(deployment: Deployment) -> list[dict[str, Any]]:
    """Every request the LLM double was sent, oldest first."""
    async with httpx.AsyncClient(base_url=deployment.llm) as llm:
        return (await llm.get("/requests")).json()


@pytest.fixture
async def customer(deployment: Deployment) -> AsyncIterator[Customer]:
    login = deployment.customer()
    bases = {**deployment.replicas, "proxy": deployment.proxy}
    clients = {name: httpx.AsyncClient(base_url=url, timeout=60) for name, url in bases.items()}
    try:
        signed_in = await clients["a"].post("/api/login", json={"login": login, "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        for client in clients.values():  # the session from replica A works everywhere: the shop's sessions table
            client.headers["Authorization"] = f"Bearer {signed_in.json()['token']}"
        yield Customer(clients, deployment)
    finally:
        for client in clients.values():
            await client.aclose()


def _options(product: dict[str, Any]) -> dict[str, Any]:
    """Color and size for an add_to_cart of ``product`` (the first of each, where it has them)."""
    return {key: product[plural][0] for key, plural in (("color", "colors"), ("size", "sizes")) if product[plural]}


# --- the tests -------------------------------------------------------------------------------------------

async def test_the_proxy_sends_requests_to_both_replicas(deployment: Deployment) -> None:
    async with httpx.AsyncClient(base_url=deployment.proxy) as proxy:
        answered = [await proxy.get("/health") for _ in range(6)]
    assert all(response.status_code == 200 for response in answered)
    upstreams = {response.headers["X-Upstream"] for response in answered}
    assert upstreams == {url.removeprefix("http://") for url in deployment.replicas.values()}


async def test_help_center_and_product_vectors_are_on_the_chroma_server(deployment: Deployment,
                                                                      customer: Customer) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    server = chromadb.HttpClient(host="127.0.0.1", port=deployment.chroma_port,
                                 settings=ChromaSettings(anonymized_telemetry=False))
    assert server.get_collection("helpcenter").count() > 0
    deadline = time.monotonic() + 180  # the replicas embed the catalog in the background after start
    while time.monotonic() < deadline:
        names = {c.name for c in server.list_collections()}
        if "products" in names and server.get_collection("products").count() == SHOP["products"]:
            break
        await asyncio.sleep(1)
    else:
        pytest.fail(f"the product vectors never reached the Chroma server\n{deployment.logs()}")
    answered = await customer.say("b", "how do I return something",
                                  model_answers={"action": "search_faq", "question": "how do I return something"})
    assert answered["actions"][0] == {"tool": "search_faq", "args": {"question": "how do I return something"},
                                      "status": "done", "error": None}
    assert "return" in answered["reply"].lower()


async def test_a_conversation_begun_on_one_replica_continues_on_the_other(customer: Customer) -> None:
    catalog = (await customer.on["a"].get("/shop/products", params={"in_stock": True, "limit": 1})).json()
    category = catalog["items"][0]["category"]
    shown = await customer.say("a", f"show me {category}",
                               model_answers={"action": "search_products", "query": category})
    conversation = shown["conversation_id"]
    in_stock = [product for product in shown["products"] if product["stock"] > 0]
    assert len(in_stock) >= 2, shown
    first, second = in_stock[0], in_stock[1]
    await customer.say("a", "add the first one", conversation,
                       model_answers={"action": "add_to_cart", "product_id": first["id"], **_options(first)})
    asked = await customer.say("a", "check out", conversation, model_answers={"action": "checkout"})
    assert asked["pending_confirmation"]["tool"] == "checkout"

    # Replica B: the same cart (the shop's rows) and the same question pending (the checkpoint).
    cart_on_b = (await customer.on["b"].get("/api/cart")).json()
    assert cart_on_b["fingerprint"] == asked["pending_confirmation"]["fingerprint"] == asked["cart"]["fingerprint"]
    before = len(await customer.orders())
    done = await customer.say("b", "yes", conversation)
    assert done["confirmed"]["tool"] == "checkout" and done["confirmed"]["status"] == "done", done
    orders = await customer.orders()
    assert len(orders) == before + 1 and [line["product_id"] for line in orders[0]["lines"]] == [first["id"]]
    assert done["pending_confirmation"] is None and done["cart"]["lines"] == []

    # The products shown on A are on B's screen too: its model is told about them, and adding one works.
    added = await customer.say("b", "add the second one", conversation,
                               model_answers={"action": "add_to_cart", "product_id": second["id"], **_options(second)})
    asked_model = str((await model_requests(customer.deployment))[-1]["messages"])
    assert all(product["id"] in asked_model for product in shown["products"])
    assert [line["product_id"] for line in added["cart"]["lines"]] == [second["id"]], added


async def test_two_conversations_answering_yes_on_both_replicas_make_one_order(customer: Customer) -> None:
    await customer.fill_cart(customer.deployment.plain_products[0])
    first = await customer.say("a", "check out", model_answers={"action": "checkout"})
    second = await customer.say("b", "check out", model_answers={"action": "checkout"})
    assert first["pending_confirmation"] and second["pending_confirmation"]
    before = len(await customer.orders())
    answers = await asyncio.gather(customer.say("b", "yes", first["conversation_id"]),
                                   customer.say("a", "yes", second["conversation_id"]))
    assert len(await customer.orders()) == before + 1
    assert sorted(answer["confirmed"]["status"] for answer in answers) == ["done", "error"]


async def test_one_conversation_answering_yes_on_both_replicas_at_once_orders_once(customer: Customer) -> None:
    """Both replicas resume the same pending checkout: the idempotency key from the checkpoint makes one order."""
    await customer.fill_cart(customer.deployment.plain_products[1])
    asked = await customer.say("a", "check out", model_answers={"action": "checkout"})
    before = len(await customer.orders())
    answers = await asyncio.gather(customer.say("a", "yes", asked["conversation_id"]),
                                   customer.say("b", "yes", asked["conversation_id"]))
    orders = await customer.orders()
    assert len(orders) == before + 1, answers
    confirmed = [answer for answer in answers if answer["confirmed"]]
    assert confirmed and all(answer["confirmed"]["status"] == "done" for answer in confirmed), answers
    # A replica that resumed second sent the same Idempotency-Key and was answered with the same order.
    assert all(f"order {orders[0]['id']} " in answer["reply"] for answer in confirmed), answers


async def test_direct_checkouts_racing_across_replicas_make_one_order(customer: Customer) -> None:
    racers = [customer.on[name] for name in ("a", "b", "a", "b", "proxy", "proxy")]
    before = len(await customer.orders())

    await customer.fill_cart(customer.deployment.plain_products[2], quantity=2)
    key = {"Idempotency-Key": f"race-{uuid.uuid4().hex}"}
    keyed = await asyncio.gather(*[client.post("/shop/checkout", headers=key) for client in racers])
    assert sorted(response.status_code for response in keyed) == [200] * (len(racers) - 1) + [201]
    assert len({response.json()["id"] for response in keyed}) == 1  # the repeats answer with the same order

    await customer.fill_cart(customer.deployment.plain_products[3])
    unkeyed = await asyncio.gather(*[client.post("/shop/checkout") for client in racers])
    assert sorted(response.status_code for response in unkeyed) == [201] + [409] * (len(racers) - 1)
    assert len(await customer.orders()) == before + 2


async def test_a_whole_conversation_through_the_proxy(customer: Customer) -> None:
    """Every turn through nginx, so consecutive turns land on alternating replicas."""
    product_id = customer.deployment.plain_products[0]
    product = (await customer.on["proxy"].get(f"/shop/products/{product_id}")).json()
    turns: list[tuple[dict[str, Any], str]] = []

    async def say(text: str, conversation: str | None, answer: dict[str, Any] | None) -> dict[str, Any]:
        if answer is not None:
            await script(customer.deployment, answer)
        response = await customer.on["proxy"].post("/api/chat", json={"text": text, "conversation_id": conversation})
        assert response.status_code == 200, response.text
        turns.append((response.json(), response.headers["X-Upstream"]))
        return response.json()

    shown = await say(f"show me {product['name']}", None, {"action": "search_products", "query": product["name"]})
    conversation = shown["conversation_id"]
    await say("add it", conversation, {"action": "add_to_cart", "product_id": product_id})
    asked = await say("check out", conversation, {"action": "checkout"})
    assert asked["pending_confirmation"]["tool"] == "checkout"
    before = len(await customer.orders())
    done = await say("yes", conversation, None)
    assert done["confirmed"]["status"] == "done"
    assert len(await customer.orders()) == before + 1
    assert len({upstream for _, upstream in turns}) == 2, "every turn went to the same replica"
