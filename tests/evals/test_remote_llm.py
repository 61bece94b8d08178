"""``--llm-url``/``--llm-model``: the harness evaluates any OpenAI-compatible server over real HTTP.

A stand-in server (a test double on 127.0.0.1) always answers with a plain reply; the greeting scenarios
expect exactly that, and the search scenario must fail because no tool was chosen.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from evals.report import read_report

SUITES = Path(__file__).resolve().parents[2] / "evals" / "suites"


class ReplyOnlyServer(ThreadingHTTPServer):
    """An OpenAI-compatible stand-in that records requests and always says hello."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    server: ReplyOnlyServer

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, **body})
        content = json.dumps({"action": "reply", "text": "Hello! How can I help?"})
        answer = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
                             "usage": {"prompt_tokens": 10, "completion_tokens": 5}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def llm_server() -> Iterator[ReplyOnlyServer]:
    server = ReplyOnlyServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def shipped_documents(file: str, ids: set[str]) -> list[str]:
    """The YAML documents of the shipped scenarios ``ids`` in ``file``."""
    documents = (SUITES / file).read_text(encoding="utf-8").split("\n---\n")
    return [d for d in documents if re.search(r"^id: (\S+)$", d, re.MULTILINE).group(1) in ids]  # type: ignore[union-attr]


def test_a_remote_model_is_evaluated_over_http(tmp_path: Path, llm_server: ReplyOnlyServer) -> None:
    suite = tmp_path / "suite.yaml"
    documents = shipped_documents("conversation.yaml", {"chat-greeting", "out-of-scope-poem"})
    documents += shipped_documents("search.yaml", {"search-running-shoes-under-100"})
    suite.write_text("\n---\n".join(documents), encoding="utf-8")

    result = subprocess.run(
        [sys.executable, "-m", "evals", "run", str(suite), "--report", "report.json", "--llm-url", llm_server.url,
         "--llm-model", "stand-in-7b"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = read_report(tmp_path / "report.json")
    assert report.config.llm == llm_server.url and report.config.llm_model == "stand-in-7b"
    assert report.config.concurrency == 4, "a server takes several scenarios at once by default"
    outcome = {s.id: s.passes for s in report.scenarios}
    assert outcome == {"chat-greeting": 1, "out-of-scope-poem": 1, "search-running-shoes-under-100": 0}
    assert llm_server.requests and all(r["path"] == "/v1/chat/completions" for r in llm_server.requests)
    assert {r["model"] for r in llm_server.requests} == {"stand-in-7b"}
    assert all(r["response_format"]["type"] == "json_schema" for r in llm_server.requests)
