"""Loader of the public Amazon Beauty interaction sequences used by the recommender benchmark.

The file is third-party data and stays in ``../shared/data/amazon-beauty`` (never copied into the
repo): one line per user, ``user_id item_1 ... item_n`` in chronological order, ids from 1.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PATH = REPO_ROOT.parent / "shared" / "data" / "amazon-beauty" / "Beauty.txt"


def load_sequences(path: Path = DEFAULT_PATH) -> tuple[list[list[int]], int]:
    """Each user's chronological item indices (0-based) and the number of items."""
    if not path.is_file():
        raise FileNotFoundError(
            f"Amazon Beauty data not found at {path}: it lives in ../shared/data/amazon-beauty "
            "next to the repository (see that folder's SOURCES.md)"
        )
    sequences: list[list[int]] = []
    n_items = 0
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            fields = line.split()
            if len(fields) < 2:
                continue
            items = [int(token) - 1 for token in fields[1:]]
            n_items = max(n_items, max(items) + 1)
            sequences.append(items)
    return sequences, n_items
