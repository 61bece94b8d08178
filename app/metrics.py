"""Prometheus metrics of customer turns, read off each turn's finished response (``GET /metrics``).

Each server process counts its own turns in its own registry: scrape every replica (the Prometheus
default), and sum across them in queries. Nothing here is shared between processes, so run one worker
per replica (the default of ``voiceshop serve`` and ``uvicorn``).
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client import gc_collector, platform_collector, process_collector

from agent.assistant import ChatResponse

STAGES = ("asr", "llm", "tools", "total")
# From a quick cached answer to a slow CPU-only model turn (the LLM timeout is retried once).
TURN_BUCKETS_S = (0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60, 120)
CANCELLED = "cancelled"  # the status of a confirmation the customer declined
NOT_RUN = {"awaiting_confirmation", CANCELLED}  # action statuses that are not a tool run


class TurnMetrics:
    """The metrics of one server; :meth:`record` is called once per finished turn."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        process_collector.ProcessCollector(registry=self.registry)
        platform_collector.PlatformCollector(registry=self.registry)
        gc_collector.GCCollector(registry=self.registry)
        self.turn_seconds = Histogram(
            "voiceshop_turn_seconds", "Seconds per customer turn, by stage (asr on voice turns only).",
            ["stage"], buckets=TURN_BUCKETS_S, registry=self.registry)
        self.tool_calls = Counter(
            "voiceshop_tool_calls", "Tool runs by tool and outcome (ok or error).",
            ["tool", "outcome"], registry=self.registry)
        self.confirmations = Counter(
            "voiceshop_confirmations",
            "Read-backs of irreversible actions: asked, asked_again (unclear answer), accepted, declined.",
            ["tool", "event"], registry=self.registry)
        self.errors = Counter(
            "voiceshop_turn_errors", "Turns that failed in a stage: asr (speech recognition) or llm (the model).",
            ["stage"], registry=self.registry)

    def record(self, response: ChatResponse) -> None:
        """Count one finished turn from what it answered."""
        for stage in STAGES:
            if stage in response.timings:
                self.turn_seconds.labels(stage).observe(response.timings[stage])
        runs = [a for a in response.actions if a.status not in NOT_RUN]
        if response.confirmed is not None:
            accepted = response.confirmed.status != CANCELLED
            self.confirmations.labels(response.confirmed.tool, "accepted" if accepted else "declined").inc()
            if accepted:
                runs.append(response.confirmed)
        for action in runs:
            self.tool_calls.labels(action.tool, "error" if action.status == "error" else "ok").inc()
        if (pending := response.pending_confirmation) is not None:
            self.confirmations.labels(pending.tool, "asked_again" if pending.asked_again else "asked").inc()
        if response.error is not None:
            self.errors.labels("llm").inc()

    def asr_failed(self) -> None:
        self.errors.labels("asr").inc()

    def exposition(self) -> bytes:
        """The Prometheus text format of everything counted so far."""
        return generate_latest(self.registry)
