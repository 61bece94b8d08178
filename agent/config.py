"""Assistant settings with their defaults; ``app.settings`` reads them from the environment (names there)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx

from agent.llm import DEFAULT_QUEUE_TIMEOUT_S, DEFAULT_SLOTS, DEFAULT_TIMEOUT_S


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@dataclass
class Settings:
    """How the assistant runs; the variable named in each comment sets it (``app.settings.VARIABLES``)."""

    data_dir: Path = Path("var")  # VOICESHOP_DATA_DIR: SQLite files, conversation checkpoints, Chroma, model
    database_url: str | None = None  # DATABASE_URL: the reference shop's database (default SQLite in data_dir)
    shop_url: str | None = None  # SHOP_URL: an external shop API; default: the reference shop in-process
    # CHECKPOINT_URL: where conversations live between turns: default conversations.db in data_dir; a
    # postgresql:// URL shares them between API replicas (agent/checkpoints.py, docs/deployment.md)
    checkpoint_url: str | None = None
    llm_base_url: str | None = None  # LLM_BASE_URL: an OpenAI-compatible server (vLLM); default: embedded llama.cpp
    llm_model: str | None = None  # LLM_MODEL: model name sent to that server
    llm_api_key: str | None = None  # LLM_API_KEY
    # LLM_FINETUNED: the server's model is the bundled one with the committed adapter (vLLM --lora-modules, see
    # docs/deployment.md): ask it in the compact mode it was trained on, without action list or examples
    llm_finetuned: bool = False
    model_path: Path | None = None  # MODEL_PATH: a GGUF for the embedded engine (default: the bundled Gemma 3 270M)
    lora_path: Path | None = None  # LORA_PATH: a GGUF LoRA adapter applied by the embedded engine
    llm_threads: int = field(default_factory=_cores)  # LLM_THREADS: engine threads (stages take turns on the cores)
    # LLM_SLOTS: conversations the embedded engine computes at once, batched into one pass (docs/architecture.md)
    llm_slots: int = DEFAULT_SLOTS
    context_tokens: int = 2048  # LLM_CONTEXT: context per slot
    reply_mode: Literal["template", "llm"] = "template"  # REPLY_MODE: who phrases replies (grounded either way)
    max_tool_steps: int | None = None  # MAX_TOOL_STEPS: tools one turn may chain (default 1 embedded, 3 remote)
    # UNDERSTAND_MODE: how actions are asked for (docs/understanding.md): "compact" (short prompt, one-line
    # grammar-constrained answer; for the bundled model) or "instruct" (descriptive prompt, JSON schema; for
    # instruct models behind a server). Default: compact when embedded or LLM_FINETUNED, else instruct.
    understand_mode: Literal["compact", "instruct"] | None = None
    # UNDERSTAND_FEW_SHOT: retrieved examples per compact prompt (default 4 without a LoRA adapter, 0 with one)
    understand_few_shot: int | None = None
    # WARM_INDEXES: at start, in the background, embed the catalog for hybrid search (about a minute for 2,000
    # products on 2 cores; search stays lexical until then) and fit the recommender, then refit it on a schedule.
    warm_indexes: bool = True
    # LLM_TIMEOUT: seconds one model request may take before the turn gives up on it; a timeout or a
    # connection error is retried once, so a dead or hung model server costs a turn at most twice this.
    llm_timeout_s: float = DEFAULT_TIMEOUT_S
    # Sign-in (shop/auth.py). DEMO_LOGIN: "demo" signs in without a password; 0 turns that off.
    demo_login: bool = True
    session_ttl_s: float = 12 * 3600  # SESSION_TTL: seconds a session lasts from sign-in
    login_rate_limit: str = "5/minute"  # LOGIN_RATE_LIMIT: failed sign-ins per client address and login
    # SHOP_JWT_KEY: the key that checks tokens a shop signs for its customers (POST /api/session/jwt): an HS256
    # secret of 32+ bytes or a PEM public key (RS256/ES256); unset: no such sign-in. SHOP_JWT_ISSUER and
    # SHOP_JWT_AUDIENCE: the iss and aud those tokens must carry (unchecked when unset).
    shop_jwt_key: str | None = None
    shop_jwt_issuer: str | None = None
    shop_jwt_audience: str | None = None
    owner_password: str | None = None  # OWNER_PASSWORD: the seeded owner's (default: random, printed at seed)
    # LOG_FORMAT: "text" (a terminal) or "json" (one object a line with the turn id, for a log collector)
    log_format: Literal["text", "json"] = "text"
    # LLM_QUEUE_TIMEOUT: seconds a request may wait for a free slot of the embedded engine before LLM_TIMEOUT
    # starts counting: under load, requests queue; only a machine far past its capacity gives up on one.
    llm_queue_timeout_s: float = DEFAULT_QUEUE_TIMEOUT_S
    # VOICESHOP_CATALOG_REFRESH_S: seconds between looks at the shop's catalog words (an unchanged catalog costs a
    # 304); a new import reaches the ASR prompt, name correction and the grammar within this long; 0: read once
    catalog_refresh_s: float = 30.0
    # Injected OpenAI-protocol transport (tests, eval harness): replaces both the server and the embedded engine.
    llm_transport: httpx.AsyncBaseTransport | None = None

    def __post_init__(self) -> None:
        if self.understand_mode not in (None, "compact", "instruct"):
            raise ValueError(f"UNDERSTAND_MODE must be 'compact' or 'instruct', not {self.understand_mode!r}")
        if self.understand_few_shot is not None and self.understand_few_shot < 0:
            raise ValueError(f"UNDERSTAND_FEW_SHOT must be 0 or more, not {self.understand_few_shot}")
        if self.log_format not in ("text", "json"):
            raise ValueError(f"LOG_FORMAT must be 'text' or 'json', not {self.log_format!r}")
        if not self.llm_timeout_s > 0:  # also refuses NaN
            raise ValueError(f"LLM_TIMEOUT must be a number of seconds above 0, not {self.llm_timeout_s}")
        if not self.llm_queue_timeout_s >= 0:
            raise ValueError(f"LLM_QUEUE_TIMEOUT must be 0 or more seconds, not {self.llm_queue_timeout_s}")
        if not self.catalog_refresh_s >= 0:
            raise ValueError(f"VOICESHOP_CATALOG_REFRESH_S must be 0 or more seconds, not {self.catalog_refresh_s}")
        if self.llm_slots < 1:
            raise ValueError(f"LLM_SLOTS must be 1 or more, not {self.llm_slots}")

    @property
    def embedded(self) -> bool:
        """True when the LLM runs in-process (no server URL and no injected transport)."""
        return self.llm_base_url is None and self.llm_transport is None

    @property
    def tool_steps(self) -> int:
        # The bundled base model cannot plan a chain of tools; capable models can.
        return self.max_tool_steps or (1 if self.embedded else 3)
