"""Dynamic few-shot: the generated examples nearest to the customer's words, for the compact prompt.

The pool is a committed file, ``fewshot_pool.jsonl`` next to this module: distinct spoken-form utterances
of the task generator's training split (never the hand-written dev set), written by
``python -m training.taskdata --fewshot-pool`` so serving never runs the generator (a test fails when the
file and the generator disagree). It is embedded once with the project's MiniLM encoder
(:mod:`shop.vectors`) and cached as a ``.npy`` under the data directory. A query costs one sentence
embedding (~10 ms) and a dot product. This is the no-training baseline, and it can be combined with the
fine-tuned adapter.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from agent.compact.prompt import Example

log = logging.getLogger(__name__)
POOL_FILE = Path(__file__).resolve().parent / "fewshot_pool.jsonl"


def read_pool(path: Path = POOL_FILE) -> list[Example]:
    with path.open(encoding="utf-8") as lines:
        return [Example(**json.loads(line)) for line in lines if line.strip()]


def write_pool(examples: list[Example], path: Path = POOL_FILE) -> None:
    with path.open("w", encoding="utf-8") as out:
        for example in examples:
            out.write(json.dumps({"utterance": example.utterance, "line": example.line}) + "\n")


class FewShotIndex:
    """Nearest examples by cosine similarity of the spoken-form utterances."""

    def __init__(self, examples: list[Example], vectors: npt.NDArray[np.float32], encoder: Any) -> None:
        self.examples = examples
        self.vectors = vectors
        self.encoder = encoder

    @classmethod
    def build(cls, cache_dir: Path | None = None, pool: Path = POOL_FILE, encoder: Any = None) -> FewShotIndex:
        """The index over ``pool``, its vectors cached in ``cache_dir`` (keyed by the examples and encoder)."""
        from shop.vectors import MODEL_ID, get_encoder

        encoder = encoder or get_encoder()
        examples = read_pool(pool)
        key = hashlib.sha256(repr((MODEL_ID, [(e.utterance, e.line) for e in examples])).encode())
        path = cache_dir / f"fewshot-{key.hexdigest()[:16]}.npy" if cache_dir else None
        if path is not None and path.exists():
            vectors = np.load(path)
        else:
            log.info("embedding %d few-shot examples", len(examples))
            vectors = encoder.encode([e.utterance for e in examples])
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                np.save(path, vectors)
        return cls(examples, vectors, encoder)

    def nearest(self, utterance: str, k: int) -> list[Example]:
        """The ``k`` most similar examples, least similar first (the closest sits next to the question)."""
        if k <= 0 or not self.examples:
            return []
        query = self.encoder.encode([utterance])[0]
        similarity = self.vectors @ query
        top = np.argsort(-similarity)[:k]
        return [self.examples[i] for i in reversed(top)]
