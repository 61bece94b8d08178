"""A small help-center folder (two topic files) for the store and the importer to work on."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.shop.helpcenter.test_store import RETURNS, SHIPPING, write


@pytest.fixture
def helpcenter(tmp_path: Path) -> Path:
    directory = tmp_path / "helpcenter"
    directory.mkdir()
    write(directory, "shipping.yaml", SHIPPING)
    write(directory, "returns.yaml", RETURNS)
    return directory
