"""The whole recommendation ranking over a catalogue snapshot, without any database access.

:class:`CatalogModel` holds what one fit learned (the hybrid collaborative model, co-purchase
neighbours, product text embeddings, popularity within category) and scores every item for one request
from up to five signals, each in [0, 1] and weighted by :class:`BlendWeights`:

- ``collaborative``: the hybrid ALS + item-kNN score of the customer's history (see ``hybrid``);
- ``co_purchase``: item-kNN neighbours of the product the customer is looking at ("goes with this");
- ``content``: text-embedding similarity to that product, or to the customer's recent items. It is
  the only signal a brand-new product has, and the first one a new customer gets;
- ``popularity``: buyers of the item relative to the best seller of its category (the last fallback),
  limited to the categories the customer shops (or the category of the product in view);
- ``query``: how high the catalog search ranked the item for the customer's words.

An item's reason comes from its first strong behavioural signal, then text similarity, else its largest
contribution ("because you bought ...", "similar to ...", "popular in Gardening"). Keeping this free of
SQL lets the benchmark evaluate exactly what the shop ships.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from shop.recsys.hybrid import HybridModel, HybridOptions
from shop.recsys.interactions import History, binary_matrix
from shop.recsys.scorers import AlsOptions, ItemKnnOptions

FloatArray = npt.NDArray[np.float32]


class Signal(str, enum.Enum):
    """Where an item's score came from; decides its reason."""

    collaborative = "collaborative"
    co_purchase = "co_purchase"
    content = "content"
    popularity = "popularity"
    query = "query"


@dataclass(frozen=True)
class BlendWeights:
    """How much each signal counts. Chosen on validation splits (bench/recommend_bench.py): popularity
    on Amazon Beauty (real purchases), the text weights on the seeded shop (Beauty has no product text)."""

    collaborative: float = 1.0  # personal: the hybrid CF score of the history
    content: float = 0.3  # personal: text similarity to the recent items
    co_purchase: float = 0.5  # "goes with this": co-purchase neighbours of the product in view
    anchor_content: float = 0.3  # "goes with this": text similarity to the product in view
    popularity: float = 0.25  # within category (within the product's category for "goes with this")
    query: float = 0.3


@dataclass(frozen=True)
class CatalogOptions:
    """Everything a fit needs to know.

    The shop has far fewer customers than Amazon Beauty, so ALS gets fewer factors than the Beauty-tuned
    256 (more factors than a few hundred customers support only overfit), and item-kNN keeps 200
    neighbours instead of 1,000: on Beauty that costs 1 % of kNN's NDCG@10 and bounds the similarity
    matrix at 200 entries per bought product, whatever the catalogue size.
    """

    hybrid: HybridOptions = field(
        default_factory=lambda: HybridOptions(als=AlsOptions(factors=32), knn=ItemKnnOptions(neighbours=200))
    )
    weights: BlendWeights = field(default_factory=BlendWeights)
    global_popularity_share: float = 0.1  # orders best sellers across categories in the popularity signal
    strong_reason: float = 0.5  # a specific signal this strong (of its maximum) gives the reason, not popularity


@dataclass(frozen=True)
class CatalogItem:
    """One product as the model sees it."""

    id: str
    name: str
    category: str
    prior: float = 0.0  # popularity before any order (e.g. from ratings and review counts); breaks ties


@dataclass(frozen=True)
class ScoringRequest:
    """One recommendation request in item indices of the snapshot."""

    history: Sequence[int] = ()  # the customer's items, oldest first
    strengths: Sequence[float] = ()  # one per history event (1 = ordered, less for a cart line)
    cart: Collection[int] = ()  # history items that are in the cart (for reasons)
    anchor: int | None = None  # the product the customer is looking at, if the snapshot knows it
    anchor_vector: FloatArray | None = None  # its text embedding when the snapshot does not know it
    anchor_name: str | None = None
    anchor_category: str | None = None  # its category: the popularity fallback stays within it
    candidates: npt.NDArray[np.int64] | None = None  # allowed items (query matches), best match first
    exclude: Collection[int] = ()  # never recommend these (bought, in the cart, the anchor itself)


@dataclass(frozen=True)
class ScoredCatalog:
    """Per-signal weighted scores and their sum (``-inf`` for items that must not be recommended)."""

    total: FloatArray
    signals: dict[Signal, FloatArray]  # weighted
    weights: dict[Signal, float]  # the weight each signal got (to read it on its own [0, 1] scale)
    content_source: npt.NDArray[np.int64] | None  # per item: history item it is most similar to (-1: none)

    def ranked(self, first: int = 50) -> Iterator[int]:
        """Item indices by descending score; the first ``first`` come from a partial sort (cheap on big catalogues)."""
        allowed = np.flatnonzero(np.isfinite(self.total))
        if allowed.size == 0:
            return
        first = min(first, allowed.size)
        scores = self.total[allowed]
        top = np.argpartition(-scores, first - 1)[:first]
        top = top[np.argsort(-scores[top], kind="stable")]
        yield from allowed[top].tolist()
        if first < allowed.size:
            rest = np.setdiff1d(np.arange(allowed.size), top, assume_unique=True)
            yield from allowed[rest[np.argsort(-scores[rest], kind="stable")]].tolist()

    def dominant(self, item: int) -> Signal:
        """The signal that contributed most to ``item`` (popularity when nothing else did)."""
        best, best_value = Signal.popularity, 0.0
        for signal, values in self.signals.items():
            if values[item] > best_value:
                best, best_value = signal, float(values[item])
        return best

    def reason_signal(self, item: int, strong: float) -> Signal:
        """The signal to explain ``item`` with: the first specific one (bought with, then similar to) that
        is strong on its own scale (>= ``strong`` of its maximum), else the largest contribution.

        Popularity is the fallback reason: a best seller that is also very similar to what the customer
        looks at is better explained by the similarity.
        """
        for signal in (Signal.collaborative, Signal.co_purchase, Signal.content):  # behaviour before text
            weight = self.weights.get(signal, 0.0)
            if signal in self.signals and weight > 0 and self.signals[signal][item] / weight >= strong:
                return signal
        return self.dominant(item)


def _scaled(values: FloatArray, ignore: Sequence[int] = ()) -> FloatArray:
    """Non-negative, divided by the maximum, so each signal spans [0, 1] whatever its model's scale.

    ``ignore`` (items the customer already has, which CF scores highest) does not set the maximum.
    """
    values = np.clip(np.asarray(values, dtype=np.float32), 0.0, None)
    reference = values.copy()
    reference[list(ignore)] = 0.0
    top = float(reference.max()) if reference.size else 0.0
    return np.clip(values / top, 0.0, 1.0) if top > 0 else np.zeros_like(values)


def _similarity_scaled(similarity: FloatArray, ignore: Sequence[int]) -> FloatArray:
    """Cosine similarities to [0, 1]: the catalogue's median maps to 0, the most similar item to 1.

    Text embeddings of unrelated products still have cosines of 0.2-0.35, so raw values would give every
    product a sizeable content score; centring on the median keeps only what is more similar than usual.
    ``ignore`` (the anchor, the history: similar to themselves) does not set the maximum.
    """
    centred = similarity - np.float32(np.median(similarity))
    reference = centred.copy()
    reference[list(ignore)] = 0.0
    top = float(reference.max()) if reference.size else 0.0
    if top <= 0:
        return np.zeros_like(similarity)
    return np.clip(centred / top, 0.0, 1.0)


class CatalogModel:
    """What one fit learned about a catalogue; immutable once built, so requests may share it freely."""

    def __init__(
        self,
        items: Sequence[CatalogItem],
        options: CatalogOptions,
        hybrid: HybridModel | None,
        popularity: FloatArray,
        embeddings: FloatArray | None,
    ) -> None:
        self.items = list(items)
        self.index = {item.id: position for position, item in enumerate(self.items)}
        self.options = options
        self.hybrid = hybrid
        self.popularity = popularity
        self.embeddings = embeddings
        self.categories = np.array([item.category for item in self.items])
        _, self.category_codes = np.unique(self.categories, return_inverse=True)

    @classmethod
    def fit(
        cls,
        items: Sequence[CatalogItem],
        histories: Sequence[History],
        strengths: Sequence[Sequence[float]] | None = None,
        embeddings: FloatArray | None = None,
        options: CatalogOptions | None = None,
    ) -> CatalogModel:
        """Train on the customers' histories (item indices into ``items``); ``embeddings`` row i embeds item i
        (zero rows for items not encoded yet)."""
        options = options or CatalogOptions()
        n_items = len(items)
        matrix = binary_matrix(histories, n_items, strengths)
        hybrid: HybridModel | None = None
        if matrix.nnz and matrix.shape[0] > 1:  # nothing to factorise before the first orders
            hybrid = HybridModel(options.hybrid)
            hybrid.fit(histories, n_items, strengths)
        buyers = np.asarray((matrix > 0).sum(axis=0), dtype=np.float32).ravel()
        return cls(items, options, hybrid, _category_popularity(items, buyers, options), embeddings)

    # --- scoring -----------------------------------------------------------------------------------------

    def with_weights(self, weights: BlendWeights) -> CatalogModel:
        """The same fitted model with other blend weights (tunes them without refitting)."""
        return CatalogModel(self.items, replace(self.options, weights=weights), self.hybrid, self.popularity,
                            self.embeddings)

    def collaborative_scores(self, histories: Sequence[History]) -> FloatArray | None:
        """The hybrid CF scores of many histories at once (None before any order): lets a batch evaluation
        pass them to :meth:`score` instead of scoring one history at a time."""
        if self.hybrid is None:
            return None
        return self.hybrid.score(np.zeros(len(histories), dtype=np.int64), histories)

    def score(self, request: ScoringRequest, collaborative: FloatArray | None = None) -> ScoredCatalog:
        """Weighted signals for every item of the snapshot (``collaborative``: the request's CF scores,
        when already computed by :meth:`collaborative_scores`)."""
        weights = self.options.weights
        n_items = len(self.items)
        history = [item for item in request.history if 0 <= item < n_items]
        anchored = request.anchor is not None or request.anchor_vector is not None
        popularity = self.popularity
        if request.anchor_category is not None or request.anchor is not None:
            category = request.anchor_category or self.items[request.anchor].category  # type: ignore[index]
            popularity = np.where(self.categories == category, popularity, 0.0).astype(np.float32)
        elif history:
            popularity = popularity * self._category_affinity(history)[self.category_codes]
        signals: dict[Signal, FloatArray] = {Signal.popularity: weights.popularity * popularity}
        content_source: npt.NDArray[np.int64] | None = None

        if anchored:
            # "Goes with this": the product in view decides; the customer's history only excludes items.
            if request.anchor is not None and self.hybrid is not None and weights.co_purchase > 0:
                neighbours, similarity = self.hybrid.co_purchased(request.anchor)
                co_purchase = np.zeros(n_items, dtype=np.float32)
                co_purchase[neighbours] = similarity
                signals[Signal.co_purchase] = weights.co_purchase * _scaled(co_purchase, [request.anchor])
            vector = request.anchor_vector
            if vector is None and self.embeddings is not None and request.anchor is not None:
                vector = self.embeddings[request.anchor]
            if vector is not None and self.embeddings is not None and weights.anchor_content > 0 and np.any(vector):
                ignore = [request.anchor] if request.anchor is not None else []
                similarity = _similarity_scaled(self.embeddings @ vector, ignore)
                signals[Signal.content] = weights.anchor_content * similarity
        elif history:
            strengths = list(request.strengths) if request.strengths else [1.0] * len(request.history)
            strengths = [s for item, s in zip(request.history, strengths, strict=True) if 0 <= item < n_items]
            if self.hybrid is not None and weights.collaborative > 0:
                if collaborative is None:
                    collaborative = self.hybrid.score(np.zeros(1, dtype=np.int64), [history], [strengths])[0]
                signals[Signal.collaborative] = weights.collaborative * _scaled(collaborative, history)
            if self.embeddings is not None and weights.content > 0:
                content, content_source = self._history_similarity(history)
                signals[Signal.content] = weights.content * content

        total = np.sum(list(signals.values()), axis=0).astype(np.float32)
        if request.candidates is not None:
            allowed = np.full(n_items, -np.inf, dtype=np.float32)
            candidates = np.asarray(request.candidates, dtype=np.int64)
            relevance = np.zeros(n_items, dtype=np.float32)
            if candidates.size:
                # Search order to [1, 1/n]: the best match gets the full query weight.
                relevance[candidates] = 1.0 - np.arange(candidates.size, dtype=np.float32) / candidates.size
                allowed[candidates] = 0.0
            signals[Signal.query] = weights.query * relevance
            total = total + signals[Signal.query] + allowed
        excluded = [item for item in request.exclude if 0 <= item < n_items]
        if request.anchor is not None:
            excluded.append(request.anchor)
        total[excluded] = -np.inf
        used = {Signal.collaborative: weights.collaborative, Signal.co_purchase: weights.co_purchase,
                Signal.content: weights.anchor_content if anchored else weights.content,
                Signal.popularity: weights.popularity, Signal.query: weights.query}
        return ScoredCatalog(total=total, signals=signals, weights=used, content_source=content_source)

    def _category_affinity(self, history: Sequence[int]) -> FloatArray:
        """Per category code: the recency-weighted share of the history in it, the top category scoring 1.

        Popularity then means "popular in the categories you shop", never best sellers of unrelated ones.
        """
        decay = self.options.hybrid.recency_decay
        ages = np.arange(len(history) - 1, -1, -1, dtype=np.float32)
        affinity = np.bincount(self.category_codes[np.asarray(history)], weights=decay**ages,
                               minlength=int(self.category_codes.max()) + 1).astype(np.float32)
        return affinity / affinity.max()

    def _history_similarity(self, history: Sequence[int]) -> tuple[FloatArray, npt.NDArray[np.int64]]:
        """Per item: the best recency-weighted cosine to a history item, and which history item that was."""
        assert self.embeddings is not None
        decay = self.options.hybrid.recency_decay
        recent: dict[int, float] = {}
        for age, item in enumerate(reversed(history)):
            recent.setdefault(item, decay**age)
        sources = np.fromiter(recent, dtype=np.int64)
        weights = np.fromiter(recent.values(), dtype=np.float32)
        similarity = (self.embeddings @ self.embeddings[sources].T) * weights
        best = similarity.argmax(axis=1)
        strongest = similarity[np.arange(similarity.shape[0]), best]
        return _similarity_scaled(strongest, sources.tolist()), sources[best]

    # --- reasons -----------------------------------------------------------------------------------------

    def reason(self, item: int, request: ScoringRequest, scored: ScoredCatalog, query: str | None = None) -> str:
        """A short, speakable reason for recommending ``item`` in answer to ``request``."""
        signal = scored.reason_signal(item, self.options.strong_reason)
        anchor_name = request.anchor_name or (
            self.items[request.anchor].name if request.anchor is not None else None
        )
        if signal is Signal.collaborative:
            source = self._strongest_history_neighbour(item, request)
            if source is not None:
                return self._because(source, request)
            return "popular with customers who buy what you buy"
        if signal is Signal.co_purchase and anchor_name:
            return f"often bought with {anchor_name}"
        if signal is Signal.content:
            if anchor_name:
                return f"similar to {anchor_name}"
            if scored.content_source is not None and scored.content_source[item] >= 0:
                source = int(scored.content_source[item])
                where = "in your cart" if source in request.cart else "you bought"
                return f"similar to {self.items[source].name} {where}"
        if signal is Signal.query and query:
            return f'a top match for "{query.strip()}"'
        return f"popular in {self.items[item].category}"

    def _because(self, source: int, request: ScoringRequest) -> str:
        if source in request.cart:
            return f"goes with {self.items[source].name} in your cart"
        return f"because you bought {self.items[source].name}"

    def _strongest_history_neighbour(self, item: int, request: ScoringRequest) -> int | None:
        """The history item whose co-purchase similarity (recency-weighted) contributes most to ``item``."""
        if self.hybrid is None or not request.history:
            return None
        decay = self.options.hybrid.recency_decay
        best, best_value = None, 0.0
        seen: set[int] = set()
        for age, source in enumerate(reversed(request.history)):
            if source in seen or not 0 <= source < len(self.items):
                continue
            seen.add(source)
            value = float(self.hybrid.knn.similarity[source, item]) * decay**age
            if value > best_value:
                best, best_value = source, value
        return best


def _category_popularity(items: Sequence[CatalogItem], buyers: FloatArray, options: CatalogOptions) -> FloatArray:
    """Buyers relative to the best seller of the same category, plus a small global share.

    Normalising within the category makes the best seller of every category score alike, so a new
    customer sees the top items of several categories instead of ten items of the busiest one. The
    catalogue prior (ratings, reviews) only breaks ties among items nobody has bought yet.
    """
    priors = np.array([item.prior for item in items], dtype=np.float32)
    prior_scale = float(priors.max()) if priors.size and priors.max() > 0 else 1.0
    score = buyers + 0.5 * priors / prior_scale  # < 1: a prior never outweighs one real buyer
    categories = np.array([item.category for item in items])
    within = np.zeros_like(score)
    for category in np.unique(categories):
        members = categories == category
        top = float(score[members].max())
        within[members] = score[members] / top if top > 0 else 0.0
    share = options.global_popularity_share
    top = float(score.max()) if score.size else 0.0
    overall = score / top if top > 0 else np.zeros_like(score)
    return ((1.0 - share) * within + share * overall).astype(np.float32)

