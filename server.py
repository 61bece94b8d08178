"""The assistant's HTTP server: chat API, the reference shop mounted at ``/shop``, voice and the widget.

``create_app()`` builds everything from :class:`agent.config.Settings` (embedded defaults, environment
overrides); ``uvicorn server:app`` or ``voiceshop serve`` runs it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field, field_validator
from shop.api import create_shop_app

from agent.assistant import Assistant, ChatResponse
from agent.auth import COOKIE, Customer, Customers, current_customer
from agent.config import Settings
from shop.db import Database
from tools import ShopClient, ShopError

log = logging.getLogger("voiceshop")
WEB_DIR = Path(__file__).resolve().parent / "web"
CurrentCustomer = Annotated[Customer, Depends(current_customer)]


class LoginRequest(BaseModel):
    login: str = Field(min_length=1, max_length=80)


class ChatRequest(BaseModel):
    text: str = Field(min_length=1, max_length=1000)
    conversation_id: str | None = Field(default=None, max_length=64, pattern=r"^[\w-]+$")

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
    shop_app = create_shop_app(database)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.shop_url:
            shop_http = httpx.AsyncClient(base_url=settings.shop_url, timeout=10)
        else:  # the reference shop in-process: same HTTP API, no network hop
            shop_http = httpx.AsyncClient(transport=httpx.ASGITransport(app=shop_app), base_url="http://shop")
        app.state.shop_http = shop_http
        app.state.customers = Customers(shop_http)
        app.state.settings = settings
        async with Assistant(settings, shop_http, help_center=_help_center(settings)) as assistant:
            app.state.assistant = assistant
            yield
        await shop_http.aclose()

    app = FastAPI(title="Voice Shop Assistant", version="0.1.0", lifespan=lifespan,
                  description="Talk to the shop: chat and voice turns, typed tools over the shop API.")
    app.state.database = database
    app.mount("/shop", shop_app)

    @app.get("/health", tags=["meta"])
    async def health() -> dict[str, Any]:
        return {"status": "ok", "llm": "embedded" if settings.embedded else settings.llm_base_url,
                "shop": settings.shop_url or "in-process"}

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

    _mount_voice_and_web(app)
    return app


async def _shop_call(request: Request, customer: Customer, method: str, path: str, **kwargs: Any) -> Any:
    try:
        return await ShopClient(request.app.state.shop_http, customer.token).request(method, path, **kwargs)
    except ShopError as exc:
        raise HTTPException(exc.status, exc.detail) from exc


def _help_center(settings: Settings) -> Any:
    """The FAQ store when the help-center module is present."""
    return None


def _mount_voice_and_web(app: FastAPI) -> None:
    if WEB_DIR.is_dir():
        app.mount("/web", StaticFiles(directory=WEB_DIR), name="web")
        if (WEB_DIR / "index.html").exists():
            @app.get("/", include_in_schema=False)
            async def demo_shop() -> FileResponse:
                return FileResponse(WEB_DIR / "index.html")


def __getattr__(name: str) -> Any:
    # ``uvicorn server:app`` builds the app on first access, so importing this module stays cheap.
    if name == "app":
        return create_app()
    raise AttributeError(name)
