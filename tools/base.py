"""The tool registry: one typed action per shop capability, its schema next to its code.

Each tool is an async function taking its pydantic action model and a :class:`ToolContext`. The registry
is the single source of truth for action names, argument schemas and descriptions: the agent builds the
decoding schema and the prompt text from it, and ``docs/actions.md`` is generated from it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union

import httpx
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError


class Action(BaseModel):
    """Base of every action the model can choose; ``action`` is the discriminator."""

    model_config = ConfigDict(extra="forbid")
    action: str

    def args(self) -> dict[str, Any]:
        """The arguments without the discriminator and without unset optional values."""
        return self.model_dump(exclude={"action"}, exclude_none=True)


class ToolOutcome(BaseModel):
    """What a tool run gives back to the agent: data on success, a readable error otherwise."""

    tool: str
    ok: bool
    data: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    status: int | None = None  # HTTP status of a shop error, when there was one
    code: str | None = None  # the shop's machine-readable error code, e.g. "cart_changed"
    body: dict[str, Any] | None = None  # the shop's structured error detail (e.g. the current cart)


class ShopError(Exception):
    """A 4xx/5xx answer of the shop API, carried back to the agent as a tool error.

    ``detail`` is always the human message; when the shop answered with a structured detail
    (``{"code": ..., "message": ..., ...}``) that dict is ``body`` and its code is ``code``.
    """

    def __init__(self, status: int, detail: str, code: str | None = None, body: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code
        self.body = body


class ShopClient:
    """The shop HTTP API for one customer (their bearer token), over any httpx transport."""

    def __init__(self, http: httpx.AsyncClient, token: str | None = None) -> None:
        self.http = http
        self.token = token

    async def request(self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        headers = {**(headers or {}), **({"Authorization": f"Bearer {self.token}"} if self.token else {})}
        params = kwargs.pop("params", None)
        if params:
            params = {k: v for k, v in params.items() if v is not None}
        try:
            response = await self.http.request(method, path, headers=headers, params=params, **kwargs)
        except httpx.HTTPError as exc:
            raise ShopError(503, f"the shop is unreachable ({type(exc).__name__})") from exc
        if response.status_code >= 400:
            body = _structured_detail(response)
            raise ShopError(response.status_code, _error_detail(response), body.get("code") if body else None, body)
        return response.json()

    async def get(self, path: str, **params: Any) -> Any:
        return await self.request("GET", path, params=params)

    async def post(self, path: str, json: Any = None, headers: dict[str, str] | None = None) -> Any:
        return await self.request("POST", path, json=json, headers=headers)

    async def put(self, path: str, json: Any = None) -> Any:
        return await self.request("PUT", path, json=json)

    async def patch(self, path: str, json: Any = None) -> Any:
        return await self.request("PATCH", path, json=json)

    async def delete(self, path: str) -> Any:
        return await self.request("DELETE", path)


def _detail(response: httpx.Response) -> Any:
    try:
        payload = response.json()
    except ValueError:
        return None
    return payload.get("detail") if isinstance(payload, dict) else None


def _structured_detail(response: httpx.Response) -> dict[str, Any] | None:
    """The error's structured part: a dict ``detail``, or the fields beside a text ``detail`` (a 422 that lists a
    product's options answers ``{"detail": "...", "options": [...]}``)."""
    detail = _detail(response)
    if isinstance(detail, dict):
        return detail
    try:
        payload = response.json()
    except ValueError:
        return None
    if isinstance(payload, dict) and isinstance(detail, str) and set(payload) - {"detail"}:
        return {**payload, "message": detail}
    return None


def _error_detail(response: httpx.Response) -> str:
    """The human message of an error answer: the detail text, a structured detail's ``message``, or the
    validation errors one per field."""
    detail = _detail(response)
    if detail is None:
        return response.text[:200] or response.reason_phrase
    if isinstance(detail, list):  # FastAPI validation errors
        return "; ".join(f"{'.'.join(map(str, d.get('loc', [])[1:]))}: {d.get('msg')}" for d in detail)
    if isinstance(detail, dict):
        return str(detail.get("message") or detail.get("code") or detail)
    return str(detail)


class Confirmation(BaseModel):
    """The customer's yes to an irreversible action, as the shop needs it to act exactly once.

    ``idempotency_key`` names that one yes (new per confirmation; a retry of the same yes reuses it, and
    the shop then answers with the order it already made); ``fingerprint`` is the cart's or order's
    fingerprint as read back to the customer, so the shop refuses (409) if it changed since. The shop
    checks the key's format (1-100 of ``A-Za-z0-9_.:-``).
    """

    model_config = ConfigDict(frozen=True)

    idempotency_key: str
    fingerprint: str | None = None


@dataclass
class ToolContext:
    """Everything a tool may use for one customer turn."""

    shop: ShopClient
    confirmation: Confirmation | None = None  # set by the agent when running a confirmed checkout/cancel
    said: str | None = None  # the customer's own recent words, set by the agent: filters are grounded in them
    preview: bool = False  # set by the agent while reading back an order change: the shop answers, changes nothing


ToolFn = Callable[[Any, ToolContext], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Tool:
    name: str
    model: type[Action]
    run: ToolFn | None  # None for conversational actions (reply, clarify, handoff): nothing to call
    needs_confirmation: bool = False
    description: str = field(default="")
    label: str = "Working…"  # shown to the customer while it runs (the live event's ``label``)
    previews: bool = False  # with ``ToolContext.preview`` the shop answers what it would do (the read-back)


TOOLS: dict[str, Tool] = {}


def tool(model: type[Action], *, label: str, needs_confirmation: bool = False,
         previews: bool = False) -> Callable[[ToolFn], ToolFn]:
    """Register ``fn`` as the tool for ``model``; its docstring is the model-facing description."""

    def register(fn: ToolFn) -> ToolFn:
        name = _action_name(model)
        TOOLS[name] = Tool(name, model, fn, needs_confirmation, _describe(model), label, previews)
        return fn

    return register


def conversational(model: type[Action]) -> type[Action]:
    """Register an action that runs no tool: the agent answers with it directly."""
    name = _action_name(model)
    TOOLS[name] = Tool(name, model, None, False, _describe(model))
    return model


def _action_name(model: type[Action]) -> str:
    return model.model_fields["action"].default


def _describe(model: type[Action]) -> str:
    return " ".join((model.__doc__ or "").split())


def action_adapter(names: list[str] | None = None) -> TypeAdapter[Any]:
    """A validator for the union of the registered actions (or of ``names``), discriminated by ``action``."""
    models = tuple(TOOLS[n].model for n in (names or list(TOOLS)))
    union = models[0] if len(models) == 1 else Annotated[Union[models], Field(discriminator="action")]  # noqa: UP007
    return TypeAdapter(union)


def action_schema(names: list[str] | None = None) -> dict[str, Any]:
    """The JSON schema the LLM's output is constrained to: one object per action, chosen by ``action``."""
    return action_adapter(names).json_schema()


def parse_action(payload: dict[str, Any] | str) -> Action:
    """Validate model output (JSON text or dict) into an action; raises ``ValueError`` with the reason."""
    adapter = action_adapter()
    try:
        if isinstance(payload, str):
            return adapter.validate_json(payload)
        return adapter.validate_python(payload)
    except ValidationError as exc:
        raise ValueError(str(exc)) from exc


async def run_action(action: Action, ctx: ToolContext) -> ToolOutcome:
    """Run the tool behind ``action``; shop errors become a failed outcome, never an exception."""
    spec = TOOLS[action.action]
    if spec.run is None:
        return ToolOutcome(tool=spec.name, ok=True, data=action.args())
    try:
        data = await spec.run(action, ctx)
    except ShopError as exc:
        return ToolOutcome(tool=spec.name, ok=False, error=exc.detail, status=exc.status, code=exc.code,
                           body=exc.body)
    return ToolOutcome(tool=spec.name, ok=True, data=data)


Money = Annotated[float, Field(ge=0, le=1_000_000, description="amount in the shop currency")]
ProductId = Annotated[str, Field(min_length=1, max_length=32, description="a product id shown earlier, e.g. p12")]
Quantity = Annotated[int, Field(ge=1, le=99)]
SortOrder = Literal["relevance", "price_asc", "price_desc", "rating"]
OptionName = Annotated[str, Field(min_length=1, max_length=40)]
OptionValue = Annotated[str, Field(min_length=1, max_length=80)]
Options = Annotated[dict[OptionName, OptionValue], Field(
    max_length=5, description='{option name: value}, e.g. {"Storage": "256 GB"}; color and size are shorthands')]
