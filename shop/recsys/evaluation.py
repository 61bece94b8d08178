"""Leave-one-out evaluation with full ranking, the standard protocol for sequential implicit data.

Protocol (as ../shared/data/amazon-beauty/SOURCES.md describes it): each user's last item is the test
target and the second-to-last the validation target; the model trains on everything before the
target, ranks *all* items except those already in the user's training history, and HIT@K / NDCG@K
are averaged over users. With one target, NDCG@K = 1 / log2(rank + 2) when rank < K (rank 0 = top).

Ties are broken pessimistically: items scoring the same as the target count as ranked above it, so a
model that gives most items a zero score cannot win hits by the luck of the sort order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from shop.recsys.interactions import History, binary_matrix
from shop.recsys.scorers import Scorer


@dataclass(frozen=True)
class LeaveOneOutSplit:
    """Training histories and the one held-out target item per user (users without enough history dropped)."""

    train: list[list[int]]
    targets: npt.NDArray[np.int64]
    user_ids: npt.NDArray[np.int64]  # position of each kept user in the original list of sequences
    n_items: int


def leave_one_out(sequences: Sequence[History], n_items: int, holdout: int) -> LeaveOneOutSplit:
    """``holdout=1``: test split (target = last item); ``holdout=2``: validation (second-to-last).

    Users need at least one training item before the target, so shorter sequences are left out.
    """
    if holdout < 1:
        raise ValueError("holdout must be >= 1")
    train: list[list[int]] = []
    targets: list[int] = []
    kept: list[int] = []
    for user, sequence in enumerate(sequences):
        if len(sequence) < holdout + 1:
            continue
        train.append(list(sequence[: len(sequence) - holdout]))
        targets.append(sequence[len(sequence) - holdout])
        kept.append(user)
    return LeaveOneOutSplit(train, np.asarray(targets, dtype=np.int64), np.asarray(kept, dtype=np.int64), n_items)


@dataclass(frozen=True)
class RankingMetrics:
    """Averages over ``users`` evaluated users."""

    hit: float
    ndcg: float
    users: int
    k: int


def evaluate(scorer: Scorer, split: LeaveOneOutSplit, k: int = 10, batch_size: int = 1024) -> RankingMetrics:
    """HIT@k and NDCG@k of an already fitted scorer, ranking every item not in the training history.

    The scorer sees users by their index in ``split.train`` (the users it was fitted on).
    """
    hits = 0.0
    gains = 0.0
    n_users = len(split.train)
    for start in range(0, n_users, batch_size):
        stop = min(start + batch_size, n_users)
        users = np.arange(start, stop, dtype=np.int64)
        histories = split.train[start:stop]
        scores = np.array(scorer.score(users, histories), dtype=np.float64)  # copy: masked below
        seen = binary_matrix(histories, split.n_items).nonzero()
        scores[seen] = -np.inf
        targets = split.targets[start:stop]
        target_scores = scores[np.arange(stop - start), targets]
        # Pessimistic rank: every other item with a score >= the target's is ranked above it.
        ranks = (scores >= target_scores[:, None]).sum(axis=1) - 1
        in_top = ranks < k
        hits += float(in_top.sum())
        gains += float((in_top / np.log2(ranks + 2.0)).sum())
    return RankingMetrics(hit=hits / max(n_users, 1), ndcg=gains / max(n_users, 1), users=n_users, k=k)
