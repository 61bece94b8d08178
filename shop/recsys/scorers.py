"""Baseline recommenders behind one interface: popularity, item-kNN, ALS and BPR (all but popularity
from the ``implicit`` library).

A scorer is fitted on training histories and then scores *every* item for a batch of users, so the
evaluation can rank the full catalogue (no sampled negatives). Scores are only compared within a user.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt
import scipy.linalg  # noqa: F401 - loads scipy's OpenBLAS now, so the thread limit below covers it too
import scipy.sparse as sp
from implicit.als import AlternatingLeastSquares
from implicit.bpr import BayesianPersonalizedRanking
from implicit.nearest_neighbours import BM25Recommender, CosineRecommender, ItemItemRecommender, TFIDFRecommender
from implicit.utils import ParameterWarning
from threadpoolctl import threadpool_limits

from shop.recsys.interactions import History, binary_matrix

Scores = npt.NDArray[np.float32]
KnnKind = Literal["cosine", "tfidf", "bm25"]


class Scorer(Protocol):
    """What the evaluation needs from a model."""

    def fit(self, histories: Sequence[History], n_items: int) -> None:
        """Train on the users' histories (user ``u`` is ``histories[u]``)."""

    def score(self, users: npt.NDArray[np.int64], histories: Sequence[History]) -> Scores:
        """Scores of all items for ``users`` (rows), whose current histories are ``histories``."""


def fit_item_knn(model: ItemItemRecommender, matrix: sp.csr_matrix) -> None:
    """Fit an implicit item-item model, silencing its warning about a COO matrix it converts itself
    (TF-IDF and BM25 weighting build one internally; the input is already CSR)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ParameterWarning)
        model.fit(matrix, show_progress=False)


def single_threaded_blas() -> threadpool_limits:
    """BLAS limited to one thread while implicit trains: its own threads already use the cores, and a
    second layer of BLAS threads on top makes training several times slower (implicit warns about it)."""
    return threadpool_limits(limits=1, user_api="blas")


class PopularityScorer:
    """Every user gets the items with the most users, the usual floor for a recommender."""

    def __init__(self) -> None:
        self.counts: Scores = np.zeros(0, dtype=np.float32)

    def fit(self, histories: Sequence[History], n_items: int) -> None:
        self.counts = np.asarray(binary_matrix(histories, n_items).sum(axis=0), dtype=np.float32).ravel()

    def score(self, users: npt.NDArray[np.int64], histories: Sequence[History]) -> Scores:
        return np.broadcast_to(self.counts, (len(users), self.counts.size)).copy()


def make_item_knn(kind: KnnKind, neighbours: int, num_threads: int) -> ItemItemRecommender:
    """implicit's item-item model with the given similarity (cosine, TF-IDF or BM25 weighted cosine)."""
    classes: dict[str, type[ItemItemRecommender]] = {
        "cosine": CosineRecommender,
        "tfidf": TFIDFRecommender,
        "bm25": BM25Recommender,
    }
    if kind not in classes:
        raise ValueError(f"unknown item-kNN kind {kind!r}; choose one of {sorted(classes)}")
    return classes[kind](K=neighbours, num_threads=num_threads)


@dataclass(frozen=True)
class ItemKnnOptions:
    """Item-kNN: ``neighbours`` most similar items kept per item."""

    kind: KnnKind = "tfidf"
    neighbours: int = 1000
    num_threads: int = 1


class ItemKnnScorer:
    """Classic item-based CF: an item scores the summed similarity to everything the user has."""

    def __init__(self, options: ItemKnnOptions | None = None) -> None:
        self.options = options or ItemKnnOptions()
        self.model = make_item_knn(self.options.kind, self.options.neighbours, self.options.num_threads)
        self.n_items = 0

    def fit(self, histories: Sequence[History], n_items: int) -> None:
        self.n_items = n_items
        with single_threaded_blas():
            fit_item_knn(self.model, binary_matrix(histories, n_items))

    def score(self, users: npt.NDArray[np.int64], histories: Sequence[History]) -> Scores:
        rows = binary_matrix(histories, self.n_items)
        return np.asarray((rows @ self.model.similarity).toarray(), dtype=np.float32)


@dataclass(frozen=True)
class AlsOptions:
    """implicit's ALS (Hu, Koren & Volinsky 2008): confidence ``1 + alpha * r``."""

    factors: int = 256
    regularization: float = 1.0
    alpha: float = 40.0
    iterations: int = 15
    num_threads: int = 1
    random_state: int = 0


def make_als(options: AlsOptions) -> AlternatingLeastSquares:
    """implicit's CPU ALS; built under the BLAS limit because its constructor checks (and warns about) it."""
    with single_threaded_blas():
        return AlternatingLeastSquares(
            factors=options.factors,
            regularization=options.regularization,
            alpha=options.alpha,
            iterations=options.iterations,
            num_threads=options.num_threads,
            random_state=options.random_state,
            use_gpu=False,
        )


class AlsScorer:
    """Matrix factorisation with the user factors learned in training."""

    def __init__(self, options: AlsOptions | None = None) -> None:
        self.options = options or AlsOptions()
        self.model = make_als(self.options)

    def fit(self, histories: Sequence[History], n_items: int) -> None:
        with single_threaded_blas():
            self.model.fit(binary_matrix(histories, n_items), show_progress=False)

    def score(self, users: npt.NDArray[np.int64], histories: Sequence[History]) -> Scores:
        return self.model.user_factors[users] @ self.model.item_factors.T


@dataclass(frozen=True)
class BprOptions:
    """implicit's BPR (Rendle et al. 2009), trained by SGD on sampled (liked, not liked) pairs."""

    factors: int = 128
    learning_rate: float = 0.05
    regularization: float = 0.001
    iterations: int = 100
    num_threads: int = 1
    random_state: int = 0


class BprScorer:
    """Matrix factorisation optimised for pairwise ranking."""

    def __init__(self, options: BprOptions | None = None) -> None:
        self.options = options or BprOptions()
        self.model = BayesianPersonalizedRanking(
            factors=self.options.factors,
            learning_rate=self.options.learning_rate,
            regularization=self.options.regularization,
            iterations=self.options.iterations,
            num_threads=self.options.num_threads,
            random_state=self.options.random_state,
            use_gpu=False,
        )

    def fit(self, histories: Sequence[History], n_items: int) -> None:
        with single_threaded_blas():
            self.model.fit(binary_matrix(histories, n_items), show_progress=False)

    def score(self, users: npt.NDArray[np.int64], histories: Sequence[History]) -> Scores:
        return self.model.user_factors[users] @ self.model.item_factors.T
