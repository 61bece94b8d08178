"""The shipped collaborative model: implicit's ALS blended with recency-weighted item-kNN.

Why a blend: on Amazon Beauty (see docs/recommendations.md) item-kNN scored from the *latest*
purchases and ALS each reach roughly 6x popularity's NDCG@10, and they err differently: kNN knows
"what goes with what you just bought", ALS knows "what people with your overall taste buy". Their
max-normalised blend beats both.

Freshness: ALS user factors are never read from training. Every request folds the user's current
history in with implicit's ``recalculate_user`` (one small least-squares solve), and the kNN part reads
the current history directly, so a purchase made a second ago already counts; only *item* knowledge
(new items, new co-purchase patterns) waits for the next refit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from shop.recsys.interactions import History, binary_matrix, recency_matrix
from shop.recsys.scorers import (
    AlsOptions,
    ItemKnnOptions,
    Scores,
    fit_item_knn,
    make_als,
    make_item_knn,
    single_threaded_blas,
)

Strengths = Sequence[Sequence[float]] | None


@dataclass(frozen=True)
class HybridOptions:
    """The blend. Defaults are the values tuned on Amazon Beauty's validation split (bench/recommend_bench.py)."""

    als: AlsOptions = field(default_factory=AlsOptions)
    knn: ItemKnnOptions = field(default_factory=ItemKnnOptions)
    knn_weight: float = 0.7  # share of item-kNN in the blend; ALS gets the rest
    recency_decay: float = 0.5  # weight of the k-th most recent item in the kNN part: decay ** k


def _max_normalised(scores: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Each row divided by its largest absolute score, so the two models' scales are comparable."""
    scale = np.abs(scores).max(axis=1, keepdims=True)
    scale[scale == 0] = 1.0
    return scores / scale


class HybridModel:
    """ALS + item-kNN over integer item indices; fit once, score any history (fold-in)."""

    def __init__(self, options: HybridOptions | None = None) -> None:
        self.options = options or HybridOptions()
        self.als = make_als(self.options.als)
        self.knn = make_item_knn(self.options.knn.kind, self.options.knn.neighbours, self.options.knn.num_threads)
        self.n_items = 0

    def fit(self, histories: Sequence[History], n_items: int, strengths: Strengths = None) -> None:
        """Train both models on the users' histories; ``strengths`` weighs events (e.g. 0.5 for a cart line)."""
        self.n_items = n_items
        matrix = binary_matrix(histories, n_items, strengths)
        with single_threaded_blas():
            self.als.fit(matrix, show_progress=False)
            fit_item_knn(self.knn, matrix)
        _ = self.als.YtY  # computed once here, not lazily by concurrent requests

    def with_blend(self, knn_weight: float, recency_decay: float) -> HybridModel:
        """The same fitted models with other blend settings (used to tune them without refitting)."""
        other = HybridModel.__new__(HybridModel)
        other.options = replace(self.options, knn_weight=knn_weight, recency_decay=recency_decay)
        other.als, other.knn, other.n_items = self.als, self.knn, self.n_items
        return other

    def knn_scores(self, histories: Sequence[History], strengths: Strengths = None) -> sp.csr_matrix:
        """Summed co-purchase similarity of every item to each user's recency-weighted history."""
        rows = recency_matrix(histories, self.n_items, self.options.recency_decay, strengths)
        return (rows @ self.knn.similarity).tocsr()

    def als_scores(self, histories: Sequence[History], strengths: Strengths = None) -> Scores:
        """ALS scores with user factors folded in from the given histories (not the training ones)."""
        rows = binary_matrix(histories, self.n_items, strengths)
        factors = self.als.recalculate_user(np.arange(len(histories)), rows)
        return np.atleast_2d(factors) @ self.als.item_factors.T

    def score(
        self, users: npt.NDArray[np.int64], histories: Sequence[History], strengths: Strengths = None
    ) -> Scores:
        """Blended scores of every item for each history (``users`` is unused: everything is folded in)."""
        knn = _max_normalised(self.knn_scores(histories, strengths).toarray())
        als = _max_normalised(self.als_scores(histories, strengths))
        weight = self.options.knn_weight
        return (weight * knn + (1.0 - weight) * als).astype(np.float32)

    def co_purchased(self, item: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
        """Items most often bought by the same customers as ``item`` and their similarity ("goes with this")."""
        if not 0 <= item < self.n_items:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        row = self.knn.similarity[item]
        keep = row.indices != item
        return row.indices[keep], row.data[keep].astype(np.float32)
