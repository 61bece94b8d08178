"""``voiceshop``'s command line: subcommands from beside the product arrive through entry points, not imports."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from app import cli

ROOT = Path(__file__).resolve().parents[2]


def declared_commands() -> list[metadata.EntryPoint]:
    """The ``voiceshop.commands`` entry points exactly as pyproject.toml declares them."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    group = project["entry-points"][cli.COMMANDS_GROUP]
    return [metadata.EntryPoint(name, value, cli.COMMANDS_GROUP) for name, value in group.items()]


def test_the_script_and_the_eval_and_train_commands_are_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["scripts"]["voiceshop"] == "app.cli:main"
    assert [(entry.name, entry.value) for entry in declared_commands()] == [("eval", "evals.cli:register"),
                                                                      ("train", "training.shop_train:register")]


def test_voiceshop_eval_runs_through_the_declared_entry_point(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # What an installation's metadata holds, read from pyproject.toml (this checkout may not be installed).
    monkeypatch.setattr(metadata, "entry_points", lambda group: declared_commands() if group == cli.COMMANDS_GROUP
                        else [])
    assert cli.main(["eval", "validate", str(ROOT / "evals" / "suites" / "cart.yaml")]) == 0
    assert "all valid" in capsys.readouterr().out


def test_without_the_entry_point_there_is_no_eval_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metadata, "entry_points", lambda group: [])
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["eval", "validate", "evals/suites"])
    assert exit_info.value.code == 2  # argparse: invalid choice
