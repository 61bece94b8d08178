"""The compact action encoding: each line decodes to the validated action it stands for."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from agent.compact.codec import (REPLY_CODES, CannedTexts, Screen, TurnWords, decode, default_texts, grammar,
                                  order_numbers, said_phrases)
from agent.compact.prompt import spoken_form
from tests.gbnf import Grammar

SHOWN = [{"id": "p7", "name": "Trailblaze Men's Trail Running Shoe", "brand": "Nordpeak", "price": 89.99,
          "colors": ["Black", "Navy Blue"], "sizes": ["9", "10.5"]},
         {"id": "p12", "name": "Q45 Wireless Headphones", "brand": "Sonari", "price": 120.0, "colors": ["Silver"]}]
CART = {"lines": [{"product_id": "p30", "name": "Everyday T-Shirt", "quantity": 2}]}
SCREEN = Screen.of(SHOWN, CART)


@pytest.mark.parametrize(("line", "expected"), [
    ("search wireless headphones; color black; max 50",
     {"action": "search_products", "query": "wireless headphones", "color": "Black", "max_price": 50}),
    ("search jeans; min 30; max 60.5; sort price_asc",
     {"action": "search_products", "query": "jeans", "min_price": 30, "max_price": 60.5, "sort": "price_asc"}),
    ("search t shirts; size m", {"action": "search_products", "query": "t shirts", "size": "M"}),
    ("get 2", {"action": "get_product", "product_id": "p12"}),
    ("compare 1 2", {"action": "compare_products", "product_ids": ["p7", "p12"]}),
    ("recommend", {"action": "recommend"}),
    ("recommend like 1", {"action": "recommend", "product_id": "p7"}),
    ("recommend the gym", {"action": "recommend", "query": "the gym"}),
    # The grammar lets free words start with "like": not a reference on screen, so they stay words.
    ("recommend like 200", {"action": "recommend", "query": "like 200"}),
    ("recommend like 1 2", {"action": "recommend", "query": "like 1 2"}),
    ("add 1; qty 3; color navy blue; size 10.5",
     {"action": "add_to_cart", "product_id": "p7", "quantity": 3, "color": "Navy Blue", "size": "10.5"}),
    ("add c1", {"action": "add_to_cart", "product_id": "p30", "quantity": 1}),
    ("setqty c1 0", {"action": "update_cart_item", "product_id": "p30", "quantity": 0}),
    ("remove c1", {"action": "remove_from_cart", "product_id": "p30"}),
    ("cart", {"action": "view_cart"}),
    ("checkout", {"action": "checkout"}),
    ("status", {"action": "order_status"}),
    ("status 1042", {"action": "order_status", "order_id": "1042"}),
    ("orders", {"action": "list_orders"}),
    ("cancel 12", {"action": "cancel_order", "order_id": "12"}),
    ("handoff", {"action": "handoff"}),
])
def test_lines_decode_to_actions(line: str, expected: dict) -> None:
    action = decode(line, SCREEN, "the customer's words")
    assert action.model_dump(exclude_none=True) == {**expected, **({"quantity": expected.get("quantity", 1)}
                                                                  if expected["action"] == "add_to_cart" else {})}


def test_faq_question_is_the_customers_own_words() -> None:
    action = decode("faq", SCREEN, "how long does shipping take")
    assert action.model_dump() == {"action": "search_faq", "question": "how long does shipping take"}


def test_codes_map_to_the_editable_texts() -> None:
    texts = default_texts()
    for code in REPLY_CODES:
        assert decode(f"reply {code}", SCREEN, "x").model_dump() == {"action": "reply", "text": texts.reply[code]}
    assert decode("clarify order", SCREEN, "x").question == texts.clarify["order"]
    assert decode("handoff complaint", SCREEN, "x").reason == texts.handoff["complaint"]


def test_every_handoff_reason_decodes_to_its_spoken_text() -> None:
    texts = default_texts()
    assert decode("handoff", SCREEN, "x").reason is None  # a person asked for: no topic to name
    for code in ("billing", "delivery", "other"):
        assert decode(f"handoff {code}", SCREEN, "x").reason == texts.handoff[code]
        assert f'"{code}"' in grammar(0, 0)
    with pytest.raises(ValueError):
        decode("handoff refund", SCREEN, "x")


@pytest.mark.parametrize("line", ["get 3", "remove c2", "add 0", "compare 1 9", "reply weather", "dance", "search"])
def test_lines_that_do_not_fit_the_screen_are_rejected(line: str) -> None:
    with pytest.raises(ValueError):
        decode(line, SCREEN, "x")


def test_grammar_offers_only_references_on_screen() -> None:
    text = grammar(2, 1)
    ref_rule = next(rule for rule in text.splitlines() if rule.startswith("ref ::="))
    assert sorted(ref_rule.removeprefix("ref ::= ").replace('"', "").split(" | ")) == ["1", "2", "c1"]
    assert '"compare "' in text
    nothing = grammar(0, 0)
    assert "ref ::=" not in nothing and '"add "' not in nothing and '"get "' not in nothing
    assert '"compare "' not in grammar(1, 0)  # one product cannot be compared


def test_missing_code_texts_are_reported(tmp_path) -> None:
    path = tmp_path / "codes.yaml"
    path.write_text("reply: {hello: hi}\nclarify: {}\nhandoff: {}\n")
    with pytest.raises(ValueError, match="reply.thanks"):
        CannedTexts.load(path)


def test_search_brand_and_colour_are_limited_to_words_the_customer_said() -> None:
    said = said_phrases("black nike running shoes under 50 dollars")
    assert {"nike", "black", "black nike", "running shoes"} <= set(said)
    assert not {"under 50", "50 dollars", "shoes under"} & set(said)  # edges that name no brand or colour
    text = grammar(0, 0, TurnWords(said=said))
    rules = dict(rule.split(" ::= ", 1) for rule in text.splitlines())
    assert rules["searchfacets"] == '("; brand " said)? ("; color " said)?'
    assert sorted(rules["said"].replace('"', "").split(" | ")) == sorted(said)
    assert "water bottle" not in rules["said"]


def test_without_said_words_a_search_has_no_brand_or_colour() -> None:
    text = grammar(0, 0, TurnWords(said=()))
    rules = dict(rule.split(" ::= ", 1) for rule in text.splitlines())
    assert rules["searchfacets"] == '""' and "said" not in rules  # (an exchange's colour is another field)
    assert '"; brand " words' in grammar(0, 0)  # a caller that knows no utterance: any words, as before


def test_a_ruled_out_word_is_no_brand_or_colour_in_the_grammar() -> None:
    said = set(said_phrases("a jacket anything but black without a hood"))
    assert "jacket" in said and "black" not in said
    said = set(said_phrases("shoes please nothing with suede and a shirt with red"))
    assert "suede" not in said and "red" in said  # "with" alone rules nothing out
    assert "nike" not in set(said_phrases("running shoes instead of nike"))  # the shop's cues (prompts/ruled_out.yaml)


VARIANT_SHOWN = [{"id": "p90", "name": "Latte", "price": 3.8, "sizes": ["Small", "Large"],
                  "options": [{"name": "Size", "values": ["Small", "Large"]}],
                  "modifiers": [{"name": "Oat milk", "price": 0.5}, {"name": "Extra shot", "price": 0.7}]},
                 {"id": "p91", "name": "Pixel Phone", "price": 499.0, "colors": ["Black", "Blue"],
                  "options": [{"name": "Color", "values": ["Black", "Blue"]},
                              {"name": "Storage", "values": ["128 GB", "256 GB"]}]}]
VARIANT_SCREEN = Screen.of(VARIANT_SHOWN, None)
CATALOG_OPTIONS = {"Storage": ["128 GB", "256 GB", "1 TB"], "Roast": ["Light", "Dark"]}


@pytest.mark.parametrize(("line", "expected"), [
    ("add 2; color blue; opt storage=256 gig", {"color": "Blue", "options": {"Storage": "256 GB"}}),
    ("add 1; size l; with oat milk; with extra shot", {"size": "Large", "modifiers": ["Oat milk", "Extra shot"]}),
    ("add 1; with oat", {"modifiers": ["Oat milk"]}),
    # What the product lacks stays as said, for the agent to ask about; it is never swapped for another value.
    ("add 2; opt storage=512 gb", {"options": {"Storage": "512 gb"}}),
    ("add 1; size medium", {"size": "medium"}),
])
def test_option_and_addon_fields_decode_in_the_products_spelling(line: str, expected: dict) -> None:
    action = decode(line, VARIANT_SCREEN, "x")
    ref = int(line.split()[1].rstrip(";"))
    assert action.model_dump(exclude_none=True) == {"action": "add_to_cart", "product_id": VARIANT_SHOWN[ref - 1]["id"],
                                                    "quantity": 1, **expected}


def test_search_options_take_the_catalogs_spelling() -> None:
    action = decode("search phone; opt storage=256 gb; max 600", VARIANT_SCREEN, "x", catalog=CATALOG_OPTIONS)
    assert action.model_dump(exclude_none=True) == {"action": "search_products", "query": "phone",
                                                    "options": {"Storage": "256 GB"}, "max_price": 600}


def test_the_grammar_admits_option_words_of_this_turn_only() -> None:
    words = TurnWords.of(VARIANT_SCREEN, "the blue one with 256 gig", CATALOG_OPTIONS)
    assert words.option_names == ("storage",)  # color and size have their own fields
    assert {"128 gb", "256 gb", "small", "large", "256 gig"} <= set(words.option_values)
    assert "the blue" not in words.option_values  # the customer's phrases, without filler at the edges
    assert {"oat milk", "extra shot"} <= set(words.addons)
    assert words.search_options == (("storage", "256 gb"),)  # a catalog value the customer said; no other
    text = grammar(2, 0, words)
    assert '("; opt " optname "=" optvalue){0,3}' in text and '("; with " addon){0,3}' in text
    assert 'searchopt ::= "; opt storage=256 gb"' in text
    plain = grammar(2, 0, TurnWords.of(SCREEN, "add the first one", CATALOG_OPTIONS))
    assert "optname" not in plain and "addon" not in plain and "searchopt" not in plain


def test_a_search_size_that_is_another_options_value_becomes_that_option() -> None:
    action = decode("search phones; size 256 gig", VARIANT_SCREEN, "x", catalog={**CATALOG_OPTIONS, "Size": ["S"]})
    assert action.model_dump(exclude_none=True) == {"action": "search_products", "query": "phones",
                                                    "options": {"Storage": "256 GB"}}
    kept = decode("search shoes; size 10", VARIANT_SCREEN, "x", catalog={**CATALOG_OPTIONS, "Size": ["9", "10"]})
    assert kept.size == "10" and kept.options is None


def test_the_grammar_cache_is_bounded_since_every_turn_brings_new_words() -> None:
    for n in range(300):
        grammar(1, 0, TurnWords(said=(f"word{n}",)))
    assert grammar.cache_info().currsize <= 256


# ── after a purchase (issue 14) ──────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize(("line", "expected"), [
    ("return 1042; item running shoes; refund gift card",
     {"action": "return_items", "order_id": "1042", "items": [{"name": "running shoes"}], "refund_to": "gift card"}),
    ("return; item 2", {"action": "return_items", "items": [{"line": 2}]}),
    ("return 7", {"action": "return_items", "order_id": "7"}),  # no item: every item of the order
    ("return", {"action": "return_items"}),  # no order: the latest one it fits
    ("exchange 55; item shoes; color navy blue; size 10.5; pay 4242",
     {"action": "exchange_items", "order_id": "55", "items": [{"name": "shoes", "color": "Navy Blue", "size": "10.5"}],
      "pay_with": "4242"}),
    ("exchange; item jacket; item 3; size xl",
     {"action": "exchange_items", "items": [{"name": "jacket", "size": "XL"}, {"line": 3, "size": "XL"}]}),
    ("modify 12; item drill; opt voltage=20v",
     {"action": "modify_order_items", "order_id": "12", "items": [{"name": "drill", "options": {"Voltage": "20v"}}]}),
    ("address 12; to work", {"action": "change_order_address", "order_id": "12", "address": "work"}),
    ("address; to mom's place", {"action": "change_order_address", "address": "mom's place"}),
    ("default home", {"action": "change_default_address", "address": "home"}),
    ("return 718; item phone cases; qty 2",  # "i ordered three and only need one, send two back"
     {"action": "return_items", "order_id": "718", "items": [{"name": "phone cases", "quantity": 2}]}),
    ("return; item lamp; qty 1; item 2", {"action": "return_items", "items": [{"name": "lamp", "quantity": 1},
                                                                               {"line": 2}]}),
    ("address 2901; street 22 baker street; city london; zip nw1 6xe; country gb",
     {"action": "change_order_address", "order_id": "2901",
      "address": {"line1": "22 Baker Street", "city": "London", "postal_code": "NW1 6XE", "country": "GB"}}),
    ("default; street 401 pine street; city seattle; region wa; zip 98101; country us",
     {"action": "change_default_address", "address": {"line1": "401 Pine Street", "city": "Seattle", "region": "WA",
                                                       "postal_code": "98101", "country": "US"}}),
    ("payment; to paypal", {"action": "change_order_payment", "method": "paypal"}),
    ("payment 88; to 4242", {"action": "change_order_payment", "order_id": "88", "method": "4242"}),
    ("refund", {"action": "refund_status"}),
    ("refund 77", {"action": "refund_status", "order_id": "77"}),
    ("cancel 12; reason mistake", {"action": "cancel_order", "order_id": "12", "reason": "ordered by mistake"}),
    ("cancel 12; reason unneeded", {"action": "cancel_order", "order_id": "12", "reason": "no longer needed"}),
])
def test_after_purchase_lines_decode_to_actions(line: str, expected: dict) -> None:
    assert decode(line, SCREEN, "x").model_dump(exclude_none=True) == expected


@pytest.mark.parametrize("line", ["return; size m", "modify 12", "return 5; pay paypal", "cancel 12; reason cheaper",
                                  "address 12", "payment 3", "refund 4; item shoes", "exchange; opt color",
                                  "return 5; qty 2", "return; item lamp; qty 2; qty 3", "return; item lamp; qty 0",
                                  "address 3; to work; street 1 main st; city x; zip 1; country us",
                                  "address 3; street 1 main st; zip 1; country us", "default; city leeds",
                                  "address; to work; qty 2"])
def test_after_purchase_lines_that_say_too_little_or_the_wrong_thing_are_rejected(line: str) -> None:
    with pytest.raises(ValueError):
        decode(line, SCREEN, "x")


APU = spoken_form("hi i want to return the running shoes from order 1042 and swap my jacket for a large in navy blue "
                  "then put the rest on my visa ending four two four two or send it to my work address")


def test_after_purchase_words_are_the_customers_phrases() -> None:
    words = TurnWords.of(SCREEN, APU, before=("no i meant the garden hose",))
    assert {"running shoes", "jacket", "navy blue", "work", "garden hose"} <= set(words.phrases)
    assert not {"the running", "1042", "work address", "return", "order 1042"} & set(words.phrases)
    assert set(words.methods) == {"gift card", "paypal", "original", "visa", "4242"}  # not "order 1042"
    assert "1042" in TurnWords.of(SCREEN, "pay with 1042").methods


@pytest.mark.parametrize("screen", [(0, 0), (2, 1)])
def test_every_after_purchase_line_the_grammar_admits_decodes(screen: tuple[int, int]) -> None:
    words = TurnWords.of(SCREEN, APU)
    grammar_ = Grammar.parse(grammar(*screen, words))
    rng = random.Random(14)
    verbs = Counter()
    for _ in range(1200):
        line = grammar_.sample(rng)
        assert grammar_.accepts(line), line
        action = decode(line, SCREEN if screen != (0, 0) else Screen(), APU)
        verbs[action.action] += 1
    assert {"return_items", "exchange_items", "modify_order_items", "change_order_address", "change_default_address",
            "change_order_payment", "refund_status", "cancel_order"} <= set(verbs)


def test_the_grammar_admits_only_said_item_words_and_fixed_method_words() -> None:
    grammar_ = Grammar.parse(grammar(0, 0, TurnWords.of(Screen(), APU)))
    for line in ("return 1042; item running shoes; refund gift card", "exchange; item jacket; color navy blue; size l",
                 "payment; to 4242", "payment; to visa", "address; to work", "return; item 2", "cancel 1042; reason mistake",
                 "refund"):
        assert grammar_.accepts(line), line
    for line in ("return; item keyboard", "payment; to mastercard", "address; to home", "return; item 51",
                 "return; refund paypal", "return; item the running shoes", "default work address"):
        assert not grammar_.accepts(line), line


def test_without_phrases_after_purchase_lines_need_no_words() -> None:
    text = grammar(0, 0, TurnWords(phrases=()))
    grammar_ = Grammar.parse(text)
    assert grammar_.accepts("return 12; item 1") and grammar_.accepts("refund") and grammar_.accepts("payment; to paypal")
    assert not grammar_.accepts("default home") and not grammar_.accepts("return; item shoes")
    assert "phrase" not in text


NEW_ADDRESS = spoken_form("i moved!! order 7713 must go to 88 Willow Lane, Austin TX 78701, not the old place")


def test_a_new_address_is_spelled_from_the_customers_words() -> None:
    grammar_ = Grammar.parse(grammar(0, 0, TurnWords.of(Screen(), NEW_ADDRESS)))
    for line in ("address 7713; street 88 willow lane; city austin; region tx; zip 78701; country us",
                 "default; street 88 willow lane; city austin; zip 78701; country us", "return 7713; item lane; qty 2"):
        assert grammar_.accepts(line), line
    for line in ("address 7713; street 12 elm road; city austin; zip 78701; country us",  # a street not said
                 "address 7713; street 88 willow lane; city leeds; zip 78701; country us",  # nor a city
                 "address 7713; street 88 willow lane; city austin; zip 12345; country us",  # nor a postcode
                 "address 7713; street 88 willow lane; city austin; zip 78701; country xx",  # no such country
                 "address 7713; street 88 willow lane; city austin; zip 78701"):  # the country is always written
        assert not grammar_.accepts(line), line
    action = decode("address 7713; street 88 willow lane; city austin; region tx; zip 78701; country us", Screen(),
                    NEW_ADDRESS)
    assert action.model_dump(exclude_none=True)["address"] == {"line1": "88 Willow Lane", "city": "Austin",
                                                               "region": "TX", "postal_code": "78701", "country": "US"}


def test_without_a_street_and_postcode_said_no_new_address_is_offered() -> None:
    text = grammar(0, 0, TurnWords.of(Screen(), "send my order to my work address"))
    assert "newaddress" not in text and Grammar.parse(text).accepts("address; to work")


def test_an_order_number_is_one_the_conversation_holds() -> None:
    assert order_numbers("where is order one zero four two".replace("one zero four two", "1 04 2")) == \
        ("1042", "104", "42", "1", "4", "2")
    assert "2378156" in order_numbers("cancel w2378156 please")  # the digits of an emailed number
    assert order_numbers(spoken_form("cancel the second one")) == ()  # "2nd": a position, not order 2
    # of the assistant's replies, only an order they name: "2: order 1057, 2 water bottles" is no order 2
    listed = ("You have 2 recent orders. 1: order 1063, delivered. 2: order 1057, processing, 2 water bottles.",)
    assert order_numbers("cancel the second one", replies=listed) == ("1063", "1057")
    said = TurnWords.of(Screen(), "return my order 7 too", seen=("what about 1042",), replies=("Order 1057 is processing.",))
    grammar_ = Grammar.parse(grammar(0, 0, said))
    for line in ("return 7", "return 1057", "status 7", "cancel 1057", "status 1042"):
        assert grammar_.accepts(line), line
    for line in ("return 72", "status 2", "cancel 72"):  # "return my order 7 too" was once read as order 72
        assert not grammar_.accepts(line), line


def test_without_a_number_in_the_conversation_no_line_names_an_order() -> None:
    text = grammar(0, 0, TurnWords.of(Screen(), "cancel my order", seen=()))
    grammar_ = Grammar.parse(text)
    assert grammar_.accepts("status") and grammar_.accepts("return") and grammar_.accepts("clarify order")
    assert not grammar_.accepts("cancel 1") and not grammar_.accepts("status 1")
