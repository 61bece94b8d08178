"""Assistant settings: embedded defaults, every one overridable from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx

from agent.llm import DEFAULT_QUEUE_TIMEOUT_S, DEFAULT_SLOTS, DEFAULT_TIMEOUT_S


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@dataclass
class Settings:
    """How the assistant runs. ``Settings.from_env()`` reads the variables named in each comment."""

    data_dir: Path = Path("var")  # VOICESHOP_DATA_DIR: SQLite files, conversation checkpoints, Chroma, model
    database_url: str | None = None  # DATABASE_URL: the reference shop's database (default SQLite in data_dir)
    shop_url: str | None = None  # SHOP_URL: an external shop API; default: the reference shop in-process
    llm_base_url: str | None = None  # LLM_BASE_URL: an OpenAI-compatible server (vLLM); default: embedded llama.cpp
    llm_model: str | None = None  # LLM_MODEL: model name sent to that server
    llm_api_key: str | None = None  # LLM_API_KEY
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
    # instruct models behind a server). Default: compact when embedded, instruct with LLM_BASE_URL.
    understand_mode: Literal["compact", "instruct"] | None = None
    # UNDERSTAND_FEW_SHOT: retrieved examples per compact prompt (default 4 without a LoRA adapter, 0 with one)
    understand_few_shot: int | None = None
    # WARM_INDEXES: at start, in the background, embed the catalog for hybrid search (about a minute for 2,000
    # products on 2 cores; search stays lexical until then) and fit the recommender, then refit it on a schedule.
    warm_indexes: bool = False
    # LLM_TIMEOUT: seconds one model request may take before the turn gives up on it; a timeout or a
    # connection error is retried once, so a dead or hung model server costs a turn at most twice this.
    llm_timeout_s: float = DEFAULT_TIMEOUT_S
    # LLM_QUEUE_TIMEOUT: seconds a request may wait for a free slot of the embedded engine before LLM_TIMEOUT
    # starts counting: under load, requests queue; only a machine far past its capacity gives up on one.
    llm_queue_timeout_s: float = DEFAULT_QUEUE_TIMEOUT_S
    # Injected OpenAI-protocol transport (tests, eval harness): replaces both the server and the embedded engine.
    llm_transport: httpx.AsyncBaseTransport | None = None

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": Path(_env("VOICESHOP_DATA_DIR", "var")),
            "database_url": _env("DATABASE_URL"),
            "shop_url": _env("SHOP_URL"),
            "llm_base_url": _env("LLM_BASE_URL"),
            "llm_model": _env("LLM_MODEL"),
            "llm_api_key": _env("LLM_API_KEY"),
            "model_path": Path(p) if (p := _env("MODEL_PATH")) else None,
            "lora_path": Path(p) if (p := _env("LORA_PATH")) else None,
            "llm_threads": int(_env("LLM_THREADS", str(_cores()))),
            "llm_slots": int(_env("LLM_SLOTS", str(DEFAULT_SLOTS))),
            "context_tokens": int(_env("LLM_CONTEXT", "2048")),
            "reply_mode": _env("REPLY_MODE", "template"),
            "max_tool_steps": int(s) if (s := _env("MAX_TOOL_STEPS")) else None,
            "warm_indexes": _env("WARM_INDEXES", "1") not in ("0", "false", "no"),
            "understand_mode": _env("UNDERSTAND_MODE"),
            "understand_few_shot": int(k) if (k := _env("UNDERSTAND_FEW_SHOT")) else None,
            "llm_timeout_s": float(_env("LLM_TIMEOUT", str(DEFAULT_TIMEOUT_S))),
            "llm_queue_timeout_s": float(_env("LLM_QUEUE_TIMEOUT", str(DEFAULT_QUEUE_TIMEOUT_S))),
        }
        values.update(overrides)
        return cls(**values)

    def __post_init__(self) -> None:
        if self.understand_mode not in (None, "compact", "instruct"):
            raise ValueError(f"UNDERSTAND_MODE must be 'compact' or 'instruct', not {self.understand_mode!r}")
        if self.understand_few_shot is not None and self.understand_few_shot < 0:
            raise ValueError(f"UNDERSTAND_FEW_SHOT must be 0 or more, not {self.understand_few_shot}")
        if not self.llm_timeout_s > 0:  # also refuses NaN
            raise ValueError(f"LLM_TIMEOUT must be a number of seconds above 0, not {self.llm_timeout_s}")
        if not self.llm_queue_timeout_s >= 0:
            raise ValueError(f"LLM_QUEUE_TIMEOUT must be 0 or more seconds, not {self.llm_queue_timeout_s}")
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

    @property
    def resolved_database_url(self) -> str:
        from shop.db import sqlite_url

        return self.database_url or sqlite_url(self.data_dir)
