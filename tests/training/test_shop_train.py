"""``voiceshop train``: the shop's own catalog and help center into the task data, a tiny real run end to end
(data, training, comparison on dev cases, install only when better), resumed without training again."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from agent.llm import DEFAULT_ADAPTER
from app import cli
from app.settings import load_settings
from training import shop_train
from training.taskdata import generate

CAFE = Path(__file__).resolve().parents[2] / "examples" / "cafe"


@pytest.fixture
def cafe_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data dir holding the café shop, imported as its owner would."""
    directory = tmp_path / "var"
    directory.mkdir()
    monkeypatch.setenv("VOICESHOP_DATA_DIR", str(directory))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("LORA_PATH", raising=False)
    assert cli.main(["import", "catalog", str(CAFE / "products.csv")]) == 0
    assert cli.main(["import", "help", str(CAFE / "help.md")]) == 0
    return directory


def _shop() -> shop_train.ShopData:
    settings = load_settings()
    return shop_train.read_shop(settings.app.shop_database_url, settings.help_center.helpcenter_dir)


def test_the_shops_catalog_and_help_center_become_task_data(cafe_dir: Path) -> None:
    shop = _shop()
    assert shop.products >= 50 and len(shop.questions) >= 5
    latte = next(k for kind in shop.kinds for k in kind.products if k.noun == "Latte")
    assert dict(latte.options)["Milk"][:2] == ("Whole", "Oat")
    assert any(a[0] == "Extra shot" for kind in shop.kinds for a in kind.add_ons)
    examples = [e for e in generate(600, "train", 5, extra=shop.intents()) if e.intent.startswith("own-")]
    assert {"own-pick-after-question", "own-search-exclude", "own-help"} <= {e.intent for e in examples}
    names = {f"{line} {k.noun}" for kind in shop.kinds for k in kind.products for line in k.lines}
    for example in examples:
        example.action()  # decodes on its own screen
        if example.intent.startswith("own-pick"):
            assert {p["name"] for p in example.shown} <= names, example.shown
        if example.intent == "own-help":
            assert example.line == "faq"


def test_a_dry_run_shows_the_plan_and_writes_nothing(cafe_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert shop_train.main(["--dry-run", "--limit", "2", "--steps", "3"]) == 0
    out = capsys.readouterr().out
    assert "59 products" in out and "3 steps" in out and "dev (2 cases), support-dev (2 cases)" in out
    assert "only if its exact-action accuracy is higher" in out
    assert not (cafe_dir / "train").exists()


def test_voiceshop_has_the_train_command() -> None:
    """Declared as a ``voiceshop.commands`` entry point (beside the product, as ``voiceshop eval``)."""
    import argparse
    import tomllib

    pyproject = tomllib.loads((CAFE.parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["entry-points"][cli.COMMANDS_GROUP]["train"] == "training.shop_train:register"
    parser = argparse.ArgumentParser()
    shop_train.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["train", "--dry-run", "--steps", "3", "--examples", "40"])
    assert (args.run, args.dry_run, args.steps, args.examples) == (shop_train.main_args, True, 3, 40)


@pytest.mark.slow
def test_a_tiny_run_compares_installs_only_when_better_and_resumes(
        cafe_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    installed = tmp_path / "adapters" / "installed.gguf"
    installed.parent.mkdir()
    shutil.copy2(DEFAULT_ADAPTER, installed)
    tiny = ["--steps", "2", "--examples", "16", "--limit", "2", "--threads", "2", "--budget-minutes", "0"]
    assert shop_train.main([*tiny, "--adapter", str(installed)]) == 0
    record = json.loads((cafe_dir / "train" / shop_train.RECORD_NAME).read_text())
    err = capsys.readouterr().err
    assert "task data" in err and "training" in err and "compare: installed" in err and "<" in err  # ETA
    assert record["stages"]["data"]["examples"] == 16 and record["stages"]["data"]["own_shop_examples"] > 0
    assert record["stages"]["train"]["steps"] == 2
    compare = record["compare"]
    assert compare["sets"] == {"dev": 2, "support-dev": 2} and compare["installed_exact"] is not None
    better = compare["new_exact"] > compare["installed_exact"]
    assert record["decision"]["installed"] is better and record["decision"]["why"]
    assert (installed.read_bytes() == (cafe_dir / "train" / "candidate.gguf").read_bytes()) is better
    trained = record["stages"]["train"]

    # Again, with nothing installed yet: no training again, the new adapter's figures reused, and installed.
    fresh = tmp_path / "adapters" / "none-yet.gguf"
    assert shop_train.main([*tiny, "--adapter", str(fresh)]) == 0
    again = json.loads((cafe_dir / "train" / shop_train.RECORD_NAME).read_text())
    assert again["resumed"] == 1 and again["stages"]["train"] == trained
    assert "compare: new" not in capsys.readouterr().err
    assert again["decision"]["installed"] and again["decision"]["why"] == "no adapter was installed"
    assert fresh.read_bytes() == (cafe_dir / "train" / "candidate.gguf").read_bytes()
    assert fresh.with_suffix(".json").is_file() and (fresh.parent / "none-yet-peft").is_dir()
