"""The layout is the architecture (docs/architecture.md): every import in the product follows the layer rules.

Layers, top to bottom: ``app`` > ``voice``, ``agent`` > ``tools`` > ``shop``. An import may only point down
(or stay inside its own package), with these rules on top:

- only app (the assistant's API) and shop (the shop's API) serve HTTP: nowhere else imports FastAPI or Starlette;
- voice hears and nothing else: it imports none of agent, tools or shop (catalog names come over HTTP);
- voice and agent are side by side and never import each other;
- the agent acts on the shop only through tools: from shop it may use only the sentence encoder (``shop.vectors``);
- tools talk to the shop only over HTTP: they import nothing from shop;
- the shop imports none of the layers above it;
- ``training``, ``evals`` and ``bench`` sit beside the product: they may import it, it never imports them
  (and nothing outside the tests imports ``tests``);
- no import reaches into another package's private names (``_name`` modules or attributes);
- ``prompts`` is content (the editable files and ``PROMPTS_DIR``): every layer may read it, it imports nothing.

Imports are read with :mod:`ast` from the source, so a lazy import inside a function counts as much as one at
the top of a module.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("app", "voice", "agent", "tools", "shop")
CONTENT = ("prompts",)
BESIDE = ("training", "evals", "bench")
FIRST_PARTY = (*PRODUCT, *CONTENT, *BESIDE, "tests")

# What each product layer may import from the other first-party packages (its own package is always fine).
MAY_IMPORT: dict[str, frozenset[str]] = {
    "app": frozenset({"voice", "agent", "tools", "shop", *CONTENT}),
    "voice": frozenset(CONTENT),
    "agent": frozenset({"tools", "shop", *CONTENT}),  # shop: only the modules in ONLY_FROM below
    "tools": frozenset(CONTENT),
    "shop": frozenset(CONTENT),
    "prompts": frozenset(),
}
ONLY_FROM: dict[tuple[str, str], frozenset[str]] = {("agent", "shop"): frozenset({"shop.vectors"})}
BESIDE_MAY_IMPORT = frozenset({*PRODUCT, *CONTENT, *BESIDE})


@dataclass(frozen=True)
class Import:
    source: str  # path relative to the repository
    line: int
    module: str  # the imported module, dotted
    names: tuple[str, ...]  # the names taken from it (``from m import a, b``); empty for ``import m``

    def __str__(self) -> str:
        taken = f" ({', '.join(self.names)})" if self.names else ""
        return f"{self.source}:{self.line}: {self.module}{taken}"


def module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_in(path: Path) -> list[Import]:
    """Every first-party import in one file, relative imports resolved against its package."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_of(path) if path.name == "__init__.py" else module_of(path).rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(str(path.relative_to(ROOT)), node.lineno, alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join([*base, module] if module else base)
            found.append(Import(str(path.relative_to(ROOT)), node.lineno, module,
                                tuple(alias.name for alias in node.names)))
    return [i for i in found if i.module.split(".")[0] in FIRST_PARTY]


def python_files(*packages: str) -> list[Path]:
    return sorted(path for package in packages for path in (ROOT / package).rglob("*.py"))


def violations(path: Path) -> list[str]:
    """The layer rules ``path`` breaks, one line each."""
    layer = path.relative_to(ROOT).parts[0]
    broken: list[str] = []
    for imp in imports_in(path):
        target = imp.module.split(".")[0]
        if target != layer:
            if layer in MAY_IMPORT:
                if target not in MAY_IMPORT[layer]:
                    broken.append(f"{imp}: {layer} may not import {target}")
                    continue
                allowed = ONLY_FROM.get((layer, target))
                if allowed is not None and not any(imp.module == m or imp.module.startswith(m + ".") for m in allowed):
                    broken.append(f"{imp}: {layer} may use only {', '.join(sorted(allowed))} from {target}")
                    continue
            elif target not in BESIDE_MAY_IMPORT:
                broken.append(f"{imp}: {layer} may not import {target}")
                continue
            private = [part for part in imp.module.split(".") if part.startswith("_") and not part.startswith("__")]
            private += [name for name in imp.names if name.startswith("_") and not name.startswith("__")]
            if private:
                broken.append(f"{imp}: private to {target}: {', '.join(private)}")
    return broken


def test_the_product_follows_the_layer_rules() -> None:
    broken = [line for path in python_files(*PRODUCT, *CONTENT) for line in violations(path)]
    assert not broken, "imports that break docs/architecture.md's layer rules:\n" + "\n".join(broken)


def test_only_app_and_shop_serve_http() -> None:
    servers = ("fastapi", "starlette")
    found = []
    for path in python_files("voice", "agent", "tools", *CONTENT):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            found += [f"{path.relative_to(ROOT)}:{node.lineno}: {n}" for n in names if n.split(".")[0] in servers]
    assert not found, "HTTP serving belongs in app/ (or the shop's API):\n" + "\n".join(found)


def test_training_evals_and_bench_stay_beside_the_product() -> None:
    broken = [line for path in python_files(*BESIDE) for line in violations(path)]
    assert not broken, "\n".join(broken)


def test_every_package_is_covered() -> None:
    """A new top-level package must get a place in the rules before it can hold code."""
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages <= set(FIRST_PARTY), f"unplaced packages: {sorted(packages - set(FIRST_PARTY))}"
    assert not list(ROOT.glob("*.py")), "modules at the top level belong in a package"


def test_the_reader_sees_every_kind_of_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checker itself: lazy, relative and private imports are all caught, allowed ones are not."""
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "__init__.py").write_text("")
    (tools / "bad.py").write_text(
        "from . import base\n"
        "import httpx\n"
        "def lazy():\n"
        "    from shop.db import Database\n"
        "    import evals.matchers\n"
    )
    agent = tmp_path / "agent"
    agent.mkdir()
    (agent / "ok.py").write_text("from tools import TOOLS\nfrom shop.vectors import get_encoder\n")
    (agent / "bad.py").write_text("from shop.db import Database\nfrom tools.base import _error_detail\n")
    (agent / "up.py").write_text("from app.main import create_app\nimport voice.asr\n")

    assert violations(agent / "ok.py") == []
    assert [line.rsplit(": ", 1)[1] for line in violations(tools / "bad.py")] == [
        "tools may not import shop", "tools may not import evals"]
    assert [line.rsplit(": ", 1)[1] for line in violations(agent / "bad.py")] == [
        "agent may use only shop.vectors from shop", "_error_detail"]
    assert [line.rsplit(": ", 1)[1] for line in violations(agent / "up.py")] == [
        "agent may not import app", "agent may not import voice"]
