"""The assistant's HTTP server: chat API, the reference shop mounted at ``/shop``, voice and the widget.

``create_app()`` builds everything from :class:`agent.config.Settings` (embedded defaults, environment
overrides); ``uvicorn app.main:app`` or ``voiceshop serve`` runs it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import text

from agent.assistant import CONVERSATION_ID_PATTERN, MAX_TEXT_CHARS, Assistant, ChatResponse
from agent.config import Settings
from agent.customer import Customer
from agent.llm import CORES
from app.auth import COOKIE, Customers, current_customer
from app.routes import voice as voice_routes
from shop import strict_json
from shop.api import create_shop_app
from shop.db import Database
from shop.helpcenter.store import FaqStore, FaqStoreOptions
from shop.recsys.service import start as start_recommender
from shop.search import CatalogSearch
from shop.search.dense import DenseIndex, DenseIndexOptions
from tools import ShopClient, ShopError
from voice.asr import AsrOptions, Transcriber
from voice.prompt import fetch_catalog_vocabulary

log = logging.getLogger("voiceshop")
WEB_DIR = Path(__file__).resolve().parents[1] / "web"
CurrentCustomer = Annotated[Customer, Depends(current_customer)]


class LoginRequest(BaseModel):
    login: str = Field(min_length=1, max_length=80)


class ChatRequest(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    conversation_id: str | None = Field(default=None, pattern=CONVERSATION_ID_PATTERN)

    @field_validator("text")
    @classmethod
    def not_blank(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("say something: the text is blank")
        return text.strip()


class CartItemRequest(BaseModel):
    product_id: str = Field(min_length=1, max_length=32)
    quantity: int = Field(default=1, ge=1, le=99)
    color: str | None = None
    size: str | None = None


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    database = Database(settings.resolved_database_url)
    database.create_schema()
    catalog_search = CatalogSearch()  # lexical until the product vectors are synced
    shop_app = create_shop_app(database, catalog_search)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.shop_url:
            shop_http = httpx.AsyncClient(base_url=settings.shop_url, timeout=10)
        else:  # the reference shop in-process: same HTTP API, no network hop
            shop_http = httpx.AsyncClient(transport=httpx.ASGITransport(app=shop_app), base_url="http://shop")
        app.state.shop_http = shop_http
        app.state.customers = Customers(shop_http)
        app.state.settings = settings
        await _prepare_transcriber(app.state.transcriber, shop_http)
        dense_ready = None
        if settings.warm_indexes:
            start_recommender(database.engine)
            dense_ready = asyncio.create_task(asyncio.to_thread(_start_dense_search, settings, database,
                                                                catalog_search))
        help_center = await asyncio.to_thread(_open_help_center, settings)
        async with Assistant(settings, shop_http, help_center=help_center) as assistant:
            app.state.assistant = assistant
            yield
        if dense_ready is not None and dense_ready.done() and dense_ready.exception() is None:
            dense_ready.result().set()  # stop following catalog changes
        await shop_http.aclose()

    app = FastAPI(title="Voice Shop Assistant", version="0.1.0", lifespan=lifespan,
                  description="Talk to the shop: chat and voice turns, typed tools over the shop API.")
    strict_json.install(app)  # the mounted shop installs the same rules for its own routes
    app.state.database = database
    # Whisper and llama.cpp take turns on the cores (Whisper alone, the LLM's slots together), so each may
    # use all of them.
    app.state.transcriber = Transcriber(AsrOptions.from_env(cpu_threads=settings.llm_threads),
                                        lock=CORES.exclusive)
    app.mount("/shop", shop_app)

    @app.get("/health", tags=["meta"])
    async def health() -> dict[str, Any]:
        """Liveness: the process is up and serving. Checks nothing else, so it is always quick (see /ready)."""
        return {"status": "ok", "llm": "embedded" if settings.embedded else settings.llm_base_url,
                "shop": settings.shop_url or "in-process"}

    @app.get("/ready", tags=["meta"], response_model=Readiness,
             responses={503: {"model": Readiness, "description": "a dependency is not ready"}})
    async def ready(request: Request) -> JSONResponse:
        """Readiness: the LLM, the shop, the help center and speech recognition, each checked with a short
        timeout; 200 when all are ok, 503 naming the ones that are not."""
        readiness = await _readiness(request.app)
        return JSONResponse(readiness.model_dump(), status_code=200 if readiness.ready else 503)

    @app.post("/api/login", tags=["session"])
    async def login(body: LoginRequest, request: Request, response: Response) -> dict[str, Any]:
        """Demo sign-in for a seeded customer; sets the session cookie and returns a bearer token."""
        token, customer = await request.app.state.customers.login(body.login)
        response.set_cookie(COOKIE, token, httponly=True, samesite="lax")
        return {"token": token, "user": {"id": customer.id, "login": customer.login, "name": customer.name}}

    @app.post("/api/logout", tags=["session"])
    async def logout(response: Response) -> dict[str, str]:
        response.delete_cookie(COOKIE)
        return {"status": "signed out"}

    @app.get("/api/me", tags=["session"])
    async def me(customer: CurrentCustomer) -> dict[str, Any]:
        return {"id": customer.id, "login": customer.login, "name": customer.name}

    @app.post("/api/chat", response_model=ChatResponse, tags=["assistant"])
    async def chat(body: ChatRequest, customer: CurrentCustomer, request: Request) -> ChatResponse:
        """One customer message → the assistant's reply, the actions it ran, products shown and the cart."""
        return await request.app.state.assistant.chat(customer, body.text, body.conversation_id)

    @app.get("/api/cart", tags=["shop"])
    async def cart(customer: CurrentCustomer, request: Request) -> Any:
        return await _shop_call(request, customer, "GET", "/cart")

    @app.post("/api/cart/items", tags=["shop"])
    async def add_cart_item(body: CartItemRequest, customer: CurrentCustomer, request: Request) -> Any:
        """The widget's "add to cart" button: straight to the shop, no model involved."""
        return await _shop_call(request, customer, "POST", "/cart/items", json=body.model_dump(exclude_none=True))

    @app.get("/api/orders", tags=["shop"])
    async def orders(customer: CurrentCustomer, request: Request) -> Any:
        return await _shop_call(request, customer, "GET", "/orders")

    app.include_router(voice_routes.router)
    _mount_web(app)
    return app


async def _shop_call(request: Request, customer: Customer, method: str, path: str, **kwargs: Any) -> Any:
    try:
        return await ShopClient(request.app.state.shop_http, customer.token).request(method, path, **kwargs)
    except ShopError as exc:
        raise HTTPException(exc.status, exc.detail) from exc


class Check(BaseModel):
    ok: bool
    message: str


class Readiness(BaseModel):
    ready: bool
    checks: dict[str, Check]  # llm, shop, help_center, asr


READY_CHECK_TIMEOUT_S = 2.0  # per check: a hung dependency must not hang the prober too
LLM_PROBE_TIMEOUT_S = 1.0  # GET /models is instant on a healthy server; inside the check's own bound


async def _readiness(app: FastAPI) -> Readiness:
    state = app.state
    checks = dict(zip(("llm", "shop", "help_center", "asr"), await asyncio.gather(
        _check(lambda: state.assistant.llm.probe(LLM_PROBE_TIMEOUT_S)),
        _check(lambda: _shop_answers(state)),
        _check(lambda: asyncio.to_thread(_help_center_entries, state.assistant.help_center)),
        _check(lambda: _asr_state(state.transcriber)),
    ), strict=True))
    return Readiness(ready=all(check.ok for check in checks.values()), checks=checks)


async def _check(probe: Callable[[], Awaitable[str]]) -> Check:
    try:
        message = await asyncio.wait_for(probe(), READY_CHECK_TIMEOUT_S)
    except TimeoutError:
        return Check(ok=False, message=f"no answer within {READY_CHECK_TIMEOUT_S:g} s")
    except Exception as exc:  # noqa: BLE001 - whatever failed, the answer is "not ready, because ..."
        return Check(ok=False, message=(str(exc) or type(exc).__name__)[:300])
    return Check(ok=True, message=message)


async def _shop_answers(state: Any) -> str:
    """The in-process shop: its database answers ``SELECT 1``; an external one (SHOP_URL): its API answers."""
    if state.settings.shop_url:
        response = await state.shop_http.get("/categories", timeout=READY_CHECK_TIMEOUT_S)
        if response.status_code != 200:
            raise RuntimeError(f"the shop API answered {response.status_code} to GET /categories")
        return f"shop API at {state.settings.shop_url} answers"

    def select_one() -> str:
        with state.database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return f"{state.database.engine.dialect.name} database answers"

    return await asyncio.to_thread(select_one)


def _help_center_entries(help_center: FaqStore) -> str:
    count = help_center.entry_count()
    if count == 0:
        raise RuntimeError("the help center has no entries indexed")
    return f"{count} entries"


async def _asr_state(transcriber: Transcriber) -> str:
    # Not loaded is still ready: only voice turns need the model, and the first one loads it. (This server
    # loads it at start-up, so a model that cannot load stops the start instead.)
    return "model loaded" if transcriber.loaded else "not loaded yet: loads on the first voice turn"


def _open_help_center(settings: Settings) -> FaqStore:
    """The help center in ChromaDB, re-indexed from ``shop/helpcenter/`` where the files changed."""
    store = FaqStore(FaqStoreOptions(chroma_path=settings.data_dir / "chroma"))
    report = store.sync()
    log.info("help center: %d added, %d updated, %d removed, %d unchanged", len(report.added),
             len(report.updated), len(report.removed), report.unchanged)
    return store


async def _prepare_transcriber(transcriber: Transcriber, shop_http: httpx.AsyncClient) -> None:
    """Teach Whisper the catalog's words and load it now rather than on the first voice turn."""
    try:
        transcriber.use_vocabulary(await fetch_catalog_vocabulary(shop_http))
    except httpx.HTTPError as exc:
        log.warning("ASR prompt without catalog names: %s", exc)
    await asyncio.to_thread(transcriber.load)


def _start_dense_search(settings: Settings, database: Database, search: CatalogSearch) -> threading.Event:
    """Embed new or changed products, switch search to hybrid, then follow catalog changes."""
    index = DenseIndex(DenseIndexOptions(chroma_path=settings.data_dir / "chroma"))
    with database.sessions() as session:
        report = index.sync(session)
    log.info("dense product index ready: %s", report)
    search.use_dense_index(index)
    return index.follow(database.sessions)


def _mount_web(app: FastAPI) -> None:
    if WEB_DIR.is_dir():
        app.mount("/web", StaticFiles(directory=WEB_DIR), name="web")
        if (WEB_DIR / "index.html").exists():
            @app.get("/", include_in_schema=False)
            async def demo_shop() -> FileResponse:
                return FileResponse(WEB_DIR / "index.html")


def __getattr__(name: str) -> Any:
    # ``uvicorn app.main:app`` builds the app on first access, so importing this module stays cheap.
    if name == "app":
        return create_app()
    raise AttributeError(name)
