"""The model layer: histories to matrices, the leave-one-out protocol and its metrics, the hybrid."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest

from shop.recsys.amazon_beauty import DEFAULT_PATH, load_sequences
from shop.recsys.evaluation import evaluate, leave_one_out
from shop.recsys.hybrid import HybridModel, HybridOptions
from shop.recsys.interactions import binary_matrix, recency_matrix
from shop.recsys.scorers import AlsOptions, ItemKnnOptions, ItemKnnScorer, PopularityScorer


class FixedScoresScorer:
    """Test double: returns preset scores, so the expected ranks are known exactly."""

    def __init__(self, scores: npt.NDArray[np.float32]) -> None:
        self.scores = scores

    def fit(self, histories: object, n_items: int) -> None:
        pass

    def score(self, users: npt.NDArray[np.int64], histories: object) -> npt.NDArray[np.float32]:
        return self.scores[users]


def test_binary_and_recency_matrices() -> None:
    histories = [[0, 2, 0, 3], [1]]
    binary = binary_matrix(histories, 4).toarray()
    assert binary.tolist() == [[1, 0, 1, 1], [0, 1, 0, 0]]
    recency = recency_matrix(histories, 4, decay=0.5).toarray()
    # newest first: 3 (age 0) -> 1, 0 (age 1) -> 0.5, 2 (age 2) -> 0.25; the older 0 is ignored
    assert recency[0].tolist() == [0.5, 0.0, 0.25, 1.0]
    assert recency[1].tolist() == [0.0, 1.0, 0.0, 0.0]
    weighted = recency_matrix([[0, 1]], 2, decay=0.5, strengths=[[1.0, 0.5]]).toarray()
    assert weighted[0].tolist() == [0.5, 0.5]


def test_leave_one_out_targets_and_short_users() -> None:
    sequences = [[0, 1, 2], [3, 4], [5]]
    test = leave_one_out(sequences, 6, holdout=1)
    assert test.train == [[0, 1], [3]] and test.targets.tolist() == [2, 4] and test.user_ids.tolist() == [0, 1]
    valid = leave_one_out(sequences, 6, holdout=2)
    assert valid.train == [[0]] and valid.targets.tolist() == [1]


def test_metrics_rank_the_target_among_unseen_items_pessimistically() -> None:
    split = leave_one_out([[0, 1], [2, 3], [4, 5]], 6, holdout=1)  # histories [0], [2], [4]; targets 1, 3, 5
    scores = np.array([
        [9.0, 5.0, 1.0, 1.0, 1.0, 1.0],  # item 0 is in the history (masked): the target ranks first
        [0.0, 7.0, 8.0, 6.0, 6.5, 0.0],  # items 1 and 4 score higher: rank 2
        [0.0, 1.0, 1.0, 1.0, 1.0, 1.0],  # a tie with 4 other items: counted as rank 4 (pessimistic)
    ], dtype=np.float32)
    metrics = evaluate(FixedScoresScorer(scores), split, k=3)
    assert metrics.users == 3
    assert metrics.hit == pytest.approx(2 / 3)
    assert metrics.ndcg == pytest.approx((1.0 + 1.0 / math.log2(4)) / 3)


def test_item_knn_beats_popularity_on_a_clear_pattern() -> None:
    # 0 goes with 1 and 2 with 3. In training, items 0 and 2 are the most popular (15 users each), so
    # popularity always offers a user the one of them they lack, never the target; co-purchases find it.
    sequences = [[0, 1, 4]] * 10 + [[2, 3, 4]] * 10 + [[4, 0, 1]] * 5 + [[4, 2, 3]] * 5
    split = leave_one_out(sequences, 5, holdout=1)
    popularity, knn = PopularityScorer(), ItemKnnScorer(ItemKnnOptions(kind="cosine", neighbours=5))
    popularity.fit(split.train, 5)
    knn.fit(split.train, 5)
    assert evaluate(knn, split, k=1).hit == 1.0
    assert evaluate(popularity, split, k=1).hit == 0.0


def test_hybrid_folds_in_a_history_it_never_saw() -> None:
    sequences = [[0, 1] for _ in range(8)] + [[2, 3] for _ in range(8)]
    model = HybridModel(HybridOptions(als=AlsOptions(factors=4, iterations=10)))
    model.fit(sequences, 5)
    scores = model.score(np.zeros(1, dtype=np.int64), [[2]])[0]
    assert int(np.argmax(np.where(np.arange(5) == 2, -np.inf, scores))) == 3
    neighbours, similarity = model.co_purchased(0)
    assert neighbours.tolist() == [1] and similarity[0] > 0


def test_amazon_beauty_file_matches_its_sources_description() -> None:
    if not DEFAULT_PATH.is_file():
        pytest.skip(f"Amazon Beauty data absent at {DEFAULT_PATH} (../shared/data/amazon-beauty)")
    sequences, n_items = load_sequences()
    assert (len(sequences), n_items, sum(map(len, sequences))) == (22_363, 12_101, 198_502)
