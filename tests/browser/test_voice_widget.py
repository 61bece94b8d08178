"""The customer's view, in a real browser: speak into the widget, see products, add one to the cart.

Debian's Chromium runs headless under Playwright with a fake microphone that plays an espeak-ng recording
of a shopping command. The real server (``app.main.create_app`` under uvicorn, real shop, real Whisper) runs
in this process; only the language model is ScriptedLLM, a test double, because the bundled base model
does not pick tools reliably enough for a test that must pass every time.
The screenshot lands in ``var/screenshots/`` (what CI keeps as evidence).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, expect, sync_playwright
from pydantic import TypeAdapter
from starlette.routing import NoMatchFound

from app.settings import Settings
from agent.events import LiveEvent, ToolRunning
from evals.synthetic_speech import encode, missing_tools, speak, with_silence
from tests.scripted_llm import ScriptedLLM
from tools import TOOLS
from voice.audio import SAMPLE_RATE

LIVE_EVENT: TypeAdapter[LiveEvent] = TypeAdapter(LiveEvent)

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
COMMAND = "show me running shoes under fifty dollars"
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
]


@pytest.fixture(scope="module")
def browser_tools() -> None:
    """Skip, saying why, where Chromium, espeak-ng or FFmpeg is missing (.ci/run installs them)."""
    missing = missing_tools() + ([] if CHROMIUM.exists() else ["chromium"])
    if missing:
        pytest.skip(f"needs {', '.join(missing)}: apt-get install chromium espeak-ng ffmpeg")


@pytest.fixture
def microphone_file(tmp_path: Path, browser_tools: None) -> tuple[Path, float]:
    """The command as the fake microphone plays it: a 48 kHz WAV with pauses around the words."""
    samples = with_silence(speak(COMMAND), before_s=0.5, after_s=0.8)
    path = tmp_path / "command.wav"
    path.write_bytes(encode(samples, "wav", sample_rate=48_000))
    return path, len(samples) / SAMPLE_RATE


@pytest.fixture
def live_server(settings: Settings) -> Iterator[str]:
    """The real app served by uvicorn on a free loopback port, for the length of one test."""
    from app.main import create_app

    app = create_app(settings)
    try:
        app.url_path_for("voice_turn")
    except NoMatchFound:
        pytest.fail("app.main.create_app does not include app.routes.voice.router: POST /api/voice is missing")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="websockets-sansio"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextmanager
def chromium(*extra_flags: str) -> Iterator[Browser]:
    """Debian's Chromium, headless, under Playwright (no browser download is possible here)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=[*CHROMIUM_FLAGS, *extra_flags])
        try:
            yield browser
        finally:
            browser.close()


def test_spoken_command_shows_products_and_add_to_cart_updates_the_badge(
    live_server: str, scripted_llm: ScriptedLLM, microphone_file: tuple[Path, float]
) -> None:
    wav, seconds = microphone_file
    scripted_llm.script({"action": "search_products", "query": "running shoes", "max_price": 50})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with chromium(f"--use-file-for-fake-audio-capture={wav}%noloop") as browser:
        page = browser.new_page(viewport={"width": 1100, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        live_events: list[str] = []  # what the server streamed over the live WebSocket
        cart_writes: list[dict[str, str]] = []  # headers of the widget's own cart writes
        page.on("request", lambda request: cart_writes.append(request.headers)
                if request.method == "POST" and request.url.endswith("/api/cart/items") else None)
        page.on("websocket", lambda socket: socket.on(
            "framereceived", lambda frame: live_events.append(frame if isinstance(frame, str) else "")))
        page.goto(live_server)
        expect(page.locator("#who")).to_have_text("Signed in as Demo Customer", timeout=30_000)
        widget = page.locator("voice-shop")
        badge = widget.get_by_test_id("cart-badge")
        expect(badge).to_have_text("0")

        # Push to talk from the keyboard: hold Space on the focused microphone button while it plays.
        widget.locator(".mic").focus()
        page.keyboard.down(" ")
        expect(widget.locator(".mic")).to_have_attribute("aria-pressed", "true")
        page.wait_for_timeout(int(seconds * 1000) + 300)
        page.keyboard.up(" ")

        transcript = widget.get_by_test_id("user-bubble").last
        expect(transcript).to_contain_text("running shoes", ignore_case=True, timeout=60_000)
        cards = widget.get_by_test_id("product-card")
        expect(cards.first).to_be_visible(timeout=60_000)
        assert cards.count() >= 1
        assert "running shoes" in str(scripted_llm.requests[-1]["messages"]).lower(), \
            "the model was not given the transcript"
        events = [LIVE_EVENT.validate_json(frame) for frame in live_events if frame]  # every frame is a typed event
        streamed = [event.type for event in events]
        assert streamed[:3] == ["transcribing", "transcript", "thinking"] and streamed[-1] == "done", streamed
        running = [event for event in events if isinstance(event, ToolRunning)]
        assert [event.label for event in running] == [TOOLS["search_products"].label], running  # the widget's status
        first = cards.first
        expect(first.locator("h3")).not_to_be_empty()
        expect(first.locator(".price")).to_contain_text("$")
        expect(first.locator(".meta")).to_contain_text("★")

        first.get_by_role("button", name="Add").click()
        expect(badge).to_have_text("1", timeout=15_000)
        csrf = next(cookie["value"] for cookie in page.context.cookies() if cookie["name"] == "vs_csrf")
        assert [headers.get("x-csrf-token") for headers in cart_writes] == [csrf], "the widget must echo vs_csrf"
        cart = page.request.get(f"{live_server}/api/cart").json()
        assert cart["item_count"] == 1, cart
        widget.locator(".cart-toggle").click()
        expect(widget.locator("#cart")).to_contain_text(cart["lines"][0]["name"])
        expect(widget.locator("#cart")).to_contain_text("Subtotal")
        page.screenshot(path=str(SCREENSHOTS / "voice-widget.png"), full_page=True)

        # The same page at a small phone's width: nothing may overflow sideways.
        page.set_viewport_size({"width": 360, "height": 740})
        page.wait_for_timeout(200)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(SCREENSHOTS / "voice-widget-360px.png"), full_page=True)
        assert errors == [], f"the page raised: {errors}"


def test_typed_checkout_waits_for_the_confirm_button(
    live_server: str, scripted_llm: ScriptedLLM, browser_tools: None
) -> None:
    scripted_llm.script({"action": "checkout"})
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 360, "height": 740})
        # Sign in and fill the cart through the page's own cookie jar before the widget loads.
        signed_in = page.request.post(f"{live_server}/api/login", data={"login": "demo"})
        assert signed_in.ok
        product = page.request.get(f"{live_server}/shop/products?in_stock=true&limit=1").json()["items"][0]
        assert page.request.post(f"{live_server}/api/cart/items", data={"product_id": product["id"]},
                                 headers={"X-CSRF-Token": signed_in.json()["csrf_token"]}).ok
        orders_before = page.request.get(f"{live_server}/api/orders").json()  # the seeded order history
        page.goto(live_server)
        widget = page.locator("voice-shop")
        expect(widget.get_by_test_id("cart-badge")).to_have_text("1", timeout=30_000)

        message = widget.get_by_role("textbox", name="Message to the shopping assistant")
        message.fill("place my order")
        message.press("Enter")
        confirm = widget.get_by_role("button", name="Confirm")
        expect(confirm).to_be_focused(timeout=30_000)
        expect(widget.get_by_role("button", name="Cancel")).to_be_visible()
        orders = page.request.get(f"{live_server}/api/orders").json()
        assert orders == orders_before, "an order was placed before the customer confirmed"

        page.keyboard.press("Enter")  # confirm from the keyboard
        expect(widget.get_by_test_id("cart-badge")).to_have_text("0", timeout=30_000)
        expect(confirm).to_have_count(0)
        orders = page.request.get(f"{live_server}/api/orders").json()  # newest first
        assert len(orders) == len(orders_before) + 1
        assert [line["product_id"] for line in orders[0]["lines"]] == [product["id"]]



DEMO_PASSWORD = "demo password for the browser test"


@pytest.fixture
def server_without_demo_login(request: pytest.FixtureRequest, settings: Settings, browser_tools: None) -> str:
    """The live server with DEMO_LOGIN=0 and a password for the demo customer."""
    from sqlalchemy import select

    from shop.auth import set_password
    from shop.db import Database
    from shop.models import User

    settings.sign_in.demo_login = False
    database = Database(settings.app.shop_database_url)
    with database.session() as session:
        set_password(session, session.execute(select(User).where(User.login == "demo")).scalar_one(), DEMO_PASSWORD)
    database.engine.dispose()
    return request.getfixturevalue("live_server")


def test_without_the_demo_login_the_page_asks_for_a_password(server_without_demo_login: str) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1100, "height": 800})
        page.goto(server_without_demo_login)
        form = page.get_by_role("form", name="Sign in")
        expect(form).to_be_visible(timeout=30_000)
        expect(page.locator("#who")).to_have_text("Please sign in")
        form.get_by_label("Login").fill("demo")
        form.get_by_label("Password").fill("not the password")
        form.get_by_role("button", name="Sign in").click()
        expect(form.get_by_role("alert")).to_have_text("Wrong login or password", timeout=15_000)
        form.get_by_label("Password").fill(DEMO_PASSWORD)
        form.get_by_role("button", name="Sign in").click()
        expect(page.locator("#who")).to_have_text("Signed in as Demo Customer", timeout=30_000)
        expect(form).to_be_hidden()
        expect(page.locator("voice-shop").get_by_test_id("cart-badge")).to_have_text("0")
