"""Real server processes for the deployment tests: start one, wait until it answers, stop it, show its log."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Service:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # its own session: children (nginx workers) go too
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def start_service(name: str, command: Sequence[str], *, ready_url: str, log_dir: Path,
                  env: dict[str, str] | None = None, timeout_s: float = 180.0) -> Service:
    """Start ``command`` and wait until ``ready_url`` answers 200; fails the test (with the log) otherwise."""
    log = log_dir / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(list(command), cwd=REPO, env={**os.environ, **(env or {})}, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    service = Service(name, process, log)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{name} exited with {process.returncode} before it was ready:\n{service.tail()}")
        try:
            if httpx.get(ready_url, timeout=2).status_code == 200:
                return service
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    service.stop()
    pytest.fail(f"{name} did not answer {ready_url} within {timeout_s:.0f} s:\n{service.tail()}")
