"""The offline encoder: unit vectors, sensible similarity order, batching that does not change results."""

from __future__ import annotations

import numpy as np
import pytest

from shop.vectors import EMBEDDING_DIM, ChromaEmbeddingFunction, TextEncoder, open_chroma_client


def test_vectors_are_unit_length(encoder: TextEncoder) -> None:
    vectors = encoder.encode(["wireless headphones", "a", "x" * 5000])  # the last one is truncated, not an error
    assert vectors.shape == (3, EMBEDDING_DIM)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize(
    ("anchor", "close", "far"),
    [
        ("How long does delivery take?", "When will my order arrive?", "Can I pay with PayPal?"),
        ("wireless headphones", "bluetooth earbuds", "cast iron skillet"),
        ("A man is eating food.", "A man is eating a piece of bread.", "A man is riding a horse."),
        ("waterproof trail running shoes", "shoes for running off-road in the rain", "espresso machine"),
    ],
)
def test_paraphrase_is_closer_than_unrelated_text(encoder: TextEncoder, anchor: str, close: str, far: str) -> None:
    a, c, f = encoder.encode([anchor, close, far])
    assert a @ c > a @ f + 0.2


def test_batching_keeps_order_and_values(encoder: TextEncoder) -> None:
    texts = ["short", "a rather longer sentence about a stainless steel coffee maker", "mid length text", "ok"]
    together = encoder.encode(texts)
    one_by_one = np.stack([encoder.encode_one(t) for t in texts])
    assert np.allclose(together, one_by_one, atol=1e-4)
    assert together[1] @ one_by_one[1] > 0.999 and together[1] @ one_by_one[0] < 0.9


def test_empty_input_and_single_string_misuse(encoder: TextEncoder) -> None:
    assert encoder.encode([]).shape == (0, EMBEDDING_DIM)
    with pytest.raises(TypeError):
        encoder.encode("not a list")  # type: ignore[arg-type]


def test_chroma_collection_uses_our_encoder(tmp_path, encoder: TextEncoder) -> None:
    """A collection given the adapter embeds documents and queries offline with this encoder."""
    client = open_chroma_client(tmp_path / "chroma")
    collection = client.create_collection(
        "adapter-test", embedding_function=ChromaEmbeddingFunction(encoder), configuration={"hnsw": {"space": "cosine"}}
    )
    collection.add(ids=["shoe", "pan"], documents=["trail running shoe", "non-stick frying pan"])
    stored = collection.get(ids=["shoe"], include=["embeddings"])["embeddings"][0]
    assert np.allclose(stored, encoder.encode_one("trail running shoe"), atol=1e-5)
    result = collection.query(query_texts=["sneakers for jogging"], n_results=1)
    assert result["ids"][0] == ["shoe"]


def test_bad_chroma_url_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ValueError, match="CHROMA_URL"):
        open_chroma_client(tmp_path, url="chroma:8000")
