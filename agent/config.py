"""The agent's own options with their defaults: how it reaches its model (:class:`LlmOptions`) and how it
understands and answers (:class:`AgentOptions`). ``app.settings`` fills both from the environment (the
variable named in each comment, ``app.settings.VARIABLES``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import httpx

from agent.llm import DEFAULT_QUEUE_TIMEOUT_S, DEFAULT_SLOTS, DEFAULT_TIMEOUT_S


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@dataclass
class LlmOptions:
    """Which model answers and how long it may take: a server (vLLM) or the embedded llama.cpp engine."""

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
    # LLM_TIMEOUT: seconds one model request may take before the turn gives up on it; a timeout or a
    # connection error is retried once, so a dead or hung model server costs a turn at most twice this.
    llm_timeout_s: float = DEFAULT_TIMEOUT_S
    # LLM_QUEUE_TIMEOUT: seconds a request may wait for a free slot of the embedded engine before LLM_TIMEOUT
    # starts counting: under load, requests queue; only a machine far past its capacity gives up on one.
    llm_queue_timeout_s: float = DEFAULT_QUEUE_TIMEOUT_S
    # Injected OpenAI-protocol transport (tests, eval harness): replaces both the server and the embedded engine.
    llm_transport: httpx.AsyncBaseTransport | None = None

    def __post_init__(self) -> None:
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


@dataclass
class AgentOptions:
    """How the agent asks its model for actions and phrases its replies."""

    reply_mode: Literal["template", "llm"] = "template"  # REPLY_MODE: who phrases replies (grounded either way)
    max_tool_steps: int | None = None  # MAX_TOOL_STEPS: tools one turn may chain (default 1 embedded, 3 remote)
    # UNDERSTAND_MODE: how actions are asked for (docs/understanding.md): "compact" (short prompt, one-line
    # grammar-constrained answer; for the bundled model) or "instruct" (descriptive prompt, JSON schema; for
    # instruct models behind a server). Default: compact when embedded or LLM_FINETUNED, else instruct.
    understand_mode: Literal["compact", "instruct"] | None = None
    # UNDERSTAND_FEW_SHOT: retrieved examples per compact prompt (default 4 without a LoRA adapter, 0 with one)
    understand_few_shot: int | None = None
    # CONSENT_MODEL: the model may read an answer to a read-back that the rules do not know (agent.consent); off
    # until the adapter is trained on consent lines: the current one, never taught them, took a garbled answer
    # for a yes (bench/confirmation.py --model, docs/confirmation.md)
    consent_model: bool = False

    def __post_init__(self) -> None:
        if self.understand_mode not in (None, "compact", "instruct"):
            raise ValueError(f"UNDERSTAND_MODE must be 'compact' or 'instruct', not {self.understand_mode!r}")
        if self.understand_few_shot is not None and self.understand_few_shot < 0:
            raise ValueError(f"UNDERSTAND_FEW_SHOT must be 0 or more, not {self.understand_few_shot}")

    def tool_steps(self, llm: LlmOptions) -> int:
        # The bundled base model cannot plan a chain of tools; capable models can.
        return self.max_tool_steps or (1 if llm.embedded else 3)
