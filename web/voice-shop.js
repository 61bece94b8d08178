// <voice-shop>: an embeddable voice shopping assistant. Plain ES module, no build step.
//
// Usage:  <script type="module" src="/web/voice-shop.js"></script>  <voice-shop></voice-shop>
// Attributes: api-base (default: same origin), heading (default "Shopping assistant"),
//   shop-token: a JWT the host shop signed for its signed-in customer; the widget exchanges it for a session
//   (POST /api/session/jwt) before the first turn. Without it the customer must already be signed in
//   (the vs_token cookie set by POST /api/login).
// Writes send the vs_csrf cookie back in X-CSRF-Token: the server refuses cookie-authenticated writes without it.
// Turns go over the live WebSocket (/api/live) so progress shows while the assistant works;
// when it cannot open, the widget falls back to POST /api/chat and POST /api/voice.

const MAX_RECORDING_MS = 30_000; // the server refuses longer turns
const TAP_MS = 300; // a shorter press is a tap: record until the next tap (hands-free, easier on touch)
const RECORDING_TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4", "audio/webm"];

// Inline SVG icons: they render the same everywhere, with no emoji font needed.
const svg = (body) => `<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false" fill="none"
  stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">${body}</svg>`;
const ICONS = {
  mic: svg('<rect x="9" y="3" width="6" height="11" rx="3"/><path d="M5 11a7 7 0 0 0 14 0M12 18v3"/>'),
  sound: svg('<path d="M4 9h4l5-4v14l-5-4H4z"/><path d="M16 9a4 4 0 0 1 0 6M18.5 6.5a8 8 0 0 1 0 11"/>'),
  muted: svg('<path d="M4 9h4l5-4v14l-5-4H4z"/><path d="M17 9l5 6M22 9l-5 6"/>'),
  cart: svg('<circle cx="9" cy="20" r="1.5"/><circle cx="18" cy="20" r="1.5"/><path d="M2 3h3l2.5 12h12l2-8H6.2"/>'),
};

const STYLE = `
  :host { display: block; font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328;
          --accent: #0b6bcb; --accent-dark: #084f96; --soft: #eef4fb; --line: #d5dbe1; --bad: #b42318; }
  * { box-sizing: border-box; }
  .panel { display: flex; flex-direction: column; width: 100%; min-width: 0; height: 100%; min-height: 420px;
           border: 1px solid var(--line); border-radius: 12px; background: #fff; overflow: hidden; }
  header { display: flex; align-items: center; gap: 8px; padding: 10px 12px; background: var(--accent); color: #fff; }
  header h2 { flex: 1; margin: 0; font-size: 16px; font-weight: 600; }
  button { font: inherit; cursor: pointer; border-radius: 8px; border: 1px solid var(--line); background: #fff;
           color: inherit; padding: 6px 10px; min-height: 36px; }
  button:focus-visible, input:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
  button:disabled { opacity: .55; cursor: not-allowed; }
  header button { background: transparent; color: #fff; border-color: rgba(255,255,255,.6); }
  .badge { display: inline-block; min-width: 20px; padding: 0 6px; margin-left: 4px; border-radius: 10px;
           background: #fff; color: var(--accent-dark); font-weight: 700; text-align: center; }
  .cart { padding: 10px 12px; border-bottom: 1px solid var(--line); background: var(--soft); }
  .cart[hidden] { display: none; }
  .cart ul { margin: 4px 0; padding-left: 18px; }
  .log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 8px; min-height: 160px; }
  .bubble { max-width: 85%; padding: 8px 12px; border-radius: 14px; white-space: pre-wrap; overflow-wrap: anywhere; }
  .user { align-self: flex-end; background: var(--accent); color: #fff; border-bottom-right-radius: 4px; }
  .assistant { align-self: flex-start; background: var(--soft); border-bottom-left-radius: 4px; }
  .error { align-self: stretch; background: #fdecea; color: var(--bad); border-radius: 8px; }
  .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); gap: 8px; }
  .card { border: 1px solid var(--line); border-radius: 10px; padding: 8px; display: flex; flex-direction: column; gap: 4px; }
  .card h3 { margin: 0; font-size: 14px; font-weight: 600; overflow-wrap: anywhere; }
  .meta { color: #57606a; font-size: 13px; }
  .price { font-weight: 700; }
  .card button { margin-top: auto; background: var(--accent); color: #fff; border-color: var(--accent); }
  .confirm { display: flex; gap: 8px; }
  .confirm .yes { background: #1a7f37; color: #fff; border-color: #1a7f37; }
  .status { min-height: 22px; padding: 0 12px; color: #57606a; font-size: 13px; }
  form { display: flex; gap: 6px; padding: 10px 12px; border-top: 1px solid var(--line); }
  input { flex: 1; min-width: 0; font: inherit; padding: 6px 10px; border: 1px solid var(--line); border-radius: 8px; }
  .mic { width: 44px; min-width: 44px; background: var(--soft); touch-action: none; user-select: none; }
  header button, .mic { display: inline-flex; align-items: center; justify-content: center; gap: 2px; }
  svg { display: block; }
  .mic[aria-pressed="true"] { background: var(--bad); color: #fff; border-color: var(--bad); }
  .send { background: var(--accent); color: #fff; border-color: var(--accent); }
  .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

const TEMPLATE = `
  <section class="panel" aria-label="Shopping assistant">
    <header>
      <h2 part="heading"></h2>
      <button type="button" class="mute" aria-pressed="false" title="Mute spoken replies"><span class="icon"></span><span class="sr-only">Mute spoken replies</span></button>
      <button type="button" class="cart-toggle" aria-expanded="false" aria-controls="cart">${ICONS.cart}<span class="sr-only">Cart items:</span><span class="badge" data-testid="cart-badge">0</span></button>
    </header>
    <div class="cart" id="cart" hidden aria-label="Cart summary"></div>
    <div class="log" role="log" aria-live="polite" aria-label="Conversation"></div>
    <div class="status" role="status" aria-live="polite"></div>
    <form>
      <button type="button" class="mic" aria-pressed="false" title="Hold to talk (or tap to start and stop)">${ICONS.mic}<span class="sr-only">Hold to talk, or tap to start and tap again to stop</span></button>
      <input type="text" name="text" autocomplete="off" maxlength="1000" placeholder="Type, or hold the mic to talk" aria-label="Message to the shopping assistant">
      <button type="submit" class="send">Send</button>
    </form>
  </section>
`;

const money = new Intl.NumberFormat(undefined, { style: "currency", currency: "USD" });

class VoiceShop extends HTMLElement {
  constructor() {
    super();
    this.root = this.attachShadow({ mode: "open" });
    this.root.innerHTML = `<style>${STYLE}</style>${TEMPLATE}`;
    const $ = (selector) => this.root.querySelector(selector);
    this.ui = {
      heading: $("h2"), log: $(".log"), status: $(".status"), form: $("form"), input: $("input"),
      mic: $(".mic"), mute: $(".mute"), cartToggle: $(".cart-toggle"), badge: $(".badge"), cart: $(".cart"),
    };
    this.conversationId = null;
    this.socket = null;
    this.pendingTurn = null; // {resolve, reject, replyShown} for the turn running on the socket
    this.recording = null; // {recorder, stream, chunks, startedAt, tapped, timer}
    this.muted = remembered("voice-shop-muted") === "1";
  }

  connectedCallback() {
    this.ui.heading.textContent = this.getAttribute("heading") || "Shopping assistant";
    this.ui.form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = this.ui.input.value.trim();
      if (text) { this.ui.input.value = ""; this.send(text); }
    });
    this.ui.mute.addEventListener("click", () => this.setMuted(!this.muted));
    this.ui.cartToggle.addEventListener("click", () => this.toggleCart());
    this.bindPushToTalk();
    this.setMuted(this.muted);
    if (!window.MediaRecorder || !navigator.mediaDevices?.getUserMedia) {
      this.ui.mic.disabled = true;
      this.ui.mic.title = "This browser cannot record audio: type instead";
    }
    this.ready = this.signInWithShopToken(this.getAttribute("shop-token"));
    this.refreshCart();
    this.say("assistant", "Hi! Ask me for products, your cart or your orders. Hold the microphone button to talk, or type below.");
  }

  disconnectedCallback() {
    this.socket?.close();
    this.stopRecording(false);
  }

  get apiBase() { return (this.getAttribute("api-base") || "").replace(/\/$/, ""); }

  /** Start a session from the host shop's signed token (also for hosts that get the token later). */
  async signInWithShopToken(token) {
    if (!token) return;
    try {
      await this.postJson("/api/session/jwt", { token });
    } catch (error) {
      this.showError(`Could not sign you in to the assistant: ${error.message}`);
    }
  }

  // ── turns ─────────────────────────────────────────────────────────────────────────────────────────

  /** Send a typed message (also what the confirm buttons and the host page use). */
  async send(text) {
    this.say("user", text);
    await this.runTurn({ type: "text", text }, null, () => this.postJson("/api/chat", {
      text, conversation_id: this.conversationId,
    }));
  }

  async sendRecording(blob) {
    if (!blob.size) { this.showError("Nothing was recorded: hold the microphone button while you speak."); return; }
    const pending = this.say("user", "…");
    pending.dataset.pending = "1";
    await this.runTurn({ type: "audio", content_type: blob.type || "audio/webm" }, blob, () => {
      const form = new FormData();
      form.append("audio", blob, "turn" + extensionFor(blob.type));
      if (this.conversationId) form.append("conversation_id", this.conversationId);
      return this.request("/api/voice", { method: "POST", body: form });
    });
  }

  /** One turn over the live socket, or over plain HTTP when the socket cannot be had. */
  async runTurn(message, audio, overHttp) {
    this.setBusy(true);
    try {
      await this.ready;
      let response;
      const socket = await this.liveSocket();
      if (socket) {
        response = await new Promise((resolve, reject) => {
          this.pendingTurn = { resolve, reject, replyShown: false };
          socket.send(JSON.stringify({ ...message, conversation_id: this.conversationId }));
          if (audio) socket.send(audio);
        });
      } else {
        this.setStatus(audio ? "Transcribing…" : "Thinking…");
        response = await overHttp();
      }
      this.showTurn(response);
    } catch (error) {
      this.dropPendingTranscript();
      this.showError(error.message || String(error));
    } finally {
      this.pendingTurn = null;
      this.setBusy(false);
      this.setStatus("");
    }
  }

  async liveSocket() {
    if (this.socket?.readyState === WebSocket.OPEN) return this.socket;
    if (this.socketFailed) return null;
    const url = new URL(this.apiBase + "/api/live", location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    return new Promise((resolve) => {
      const socket = new WebSocket(url);
      socket.binaryType = "arraybuffer";
      socket.onopen = () => { this.socket = socket; resolve(socket); };
      socket.onerror = () => { this.socketFailed = true; resolve(null); };
      socket.onclose = () => {
        if (this.socket === socket) this.socket = null;
        this.pendingTurn?.reject(new Error("The connection to the assistant was lost; please try again."));
      };
      socket.onmessage = (event) => this.onLiveEvent(JSON.parse(event.data));
    });
  }

  onLiveEvent(event) {
    const turn = this.pendingTurn;
    if (!turn) return;
    switch (event.type) {
      case "transcribing": this.setStatus("Transcribing…"); break;
      case "transcript": this.showTranscript(event.text); break;
      case "thinking": this.setStatus("Thinking…"); break;
      case "action": this.setStatus(event.label); break; // the server names what the tool is doing
      case "reply": turn.replyShown = true; this.reply(event.text); break;
      case "done": turn.resolve({ ...event.response, replyShown: turn.replyShown }); break;
      case "error": turn.reject(new Error(event.detail)); break;
    }
  }

  showTranscript(text) {
    const pending = this.ui.log.querySelector("[data-pending]");
    if (!pending) return;
    delete pending.dataset.pending;
    if (text) pending.textContent = text;
    else pending.remove(); // silence: the reply says so
  }

  dropPendingTranscript() { this.ui.log.querySelector("[data-pending]")?.remove(); }

  showTurn(response) {
    if ("transcript" in response) this.showTranscript(response.transcript);
    this.conversationId = response.conversation_id || this.conversationId;
    if (!response.replyShown) this.reply(response.reply);
    if (response.products?.length) this.showProducts(response.products);
    if (response.cart) this.showCart(response.cart);
    if (response.pending_confirmation) this.askConfirmation(response.pending_confirmation);
  }

  // ── rendering ─────────────────────────────────────────────────────────────────────────────────────

  say(role, text) {
    const bubble = document.createElement("div");
    bubble.className = `bubble ${role}`;
    bubble.dataset.testid = `${role}-bubble`;
    bubble.textContent = text;
    return this.append(bubble);
  }

  reply(text) {
    if (!text) return;
    this.say("assistant", text);
    this.speak(text);
  }

  showError(text) {
    const box = this.say("error", text);
    box.setAttribute("role", "alert");
  }

  showProducts(products) {
    const list = document.createElement("div");
    list.className = "cards";
    list.setAttribute("role", "list");
    for (const product of products) {
      const card = document.createElement("article");
      card.className = "card";
      card.setAttribute("role", "listitem");
      card.dataset.testid = "product-card";
      const title = document.createElement("h3");
      title.textContent = product.name;
      const meta = document.createElement("div");
      meta.className = "meta";
      meta.textContent = [product.brand, `★ ${Number(product.rating).toFixed(1)} (${product.review_count ?? 0})`]
        .filter(Boolean).join(" · ");
      const price = document.createElement("div");
      price.className = "price";
      price.textContent = money.format(product.price);
      const add = document.createElement("button");
      add.type = "button";
      add.textContent = product.stock === 0 ? "Out of stock" : "Add to cart";
      add.disabled = product.stock === 0;
      add.setAttribute("aria-label", `Add ${product.name} to cart`);
      const choices = this.optionPickers(product);
      add.addEventListener("click", () => this.addToCart(product, add, choices));
      card.append(title, meta, price, ...choices.map((choice) => choice.label), add);
      list.append(card);
    }
    this.append(list);
  }

  askConfirmation(pending) {
    const row = document.createElement("div");
    row.className = "confirm";
    const answer = (text) => { row.remove(); this.send(text); };
    const yes = document.createElement("button");
    yes.type = "button"; yes.className = "yes"; yes.textContent = "Confirm";
    yes.addEventListener("click", () => answer("yes"));
    const no = document.createElement("button");
    no.type = "button"; no.textContent = "Cancel";
    no.addEventListener("click", () => answer("no"));
    row.append(yes, no);
    this.append(row);
    yes.focus();
  }

  showCart(cart) {
    this.ui.badge.textContent = String(cart.item_count ?? 0);
    const panel = this.ui.cart;
    panel.replaceChildren();
    if (!cart.lines?.length) { panel.textContent = "Your cart is empty."; return; }
    const list = document.createElement("ul");
    for (const line of cart.lines) {
      const item = document.createElement("li");
      const chosen = [...Object.values(line.options ?? {}), ...(line.modifiers ?? []).map((m) => m.name)];
      const which = chosen.length ? ` (${chosen.join(", ")})` : "";
      item.textContent = `${line.quantity} × ${line.name}${which} — ${money.format(line.line_total)}`;
      list.append(item);
    }
    const total = document.createElement("strong");
    total.textContent = `Subtotal: ${money.format(cart.subtotal)}`;
    panel.append(list, total);
  }

  toggleCart() {
    const open = this.ui.cart.hidden;
    this.ui.cart.hidden = !open;
    this.ui.cartToggle.setAttribute("aria-expanded", String(open));
  }

  append(node) {
    this.ui.log.append(node);
    this.ui.log.scrollTop = this.ui.log.scrollHeight;
    return node;
  }

  setStatus(text) { this.ui.status.textContent = text; }

  setBusy(busy) {
    this.busy = busy;
    this.ui.form.querySelector(".send").disabled = busy;
  }

  // ── cart ─────────────────────────────────────────────────────────────────────────────────────────

  async refreshCart() {
    await this.ready;
    try { this.showCart(await this.request("/api/cart")); } catch { /* signed out: the badge stays at 0 */ }
  }

  // A cart line is one variant: a picker per option with a choice to make (cards from before options carry
  // only colors/sizes, the shop's shorthands for the options Color and Size).
  optionPickers(product) {
    const options = product.options
      ?? [{ name: "Color", values: product.colors ?? [] }, { name: "Size", values: product.sizes ?? [] }];
    return options.filter((option) => option.values?.length > 1).map((option) => {
      const label = document.createElement("label");
      label.className = "option";
      label.textContent = `${option.name} `;
      const select = document.createElement("select");
      select.setAttribute("aria-label", `${option.name} of ${product.name}`);
      for (const value of option.values) select.append(new Option(value, value));
      label.append(select);
      return { name: option.name, select, label };
    });
  }

  async addToCart(product, button, choices = []) {
    button.disabled = true;
    try {
      const item = { product_id: product.id, quantity: 1 };
      if (choices.length) item.options = Object.fromEntries(choices.map((choice) => [choice.name, choice.select.value]));
      this.showCart(await this.postJson("/api/cart/items", item));
      this.setStatus(`Added ${product.name} to your cart.`);
    } catch (error) {
      this.showError(error.message);
    } finally {
      button.disabled = false;
    }
  }

  // ── speech out ───────────────────────────────────────────────────────────────────────────────────

  speak(text) {
    if (this.muted || !window.speechSynthesis) return;
    speechSynthesis.cancel();
    speechSynthesis.speak(new SpeechSynthesisUtterance(text));
  }

  setMuted(muted) {
    this.muted = muted;
    remember("voice-shop-muted", muted ? "1" : "0");
    this.ui.mute.setAttribute("aria-pressed", String(muted));
    this.ui.mute.querySelector(".icon").innerHTML = muted ? ICONS.muted : ICONS.sound;
    if (muted) window.speechSynthesis?.cancel();
  }

  // ── push to talk ─────────────────────────────────────────────────────────────────────────────────

  bindPushToTalk() {
    const mic = this.ui.mic;
    mic.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      mic.setPointerCapture(event.pointerId);
      this.pressMic();
    });
    mic.addEventListener("pointerup", () => this.releaseMic());
    mic.addEventListener("pointercancel", () => this.stopRecording(false));
    mic.addEventListener("keydown", (event) => {
      if ((event.key === " " || event.key === "Enter") && !event.repeat) { event.preventDefault(); this.pressMic(); }
    });
    mic.addEventListener("keyup", (event) => {
      if (event.key === " " || event.key === "Enter") { event.preventDefault(); this.releaseMic(); }
    });
  }

  pressMic() {
    if (this.recording?.tapped) { this.stopRecording(true); return; } // second tap ends a hands-free recording
    if (!this.recording && !this.busy) this.startRecording();
  }

  releaseMic() {
    const recording = this.recording;
    if (!recording) return;
    if (Date.now() - recording.startedAt < TAP_MS) {
      recording.tapped = true;
      this.setStatus("Listening… tap the microphone again when you are done.");
    } else if (!recording.tapped) {
      this.stopRecording(true);
    }
  }

  async startRecording() {
    window.speechSynthesis?.cancel(); // don't record our own voice
    const recording = { startedAt: Date.now(), tapped: false, chunks: [], cancelled: false };
    this.recording = recording;
    this.ui.mic.setAttribute("aria-pressed", "true");
    this.setStatus("Listening…");
    try {
      recording.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (error) {
      this.recording = null;
      this.ui.mic.setAttribute("aria-pressed", "false");
      this.showError("The microphone is not available (" + error.name + "): type your request instead.");
      this.setStatus("");
      return;
    }
    if (recording.cancelled) { // released (cancelled) while the browser was still opening the microphone
      recording.stream.getTracks().forEach((track) => track.stop());
      this.recording = null;
      this.ui.mic.setAttribute("aria-pressed", "false");
      this.setStatus("");
      return;
    }
    const mimeType = RECORDING_TYPES.find((type) => MediaRecorder.isTypeSupported(type));
    recording.recorder = new MediaRecorder(recording.stream, mimeType ? { mimeType } : undefined);
    recording.recorder.ondataavailable = (event) => { if (event.data.size) recording.chunks.push(event.data); };
    recording.recorder.onstop = () => {
      recording.stream.getTracks().forEach((track) => track.stop());
      if (recording.send) {
        const blob = new Blob(recording.chunks, { type: recording.recorder.mimeType || mimeType || "audio/webm" });
        this.sendRecording(blob);
      }
    };
    recording.recorder.start();
    recording.timer = setTimeout(() => this.stopRecording(true), MAX_RECORDING_MS);
    if (recording.stopRequested !== undefined) this.stopRecording(recording.stopRequested);
  }

  stopRecording(send) {
    const recording = this.recording;
    if (!recording) return;
    if (!recording.recorder) { // released before the microphone opened: stop as soon as it does
      recording.stopRequested = send;
      if (!send) recording.cancelled = true;
      return;
    }
    this.recording = null;
    clearTimeout(recording.timer);
    recording.send = send;
    this.ui.mic.setAttribute("aria-pressed", "false");
    this.setStatus(send ? "Sending…" : "");
    if (recording.recorder.state !== "inactive") recording.recorder.stop();
  }

  // ── HTTP ─────────────────────────────────────────────────────────────────────────────────────────

  postJson(path, body) {
    return this.request(path, { method: "POST", headers: { "Content-Type": "application/json" },
                                body: JSON.stringify(body) });
  }

  async request(path, options = {}) {
    const headers = new Headers(options.headers);
    if (!["GET", "HEAD", "OPTIONS"].includes((options.method || "GET").toUpperCase())) {
      const csrf = cookieValue("vs_csrf");
      if (csrf) headers.set("X-CSRF-Token", csrf);
    }
    const response = await fetch(this.apiBase + path, { credentials: "include", ...options, headers });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const detail = typeof body.detail === "string" ? body.detail : `The request failed (${response.status}).`;
      throw new Error(detail);
    }
    return body;
  }
}

// localStorage throws in sandboxed frames and some private modes: the widget then just forgets.
function remembered(key) { try { return localStorage.getItem(key); } catch { return null; } }
function remember(key, value) { try { localStorage.setItem(key, value); } catch { /* not persisted */ } }

function cookieValue(name) {
  const pair = document.cookie.split("; ").find((entry) => entry.startsWith(name + "="));
  return pair ? decodeURIComponent(pair.slice(name.length + 1)) : "";
}

function extensionFor(type) {
  if (type.includes("ogg")) return ".ogg";
  if (type.includes("mp4")) return ".m4a";
  return ".webm";
}

customElements.define("voice-shop", VoiceShop);
