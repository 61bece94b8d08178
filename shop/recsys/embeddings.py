"""Product text embeddings for content similarity, encoded once per text and cached.

Encoding is the slow part of a fit (the MiniLM encoder on one thread does roughly 60 product texts a
second on the shared 2-core machine), so vectors are kept by a hash of the model id and the text:
a refit only encodes new or edited products, and with a cache file a restart encodes nothing.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from shop.vectors import EMBEDDING_DIM, MODEL_ID

FloatArray = npt.NDArray[np.float32]
ENCODE_CHUNK = 64  # texts per encoder call: about a second on one busy core


class Encoder(Protocol):
    """What we need from ``shop.vectors.TextEncoder``."""

    def encode(self, texts: Sequence[str]) -> FloatArray: ...


def product_text(name: str, category: str, brand: str, description: str) -> str:
    """The text a product is embedded from: what it is first, then how it is described."""
    return f"{name}. {category} by {brand}. {description}".strip()


def _key(text: str) -> str:
    return hashlib.sha1(f"{MODEL_ID}\n{text}".encode()).hexdigest()[:20]


class EmbeddingCache:
    """Unit-length text embeddings by text hash, in memory and optionally in an ``.npz`` file."""

    def __init__(self, encoder_factory: Callable[[], Encoder], path: Path | None = None) -> None:
        self._encoder_factory = encoder_factory
        self._path = path
        self._vectors: dict[str, FloatArray] = {}
        self._lock = threading.Lock()  # refits run in a background thread; requests may encode too
        if path is not None and path.is_file():
            self._load(path)

    def _load(self, path: Path) -> None:
        try:
            with np.load(path, allow_pickle=False) as stored:
                keys, vectors = stored["keys"], stored["vectors"]
        except (OSError, KeyError, ValueError):
            return  # a damaged cache only costs re-encoding
        if vectors.ndim == 2 and vectors.shape[1] == EMBEDDING_DIM:
            self._vectors.update(zip(keys.tolist(), vectors.astype(np.float32), strict=True))

    def save(self) -> None:
        """Write the cache atomically (a reader never sees a half-written file)."""
        if self._path is None:
            return
        with self._lock:
            keys = np.array(list(self._vectors), dtype="U20")
            vectors = np.stack(list(self._vectors.values())) if self._vectors else np.zeros((0, EMBEDDING_DIM))
        self._path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self._path.parent, suffix=".npz")
        os.close(handle)
        try:
            np.savez(temporary, keys=keys, vectors=vectors.astype(np.float32))
            os.replace(temporary, self._path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)

    def lookup(self, texts: Sequence[str], encode_missing: bool = True,
               stop: threading.Event | None = None) -> tuple[FloatArray, int]:
        """Embeddings of ``texts`` (zero rows for those not cached when ``encode_missing`` is False)
        and how many texts are still missing.

        Encoding goes in chunks and ends early once ``stop`` is set (a shutting-down process must not
        wait for a whole catalogue, nor be torn down in the middle of the ONNX runtime).
        """
        keys = [_key(text) for text in texts]
        with self._lock:
            missing = sorted({key: i for i, key in enumerate(keys) if key not in self._vectors}.values())
        if missing and encode_missing:
            encoder = self._encoder_factory()
            for start in range(0, len(missing), ENCODE_CHUNK):
                if stop is not None and stop.is_set():
                    break
                chunk = missing[start : start + ENCODE_CHUNK]
                encoded = encoder.encode([texts[i] for i in chunk])
                with self._lock:
                    self._vectors.update(zip((keys[i] for i in chunk), encoded, strict=True))
        matrix = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        found = 0
        with self._lock:
            for row, key in enumerate(keys):
                vector = self._vectors.get(key)
                if vector is not None:
                    matrix[row] = vector
                    found += 1
        return matrix, len(texts) - found

    def encode_one(self, text: str) -> FloatArray:
        """One text's embedding, through the cache."""
        matrix, _ = self.lookup([text])
        return matrix[0]
