"""shop.recsys.service against a small real SQLite shop with the real text encoder."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from shop.models import OrderStatus, Product
from shop.recsys.service import Recommender, RecommenderOptions, UnknownProductError, main
from tests.shop.recsys.conftest import ORDERS, PRODUCTS, SmallShop, add_to_cart, place_order, set_stock

NAMES = {product_id: name for product_id, name, _, _ in PRODUCTS}
CATEGORIES = {product_id: category for product_id, _, category, _ in PRODUCTS}
BUYERS = Counter(product_id for orders in ORDERS.values() for product_id in {p for order in orders for p in order})


def ids(results: list[tuple[Product, str]]) -> list[str]:
    return [product.id for product, _ in results]


# --- cold start -------------------------------------------------------------------------------------------


def test_new_customer_gets_best_sellers_with_category_reasons(shop: SmallShop, recommender: Recommender) -> None:
    with shop.session() as session:
        results = recommender.recommend(session, shop.users["newbie"], limit=5)
    assert len(results) == 5
    # The product with the most buyers comes first. Reasons name each product's own category.
    (best_seller, buyers), (_, runner_up) = BUYERS.most_common(2)
    assert buyers > runner_up
    assert ids(results)[0] == best_seller
    for product, reason in results:
        assert reason == f"popular in {product.category}"
    # Popularity is normalised within category: every result is a best seller of its own category
    # (rather than the five best sellers of the busiest category).
    for product, _ in results:
        rivals = [pid for pid, category in CATEGORIES.items() if category == product.category]
        assert BUYERS[product.id] == max(BUYERS[pid] for pid in rivals)


def test_unknown_customer_id_is_treated_as_new(shop: SmallShop, recommender: Recommender) -> None:
    with shop.session() as session:
        results = recommender.recommend(session, 987_654, limit=3)
    assert ids(results)[0] == BUYERS.most_common(1)[0][0]


def test_new_product_is_recommended_for_a_related_product_by_text(shop: SmallShop,
                                                                   recommender: Recommender) -> None:
    with shop.session() as session:
        results = recommender.recommend(session, shop.users["newbie"], product_id="p1", limit=5)
    reasons = {product.id: reason for product, reason in results}
    # p20 has no orders at all; it is found through its description ("espresso maker ... latte").
    assert "p20" in reasons
    assert reasons["p20"] == f"similar to {NAMES['p1']}"
    # The co-purchase partner leads, with a co-purchase reason.
    assert ids(results)[0] == "p2"
    assert reasons["p2"] == f"often bought with {NAMES['p1']}"
    assert "p1" not in reasons  # never the product itself


def test_product_added_after_the_fit_can_anchor_a_request(shop: SmallShop, recommender: Recommender) -> None:
    with shop.session() as session:
        recommender.fit(session)
        session.add(Product(id="p30", name="Cordless Hedge Trimmer", brand="Acme", category="Gardening",
                            description="Battery hedge trimmer for shaping shrubs and hedges in the garden.",
                            price=80.0, rating=4.0, review_count=3, stock=5, colors=[], sizes=[]))
        session.commit()
        results = recommender.recommend(session, shop.users["newbie"], product_id="p30", limit=3)
    assert results, "a product unknown to the model must still get text-similar recommendations"
    assert {CATEGORIES[product.id] for product, _ in results} == {"Gardening"}
    # The closest text (pruning shears) leads on similarity; the rest may be category best sellers.
    assert results[0] == (results[0][0], "similar to Cordless Hedge Trimmer")
    assert results[0][0].id == "p6"
    assert {reason for _, reason in results} <= {"similar to Cordless Hedge Trimmer", "popular in Gardening"}


# --- personal recommendations and exclusions ---------------------------------------------------------------


def test_customer_gets_co_purchased_item_because_of_their_order(shop: SmallShop, recommender: Recommender) -> None:
    with shop.session() as session:
        results = recommender.recommend(session, shop.users["espresso_fan"], limit=3)
    assert ids(results)[0] == "p2"
    assert results[0][1] == f"because you bought {NAMES['p1']}"


def test_products_from_the_latest_order_and_the_cart_are_never_recommended(shop: SmallShop,
                                                                          recommender: Recommender) -> None:
    user = shop.users["espresso_fan"]
    with shop.session() as session:
        add_to_cart(session, user, "p4")
        results = recommender.recommend(session, user, limit=50)
        anchored = recommender.recommend(session, user, product_id="p2", limit=50)
    for found in (ids(results), ids(anchored)):
        assert "p1" not in found  # the latest order
        assert "p14" not in found  # an earlier order (excluded by default)
        assert "p4" not in found  # in the cart
    assert len(results) == len(PRODUCTS) - 3


def test_only_the_latest_order_is_excluded_when_configured(shop: SmallShop, embedding_cache: Path) -> None:
    recommender = Recommender(RecommenderOptions(refit_interval_s=0, embedding_cache=embedding_cache,
                                                 exclude_all_purchased=False))
    with shop.session() as session:
        found = ids(recommender.recommend(session, shop.users["espresso_fan"], limit=50))
    assert "p1" not in found
    assert "p14" in found


def test_cart_items_drive_recommendations_with_a_cart_reason(shop: SmallShop, recommender: Recommender) -> None:
    user = shop.users["newbie"]
    with shop.session() as session:
        add_to_cart(session, user, "p5")
        results = recommender.recommend(session, user, limit=2)
    assert set(ids(results)) <= {"p6", "p7"}
    assert results[0][1] == f"goes with {NAMES['p5']} in your cart"


# --- out of stock -------------------------------------------------------------------------------------------


def test_out_of_stock_products_are_never_returned(shop: SmallShop, recommender: Recommender) -> None:
    with shop.session() as session:
        recommender.fit(session)
        # Set after the fit: stock is read fresh on every request, not from the model.
        set_stock(session, "p2", 0)
        set_stock(session, "p9", 0)
        requests = [
            {"user_id": shop.users["espresso_fan"]},
            {"user_id": shop.users["newbie"]},
            {"user_id": shop.users["newbie"], "product_id": "p1"},
            {"user_id": shop.users["runner1"], "query": "wireless earbuds headphones"},
        ]
        for arguments in requests:
            results = recommender.recommend(session, limit=50, **arguments)
            assert results, arguments
            assert not {"p2", "p9"} & set(ids(results)), arguments
            assert all(product.stock > 0 for product, _ in results)


# --- the query filter ---------------------------------------------------------------------------------------


def test_query_narrows_to_matching_products(shop: SmallShop, recommender: Recommender) -> None:
    with shop.session() as session:
        headphones = recommender.recommend(session, shop.users["coffee1"], query="headphones", limit=10)
        garden = recommender.recommend(session, shop.users["newbie"], query="something for the garden", limit=10)
    assert set(ids(headphones)) == {"p8", "p9"}
    assert set(ids(garden)) == {"p5", "p6", "p7"}


def test_query_matching_nothing_returns_an_empty_list(shop: SmallShop, recommender: Recommender) -> None:
    with shop.session() as session:
        assert recommender.recommend(session, shop.users["newbie"], query="xylophone", limit=5) == []


def test_query_of_filler_words_only_does_not_narrow(shop: SmallShop, recommender: Recommender) -> None:
    with shop.session() as session:
        plain = recommender.recommend(session, shop.users["newbie"], limit=5)
        filler = recommender.recommend(session, shop.users["newbie"], query="show me something nice", limit=5)
    assert ids(filler) == ids(plain)


def test_query_keeps_personal_order_among_matches(shop: SmallShop, recommender: Recommender) -> None:
    with shop.session() as session:
        results = recommender.recommend(session, shop.users["espresso_fan"], query="coffee", limit=5)
    assert results and ids(results)[0] == "p2"
    assert "p1" not in ids(results)


# --- freshness ----------------------------------------------------------------------------------------------


def test_a_new_order_counts_without_a_refit(shop: SmallShop, recommender: Recommender) -> None:
    user = shop.users["newbie"]
    with shop.session() as session:
        recommender.fit(session)
        before = recommender.recommend(session, user, limit=3)
        assert all(reason.startswith("popular in") for _, reason in before)
        fitted = recommender.report
        place_order(session, user, ["p6"])
        after = recommender.recommend(session, user, limit=2)
    assert recommender.report is fitted  # same model: the history was folded in per request
    assert "p6" not in ids(after)
    assert set(ids(after)) <= {"p5", "p7"}
    assert after[0][1] == f"because you bought {NAMES['p6']}"


def test_cancelled_orders_are_no_signal(shop: SmallShop, recommender: Recommender) -> None:
    user = shop.users["newbie"]
    with shop.session() as session:
        place_order(session, user, ["p6"], status=OrderStatus.cancelled)
        results = recommender.recommend(session, user, limit=3)
    assert all(reason.startswith("popular in") for _, reason in results)


def test_background_refit_learns_new_products_and_swaps_the_model(shop: SmallShop, embedding_cache: Path) -> None:
    recommender = Recommender(RecommenderOptions(refit_interval_s=0, embedding_cache=embedding_cache,
                                                 refit_after_orders=2))
    with shop.session() as session:
        recommender.recommend(session, shop.users["newbie"], limit=1)  # first use: fits, learns the database
        first = recommender.report
        assert first is not None and first.products == len(PRODUCTS)
        session.add(Product(id="p31", name="Watering Can", brand="Acme", category="Gardening",
                            description="A 10-litre metal watering can.", price=15.0, rating=4.0, review_count=2,
                            stock=9, colors=[], sizes=[]))
        session.commit()
    recommender.notify_order(shop.users["newbie"])
    assert recommender.report is first  # one order: below refit_after_orders
    recommender.notify_order(shop.users["newbie"])
    recommender.wait_for_refit()
    assert recommender.report is not first
    assert recommender.report.products == len(PRODUCTS) + 1
    with shop.session() as session:
        found = ids(recommender.recommend(session, shop.users["newbie"], query="watering can", limit=5))
    assert "p31" in found


def test_start_fits_in_the_background_before_the_first_request(shop: SmallShop, embedding_cache: Path) -> None:
    recommender = Recommender(RecommenderOptions(refit_interval_s=0, embedding_cache=embedding_cache))
    recommender.start(shop.database.engine)
    recommender.wait_for_refit()
    fitted = recommender.report
    assert fitted is not None and fitted.products == len(PRODUCTS)
    with shop.session() as session:
        assert recommender.recommend(session, shop.users["espresso_fan"], limit=1)
    assert recommender.report is fitted  # the request used the model fitted at start-up


def test_scheduled_refit_runs_only_when_data_changed(shop: SmallShop, embedding_cache: Path) -> None:
    recommender = Recommender(RecommenderOptions(refit_interval_s=0.05, embedding_cache=embedding_cache))
    try:
        with shop.session() as session:
            recommender.recommend(session, shop.users["newbie"], limit=1)  # fits and starts the schedule
        first = recommender.report
        time.sleep(0.3)  # several ticks of the schedule
        recommender.wait_for_refit()
        assert recommender.report is first, "nothing changed: no refit"
        with shop.session() as session:
            place_order(session, shop.users["newbie"], ["p3"])
        for _ in range(100):
            if recommender.report is not first:
                break
            time.sleep(0.05)
        recommender.wait_for_refit()
        assert recommender.report is not first
    finally:
        recommender.stop()


# --- bad input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [0, -1, 51])
def test_limit_out_of_range_is_a_value_error(shop: SmallShop, recommender: Recommender, limit: int) -> None:
    with shop.session() as session, pytest.raises(ValueError, match="limit"):
        recommender.recommend(session, shop.users["newbie"], limit=limit)


def test_unknown_product_is_reported(shop: SmallShop, recommender: Recommender) -> None:
    with shop.session() as session, pytest.raises(UnknownProductError, match="p999"):
        recommender.recommend(session, shop.users["newbie"], product_id="p999", limit=5)


def test_empty_shop_answers_with_an_empty_list(tmp_path: Path, embedding_cache: Path) -> None:
    from shop.db import Database

    database = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    database.create_schema()
    recommender = Recommender(RecommenderOptions(refit_interval_s=0, embedding_cache=embedding_cache))
    with database.sessions() as session:
        assert recommender.recommend(session, 1, limit=5) == []
    database.engine.dispose()


# --- the module-level entry points the shop API uses ---------------------------------------------------------


def test_module_recommend_keeps_one_recommender_per_database(shop: SmallShop, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import shop.recsys.service as module
    from tests.shop.recsys.conftest import _build

    monkeypatch.setattr(module, "_instances", {})
    monkeypatch.setattr(module, "DEFAULT_DATA_DIR", tmp_path / "var")
    other = _build(tmp_path / "other.db")
    with other.session() as session:
        set_stock(session, "p2", 0)  # differs from the first shop: its grinder is sold out
    with shop.session() as first, other.session() as second:
        here = module.recommend(first, shop.users["espresso_fan"], None, None, 1)
        there = module.recommend(second, other.users["espresso_fan"], None, None, 3)
        module.notify_order(first, shop.users["espresso_fan"])
    assert ids(here) == ["p2"]
    assert "p2" not in ids(there)
    assert len(module._instances) == 2
    other.database.engine.dispose()


# --- command line -------------------------------------------------------------------------------------------


def test_retrain_command_fits_and_prints_recommendations(shop: SmallShop, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("shop.recsys.service.DEFAULT_DATA_DIR", tmp_path / "var")
    code = main(["--retrain", "--database-url", shop.database.url, "--user-id", str(shop.users["espresso_fan"]),
                 "--limit", "2"])
    output = capsys.readouterr().out
    assert code == 0
    assert f"{len(PRODUCTS)} products" in output
    assert "Precision Burr Coffee Grinder" in output
    assert (tmp_path / "var" / "recommend-embeddings.npz").is_file()
