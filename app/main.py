"""The assistant's HTTP server: chat API, the reference shop mounted at ``/shop``, voice and the widget.

``create_app()`` builds everything from :class:`app.settings.Settings` (embedded defaults, environment
overrides); ``uvicorn app.main:app`` or ``voiceshop serve`` runs it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from sqlalchemy import text
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from agent.assistant import Assistant, ChatResponse
from agent.customer import Customer
from agent.llm import CORES
from app import logs
from app.auth import (Customers, clear_session_cookies, current_customer, customer_view, request_token,
                      set_session_cookies)
from app.metrics import TurnMetrics
from app.routes import voice as voice_routes
from app.schemas import ChatRequest
from app.turns import run_text_turn
from app.settings import Settings, SignInOptions, load_settings
from shop import strict_json
from shop.api import create_shop_app
from shop.auth import AuthOptions, JwtVerifier
from shop.db import Database
from shop.helpcenter.store import FaqStore, FaqStoreOptions
from shop.recsys.service import configure as configure_recommender
from shop.recsys.service import start as start_recommender
from shop.schemas import AddToCart, LoginRequest, ShopTokenRequest
from shop.search import CatalogSearch
from shop.search.dense import DenseIndex, DenseIndexOptions
from shop.vectors import configure_encoder
from tools import ShopClient, ShopError
from voice.asr import Transcriber
from voice.prompt import fetch_catalog_vocabulary

log = logging.getLogger("voiceshop")
WEB_DIR = Path(__file__).resolve().parents[1] / "web"
CurrentCustomer = Annotated[Customer, Depends(current_customer)]


def create_app(config: Settings | None = None) -> FastAPI:
    """The app as ``config`` says (default: the environment's)."""
    config = config or load_settings()
    settings = config.app
    database = Database(settings.shop_database_url)
    database.create_schema()
    configure_encoder(config.encoder)
    configure_recommender(database.engine, config.recommender)
    catalog_search = CatalogSearch()  # lexical until the product vectors are synced
    shop_app = create_shop_app(database, catalog_search, auth=shop_auth_options(config.sign_in))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        hooks = {"request": [_tag_with_turn_id]}
        if settings.shop_url:
            shop_http = httpx.AsyncClient(base_url=settings.shop_url, timeout=10, event_hooks=hooks)
        else:  # the reference shop in-process: same HTTP API, no network hop
            # Only the assistant calls through this transport, so the shop may believe the client address it
            # forwards with a sign-in (the login rate limit counts per address).
            transport = httpx.ASGITransport(app=ProxyHeadersMiddleware(shop_app, trusted_hosts="127.0.0.1"),
                                            client=("127.0.0.1", 123))
            shop_http = httpx.AsyncClient(transport=transport, base_url="http://shop",
                                          event_hooks=hooks)
        app.state.shop_http = shop_http
        app.state.customers = Customers(shop_http)
        app.state.settings = settings
        await _prepare_transcriber(app.state.transcriber, shop_http)
        dense_ready = None
        if settings.warm_indexes:
            start_recommender(database.engine)
            dense_ready = asyncio.create_task(asyncio.to_thread(_start_dense_search, config.search, database,
                                                                catalog_search))
        # The reference shop answers GET /help from its FAQ store; with SHOP_URL, that shop answers instead.
        shop_app.state.help_center = await asyncio.to_thread(_open_help_center, config.help_center)
        app.state.shop_app = shop_app
        async with Assistant(config.llm, config.agent, shop_http, data_dir=settings.data_dir,
                             checkpoint_url=settings.checkpoint_url) as assistant:
            app.state.assistant = assistant
            yield
        if dense_ready is not None and dense_ready.done() and dense_ready.exception() is None:
            dense_ready.result().set()  # stop following catalog changes
        await shop_http.aclose()

    app = FastAPI(title="Voice Shop Assistant", version="0.1.0", lifespan=lifespan,
                  description="Talk to the shop: chat and voice turns, typed tools over the shop API.")
    strict_json.install(app)  # the mounted shop installs the same rules for its own routes
    app.state.database = database
    app.state.metrics = TurnMetrics()
    # Whisper and llama.cpp take turns on the cores (Whisper alone, the LLM's slots together), so each may
    # use all of them.
    app.state.transcriber = Transcriber(config.asr, lock=CORES.exclusive)
    app.mount("/shop", shop_app)

    @app.get("/health", tags=["meta"])
    async def health() -> dict[str, Any]:
        """Liveness: the process is up and serving. Checks nothing else, so it is always quick (see /ready)."""
        return {"status": "ok", "llm": "embedded" if config.llm.embedded else config.llm.llm_base_url,
                "shop": settings.shop_url or "in-process"}

    @app.get("/ready", tags=["meta"], response_model=Readiness,
             responses={503: {"model": Readiness, "description": "a dependency is not ready"}})
    async def ready(request: Request) -> JSONResponse:
        """Readiness: the LLM, the shop, the help center and speech recognition, each checked with a short
        timeout; 200 when all are ok, 503 naming the ones that are not."""
        readiness = await _readiness(request.app)
        return JSONResponse(readiness.model_dump(), status_code=200 if readiness.ready else 503)

    @app.get("/metrics", tags=["meta"], response_class=PlainTextResponse)
    async def metrics(request: Request) -> Response:
        """Prometheus metrics of this process: turn seconds per stage, tool outcomes, confirmations, errors."""
        turn_metrics: TurnMetrics = request.app.state.metrics
        return Response(turn_metrics.exposition(), media_type=turn_metrics.content_type)

    @app.post("/api/login", tags=["session"])
    async def login(body: LoginRequest, request: Request, response: Response) -> dict[str, Any]:
        """Sign in with login and password (``demo`` needs none while DEMO_LOGIN is on).

        Sets the session cookie and the CSRF cookie; returns the bearer token, the CSRF token and the expiry.
        401 wrong login or password, 429 (``Retry-After``) after too many failures from one address.
        """
        signed_in = await request.app.state.customers.login(body.model_dump(exclude_none=True), _client(request))
        set_session_cookies(request, response, signed_in)
        return signed_in.body()

    @app.post("/api/session/jwt", tags=["session"])
    async def shop_token_session(body: ShopTokenRequest, request: Request, response: Response) -> dict[str, Any]:
        """Sign in with a JWT the shop signed for its customer (``SHOP_JWT_KEY``); answers like ``/api/login``."""
        signed_in = await request.app.state.customers.shop_token_session(body.token, _client(request))
        set_session_cookies(request, response, signed_in)
        return signed_in.body()

    @app.post("/api/logout", tags=["session"])
    async def logout(request: Request, response: Response) -> dict[str, str]:
        """Revoke the session (bearer token or cookie) at the shop and drop the cookies."""
        token = request_token(request)
        if token:
            await request.app.state.customers.logout(token)
        clear_session_cookies(response)
        return {"status": "signed out"}

    @app.get("/api/me", tags=["session"])
    async def me(customer: CurrentCustomer) -> dict[str, Any]:
        return customer_view(customer)

    @app.post("/api/chat", response_model=ChatResponse, tags=["assistant"])
    async def chat(body: ChatRequest, customer: CurrentCustomer, request: Request) -> ChatResponse:
        """One customer message → the assistant's reply, the actions it ran, products shown and the cart."""
        return await run_text_turn(assistant=request.app.state.assistant, metrics=request.app.state.metrics,
                                   customer=customer, text=body.text, conversation_id=body.conversation_id)

    @app.get("/api/cart", tags=["shop"])
    async def cart(customer: CurrentCustomer, request: Request) -> Any:
        return await _shop_call(request, customer, "GET", "/cart")

    @app.post("/api/cart/items", tags=["shop"])
    async def add_cart_item(body: AddToCart, customer: CurrentCustomer, request: Request) -> Any:
        """The widget's "add to cart" button: straight to the shop (the shop API's own body), no model involved."""
        return await _shop_call(request, customer, "POST", "/cart/items", json=body.model_dump(exclude_none=True))

    @app.get("/api/orders", tags=["shop"])
    async def orders(customer: CurrentCustomer, request: Request) -> Any:
        return await _shop_call(request, customer, "GET", "/orders")

    app.include_router(voice_routes.router)
    _mount_web(app)
    return app


def shop_auth_options(settings: SignInOptions) -> AuthOptions:
    """How the in-process reference shop signs people in, from the sign-in settings."""
    verifier = None
    if settings.shop_jwt_key:
        verifier = JwtVerifier.from_setting(settings.shop_jwt_key, settings.shop_jwt_issuer, settings.shop_jwt_audience)
    return AuthOptions(demo_login=settings.demo_login, session_ttl=timedelta(seconds=settings.session_ttl_s),
                       login_rate_limit=settings.login_rate_limit, jwt=verifier)


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


async def _tag_with_turn_id(request: httpx.Request) -> None:
    """Name the turn in each shop request, so an external shop's logs line up with the assistant's."""
    if turn_id := logs.current_turn_id():
        request.headers["X-Turn-Id"] = turn_id


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
        _check(lambda: _help_center_answers(state)),
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


async def _help_center_answers(state: Any) -> str:
    """The help center the tools ask: the in-process shop's FAQ store has entries; an external one (SHOP_URL)
    answers ``GET /help``."""
    if state.settings.shop_url:
        response = await state.shop_http.get("/help", params={"q": "shipping"}, timeout=READY_CHECK_TIMEOUT_S)
        if response.status_code != 200:
            raise RuntimeError(f"the shop API answered {response.status_code} to GET /help")
        return f"help center at {state.settings.shop_url} answers"
    return await asyncio.to_thread(_help_center_entries, state.shop_app.state.help_center)


def _help_center_entries(help_center: FaqStore) -> str:
    count = help_center.entry_count()
    if count == 0:
        raise RuntimeError("the help center has no entries indexed")
    return f"{count} entries"


async def _asr_state(transcriber: Transcriber) -> str:
    # Not loaded is still ready: only voice turns need the model, and the first one loads it. (This server
    # loads it at start-up, so a model that cannot load stops the start instead.)
    return "model loaded" if transcriber.loaded else "not loaded yet: loads on the first voice turn"


def _open_help_center(options: FaqStoreOptions) -> FaqStore:
    """The help center in ChromaDB, re-indexed from ``shop/helpcenter/`` where the files changed."""
    store = FaqStore(options)
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


def _start_dense_search(options: DenseIndexOptions, database: Database, search: CatalogSearch) -> threading.Event:
    """Embed new or changed products, switch search to hybrid, then follow catalog changes."""
    index = DenseIndex(options)
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
        settings = load_settings()
        logs.configure_logging(settings.app.log_format)
        return create_app(settings)
    raise AttributeError(name)
