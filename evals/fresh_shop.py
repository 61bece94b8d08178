"""A fresh seeded shop for every scenario run: seed a template database once, copy it per trial.

Seeding thousands of products takes seconds; copying a SQLite file takes milliseconds, so every trial
starts from the same known state (the contract's "fresh copy of the seeded shop") at little cost.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from shop.seed import SeedOptions  # the defaults are the catalog the shipped suites were written against


class ShopTemplate:
    """A seeded SQLite database that trials copy from."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def seed(cls, directory: Path, options: SeedOptions | None = None) -> ShopTemplate:
        """Create the schema and seed it with ``shop.seed`` (the same seeder ``voiceshop`` uses)."""
        options = options or SeedOptions()
        from shop.db import Database
        from shop.seed import seed_database

        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "template-shop.db"
        path.unlink(missing_ok=True)
        database = Database(f"sqlite:///{path}")
        try:
            seed_database(database, options.products, options.customers, options.seed)
        finally:
            database.engine.dispose()
        return cls(path)

    def copy_to(self, path: Path) -> str:
        """Copy the template to ``path`` and return its SQLAlchemy URL.

        SQLite's backup API rather than a file copy: the template runs in WAL mode, and a plain copy of
        the main file could miss pages still in the write-ahead log.
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(self.path)
        target = sqlite3.connect(path)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return f"sqlite:///{path}"
