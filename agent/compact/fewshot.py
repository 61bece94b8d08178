"""Dynamic few-shot: the generated examples nearest to the customer's words, for the compact prompt.

The pool is the generator's training split (never the hand-written dev set), embedded once with the
project's MiniLM encoder (:mod:`shop.vectors`) and cached as a ``.npy`` under the data directory. A query
costs one sentence embedding (~10 ms) and a dot product. This is the no-training baseline, and it can be
combined with the fine-tuned adapter.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from agent.compact.prompt import Example, spoken_form

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FewShotOptions:
    """Which examples the index holds; a change of any field rebuilds the cached vectors."""

    pool_size: int = 2000
    seed: int = 7


class FewShotIndex:
    """Nearest examples by cosine similarity of the spoken-form utterances."""

    def __init__(self, examples: list[Example], vectors: npt.NDArray[np.float32], encoder: Any) -> None:
        self.examples = examples
        self.vectors = vectors
        self.encoder = encoder

    @classmethod
    def build(cls, cache_dir: Path | None = None, options: FewShotOptions | None = None,
              encoder: Any = None) -> FewShotIndex:
        from training.taskdata import generate
        from shop.vectors import MODEL_ID, get_encoder

        options = options or FewShotOptions()
        encoder = encoder or get_encoder()
        seen: dict[str, Example] = {}
        for example in generate(options.pool_size, "train", options.seed):
            text = spoken_form(example.utterance)
            seen.setdefault(text, Example(text, example.line))  # one line per distinct wording
        examples = list(seen.values())
        key = hashlib.sha256(repr((options, MODEL_ID, [(e.utterance, e.line) for e in examples])).encode())
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
