"""Customer-support requests for the task data (issue 13): what people ask a shop besides shopping.

Each intent maps a request to its one right action:

- questions the help center answers (account, password, sign-in, registration, payment, invoices, refund rules,
  delivery options and times, shipping address, newsletter, reviews, how to order or change an order) →
  ``faq`` (the question is the customer's own words, so the utterance is the question);
- "when will my order arrive / where is it / track it" → ``status`` with the order number when one was said;
- a person asked for, or a complaint → ``handoff`` with the reason that fits (``person`` is the bare
  ``handoff``; ``complaint``, ``billing``, ``delivery``, ``other``: ``prompts/understand_codes.yaml``);
  questions about refunds or accounts are not complaints and never hand off; where the customer's own refund
  is ("where's my refund") is ``refund`` (:mod:`training.after_purchase_requests`);
- ``clarify`` only for a detail that is missing: the order number to cancel when none was said.

Words as customers type and speak them: keyword-only requests, typos, a story before the ask, politeness,
numbers as digits, words or digit by digit, order numbers with ``#`` or letters, and money amounts that are
never order numbers ("refunding $160" is a refund question, not ``cancel 160``).

Order numbers: this shop's are digits (``shop.api.parse_order_id`` takes "1042" or "#1042"), and the
grammar's ``order`` is digits only. Letters around the digits ("#W2378156" from a confirmation email,
"ORD-1042") are dropped and the digits looked up: the customer said a number, so asking for it again
would not fit, and a number that is not theirs gets the shop's own "You have no order …".

Templates are functions of a :class:`training.taskdata.World`, like the generator's own; their list
index decides the held-out split there (``HELD_OUT_EVERY``).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from num2words import num2words

from agent.compact.prompt import spoken_form

if TYPE_CHECKING:  # the generator imports this module; the type only is needed here
    from training.taskdata import World

Template = Callable[["World"], tuple[str, str] | None]

# ── customer-style words ─────────────────────────────────────────────────────────────────────────────

TYPOS = {"cancel": ["cancle", "cancell", "cansel"], "order": ["ordr", "oder", "orderr"],
         "password": ["pasword", "passwrod", "passowrd"], "account": ["acount", "accout", "acct"],
         "refund": ["refnd", "refound", "refunf"], "invoice": ["invoce", "invioce"], "receipt": ["reciept", "receit"],
         "delivery": ["delivry", "delivary"], "address": ["adress", "addres"], "shipping": ["shiping", "shippin"],
         "payment": ["paymnet", "payemnt"], "track": ["trak", "trac"], "arrive": ["arive", "arrvie"],
         "newsletter": ["news letter", "newslettr"], "review": ["reveiw", "reivew"], "where": ["wher", "were"],
         "package": ["pakage", "packge"], "when": ["wen"], "please": ["pls", "plz"],
         "someone": ["some one", "somone"], "register": ["regester", "registr"], "receive": ["recieve"]}
OPENERS = ["hi", "hello", "hey", "hi there", "good morning", "excuse me", "um", "so", "quick question",
           "hello there", "ok so", "sorry", "yes hi"]
POLITE_ENDS = ["please", "thanks", "thank you", "thanks in advance", "if you can", "asap", "pls help",
               "can you help", "cheers"]
STORIES = ["i bought a few things from you last week", "i ordered a present for my sister",
           "i've been shopping here for years", "i placed an order on monday", "my friend recommended your shop",
           "i'm trying to sort this out before my trip", "i already looked on the website",
           "this is my first time ordering here", "i ordered online yesterday evening",
           "i got an email from you this morning", "i've been waiting all week", "i'm on my phone right now",
           "i moved house last month", "i tried calling but nobody picked up"]


def typo(rng: random.Random, text: str, chance: float = 0.5) -> str:
    """One or two common misspellings, sometimes; the words that matter stay recognisable."""
    words = text.split()
    candidates = [i for i, w in enumerate(words) if w in TYPOS]
    for i in rng.sample(candidates, min(len(candidates), rng.choice([1, 1, 2]))):
        if rng.random() < chance:
            words[i] = rng.choice(TYPOS[words[i]])
    return " ".join(words)


def customer_style(rng: random.Random, ask: str, story: bool = True) -> str:
    """``ask`` as a customer writes or says it: a greeting, a story first, a polite tail, typos."""
    parts = []
    if rng.random() < 0.25:
        parts.append(rng.choice(OPENERS))
    if story and rng.random() < 0.25:
        parts.append(rng.choice(STORIES) + rng.choice([" and", " but", " so", ""]))
    parts.append(ask)
    if rng.random() < 0.2:
        parts.append(rng.choice(POLITE_ENDS))
    text = " ".join(parts)
    return typo(rng, text) if rng.random() < 0.3 else text


def say_money(rng: random.Random) -> tuple[str, int]:
    """A money amount as said or typed ("$160", "160 dollars", "a hundred and sixty bucks"); never an order id."""
    amount = rng.choice([5, 8, 12, 15, 20, 25, 30, 40, 45, 60, 75, 89, 99, 120, 150, 160, 200, 249, 300, 450])
    roll = rng.random()
    if roll < 0.3:
        return f"${amount}" + (rng.choice([".00", ".50", ".99"]) if rng.random() < 0.2 else ""), amount
    if roll < 0.55:
        return f"{amount} {rng.choice(['dollars', 'bucks', 'usd'])}", amount
    words = num2words(amount).replace("-", " ").replace(",", "")
    return f"{words} {rng.choice(['dollars', 'bucks'])}", amount


def new_order_id(rng: random.Random) -> int:
    return rng.choice([rng.randint(1, 99), rng.randint(100, 9999), rng.randint(10000, 99999),
                       rng.randint(1000000, 9999999)])


def say_order_number(rng: random.Random, order_id: int) -> str:
    """An order number as customers give it: digits, "#", letters from an email ("#W2378156"), or spoken."""
    digits = str(order_id)
    roll = rng.random()
    if roll < 0.3:
        return digits
    if roll < 0.5:
        return f"#{digits}"
    if roll < 0.65:  # letters around the digits: only the digits are this shop's order number
        return rng.choice(["#W", "W", "w-", "#A", "ORD-", "ord ", "no. ", "nr "]) + digits
    if roll < 0.8 and order_id < 100000:
        spoken = num2words(order_id).replace("-", " ").replace(",", "")
    else:
        spoken = " ".join(num2words(int(d)) for d in digits)  # digit by digit
    # the generator's ASR noise turns "two"/"four" into "to"/"for": then the number was not said, so digits;
    # and "one" alone stays a word in the prompt's spoken form ("order one"), so digits there too
    if {"two", "four"} & set(spoken.split()) or digits not in spoken_form(spoken).replace(" ", ""):
        return digits
    return spoken


ORDER_WORDS = ["order", "order number", "order no", "my order", "order nr"]


def _fill(world: World, template: str) -> tuple[str, int | None]:
    """``template`` with ``{o}`` (an order reference with its number) and ``{m}`` (money) filled in."""
    rng = world.rng
    order_id = None
    if "{o}" in template or "{n}" in template:
        order_id = new_order_id(rng)
    number = say_order_number(rng, order_id) if order_id else ""
    # "ORD-1042", "no. 1042" carry their own word: "order no. 1042", never "order nr no. 1042"
    word = rng.choice(["order", "my order"]) if number[:1].isalpha() else rng.choice(ORDER_WORDS)
    text = template.format(o=f"{word} {number}" if order_id else "", n=number,
                           m=say_money(rng)[0] if "{m}" in template else "")
    return re.sub(r"\s+", " ", text).strip(), order_id


def t_support(template: str, line: str, story: bool = True) -> Template:
    """A request whose action does not depend on the screen; ``line`` may use ``{id}`` for the order said."""
    def make(world: World) -> tuple[str, str]:
        world.random_context()
        utterance, order_id = _fill(world, template)
        return customer_style(world.rng, utterance, story), line.format(id=order_id)
    return make


def t_keyword(template: str, line: str) -> Template:
    """Keyword-only requests ("refund", "invoice 12588"): no story, no greeting, typos sometimes."""
    def make(world: World) -> tuple[str, str]:
        world.random_context()
        utterance, order_id = _fill(world, template)
        return typo(world.rng, utterance, 0.3), line.format(id=order_id)
    return make


def _faq(requests: list[str], keywords: list[str]) -> list[Template]:
    return [t_support(r, "faq") for r in requests] + [t_keyword(k, "faq") for k in keywords]


# ── the help center's questions → faq ────────────────────────────────────────────────────────────────

FAQ_ACCOUNT = [
    "how do i create an account", "do i need an account to order", "how do i sign up", "i can't log in to my account",
    "i forgot my password", "how do i reset my password", "the password reset email never came",
    "my account is locked", "how do i change my email address", "how do i delete my account",
    "i want to close my account how do i do that", "can i change the name on my account",
    "how do i update my phone number on my account", "registration isn't working it says my email is taken",
    "how do i sign in", "can i have two accounts", "how do i switch to a different account",
    "i didn't get the email to confirm my registration", "can i turn on two step verification",
    "how do i remove a saved card from my account",
]
KW_ACCOUNT = ["password reset", "forgot password", "login problem", "can't sign in", "delete account",
              "create account", "account locked", "change email", "registration", "sign up"]
FAQ_PAYMENT = [
    "what payment methods do you accept", "is paypal an option at checkout", "do you take american express",
    "my card keeps getting declined", "why was my payment declined", "can i pay in installments",
    "is it safe to pay on your site", "when will my card be charged", "can i pay cash on delivery",
    "how do i change the card i pay with", "do you accept gift cards", "my payment didn't go through what now",
    "do your prices include sales tax", "can i pay with apple pay or google pay",
    "why do i see a pending charge on my card",
]
KW_PAYMENT = ["payment methods", "card declined", "payment failed", "paypal", "pay in installments",
              "payment problem"]
FAQ_INVOICE = [
    "can i get an invoice for my order", "how do i get a receipt", "i need an invoice with my company name",
    "where can i download my invoice", "can you send me the receipt for {o}", "i lost my receipt",
    "i need a vat invoice for {o}", "can i get a receipt for a gift without prices",
    "how do i get a copy of my invoice", "the invoice for {o} has the wrong address on it",
]
KW_INVOICE = ["invoice", "invoice {n}", "receipt", "receipt please", "invoice for {o}", "copy of receipt"]
FAQ_REFUND = [
    "what's your refund policy", "how long does a refund take", "when do refunds usually arrive",
    "where do refunds go when i paid with a gift card", "how long after a return is the refund issued",
    "how will i be refunded", "do you refund the shipping cost", "why did i only get a partial refund",
    "if i cancel an order when do i get my money back", "are refunds paid in the same currency",
    "can i get a refund instead of store credit", "the price dropped after i bought it can i get the difference",
    "can a refund go to a different card than i paid with", "do i get a refund if i return a gift",
    "how do refunds work for sale items",
]
KW_REFUND = ["refund", "refund time", "refund policy", "money back", "refund rules", "refund how long"]
FAQ_DELIVERY = [
    "what delivery options do you have", "how long does delivery take", "how much is express shipping",
    "do you offer next day delivery", "do you deliver on weekends", "do you ship internationally",
    "is shipping free", "how long does standard shipping take to the west coast", "can i pick up my order",
    "how do i change my shipping address", "can i change the delivery address on {o}",
    "i entered the wrong shipping address", "can you ship to a po box", "can i send it to a different address",
    "do i need to sign for my delivery", "do you ship to canada", "what carriers do you use",
    "how much does shipping cost", "can i choose a delivery date", "my address changed how do i update it",
]
KW_DELIVERY = ["delivery options", "delivery time", "shipping cost", "express delivery", "shipping address",
               "change address", "international shipping", "free shipping"]
FAQ_MISC = [
    "how do i sign up for the newsletter", "how do i unsubscribe from your newsletter",
    "stop sending me marketing emails", "how do i write a review", "can i leave a review for something i bought",
    "where do i post a review of my order", "how do i place an order", "how does ordering work on your site",
    "how do i order something", "can i order by phone", "how do i change my order",
    "can i add an item to {o}", "can i change the size in an order i already placed",
    "can i change my order after i placed it", "is it too late to change {o}",
    "what does my order status mean", "i didn't get an order confirmation email",
    "how do i use a promo code", "my promo code isn't working", "how do i return an item",
]
KW_MISC = ["newsletter", "unsubscribe", "write a review", "how to order", "change order", "change {o}",
           "order confirmation", "promo code"]

# ── where is my order → status ───────────────────────────────────────────────────────────────────────

STATUS_LATEST = [
    "when will my order arrive", "where is my order", "when is my package coming",
    "i ordered last week and nothing has come yet where is it", "has my order shipped yet",
    "what's the tracking number for my order", "can you check on my delivery", "is my order on its way",
    "how far away is my package", "my order still hasn't arrived can you check where it is",
    "when should i expect my delivery", "did you send my order yet", "what's going on with my order",
    "is my parcel out for delivery", "has my package been dispatched",
]
KW_STATUS_LATEST = ["track order", "tracking", "order status", "where's my order", "track my package",
                    "delivery status"]
STATUS_ID = [
    "when will {o} arrive", "where is {o}", "can you track {o}", "what's the status of {o}",
    "i'm waiting on {o} when does it get here", "has {o} shipped", "is {o} out for delivery",
    "{o} hasn't arrived yet where is it", "i placed {o} last week and it's still not here",
    "check on {o} for me", "any news on {o}", "i need the tracking for {o}",
    "my order number is {n} when will it come", "it's {o} can you see where it is",
    "where's my package it's {o}",
]
KW_STATUS_ID = ["track {o}", "track {n}", "status {o}", "{o} status", "{o} tracking", "where {o}"]

# ── cancel: the number said (any form, money alongside) or asked for ─────────────────────────────────

CANCEL_ID = [
    "cancel {o}", "please cancel {o}", "i need to cancel {o}", "can you cancel {o} i ordered the wrong thing",
    "i want to cancel {o} it was {m} and i found it cheaper", "cancel {o} i don't need it anymore",
    "i changed my mind please cancel {o}", "{o} please cancel it", "i'd like to cancel {o} thank you",
    "cancel my order {n}",
]
# The reason the shop's policy names, where the request says it (issue 14: ``cancel <id>; reason ...``)
CANCEL_REASONS_SAID = {"can you cancel {o} i ordered the wrong thing": "; reason mistake",
                       "cancel {o} i don't need it anymore": "; reason unneeded"}
CLARIFY_ORDER = [
    "cancel my order", "i want to cancel my order", "please cancel the order i just placed",
    "i need to cancel an order", "can you cancel my purchase", "i ordered the wrong size cancel it please",
    "cancel order", "stop my order i don't want it", "i'd like my order cancelled please",
    "how about you just cancel the order",
]

# ── money amounts: never an order number ─────────────────────────────────────────────────────────────

MONEY_FAQ = [
    "i returned the shoes but you're only refunding {m} why", "when will i get the {m} refund",
    "i was charged {m} for shipping is that right", "you're refunding {m} but i paid more",
    "refunding {m} how long does that take", "i still haven't got my {m} back from the return",
    "why did my card get a {m} charge", "is there a fee if i return a {m} item",
    "i got {m} back but not the shipping cost", "do you refund the {m} delivery fee",
]
MONEY_HANDOFF = [  # (template, reason): compensation and overcharges are complaints, not recommendations
    ("i expect a compensation of {m} for this", "complaint"),
    ("you overcharged me by {m} and i want someone to fix it", "billing"),
    ("i want {m} back for the late delivery talk to me like a human", "delivery"),
    ("i was charged {m} twice and i want to speak to someone", "billing"),
    ("i want a {m} credit for all this trouble get me a manager", "complaint"),
    ("the parcel came two weeks late and i demand {m} compensation", "delivery"),
    ("your site took {m} from my account without an order i need a person", "billing"),
    ("give me my {m} back this service is a joke", "complaint"),
    ("i want to talk to someone about the {m} you charged me", "billing"),
    ("i'm owed {m} for the broken item and want to complain", "complaint"),
]

# ── a person or a complaint → handoff with its reason ────────────────────────────────────────────────
# (the generator's earlier complaints are here too, each under the reason it is about)

HANDOFF_SUPPORT = {
    "person": ["can i speak to a human please", "real person", "agent", "talk to a person",
               "i'd rather talk to a human",
               "is there someone i can call", "customer service please", "human please",
               "i don't want a bot can i get a person", "put me through to someone from your team"],
    "complaint": ["i'd like to lodge a complaint with you", "complaint", "this is the worst service i've ever had",
                  "i'm really unhappy with how i've been treated", "i want to speak to a manager about your staff",
                  "i've emailed three times and nobody answers this is ridiculous", "i want to file a formal complaint",
                  "your support is useless i want to complain", "i'm very disappointed and want to escalate this",
                  "the quality is terrible and nobody cares i want to complain", "i want to file a complaint",
                  "your service is terrible i want a manager", "the item i got is broken and nobody helps",
                  "this is unacceptable i want to escalate"],
    "billing": ["i was charged twice and i want someone to sort it out", "billing problem talk to someone",
                "there's a charge on my card i don't recognise i need a person",
                "i need to speak to someone about my bill", "you charged me for an order i cancelled fix it",
                "i want a person to look at my payment it went wrong", "my refund never came put me through to billing",
                "the amount on my statement is wrong i need to talk to someone", "billing department please",
                "someone needs to explain these charges to me", "i was charged twice",
                "i never got my refund and i'm angry"],
    "delivery": ["my package never came and i want to speak to someone",
                 "the courier left my parcel in the rain i want a person",
                 "delivery problem i need a human", "my order came smashed to pieces i want to talk to someone",
                 "you sent the wrong item again get me a person", "the driver was rude and threw my parcel",
                 "it says delivered but nothing is here i need someone now",
                 "my delivery is two weeks late and i want to complain", "half my order is missing talk to a human",
                 "i want to speak to someone about my lost package", "my package arrived damaged and i'm really upset",
                 "this is the third time my order is wrong", "i want to complain about the delivery driver",
                 "you sent me the wrong thing again"],
    "other": ["i'd like to talk to someone about a wholesale order", "can i speak to someone about a partnership",
              "i'm a journalist and need to talk to a person", "i need to speak to someone about a product recall",
              "can a person call me about a corporate gift order",
              "i want to talk to someone about selling my products here",
              "connect me with someone about a job application", "i need a human for a legal question",
              "can i talk to someone about accessibility on your site", "get me a person about a donation request"],
}


def _handoff_line(code: str) -> str:
    return "handoff" if code == "person" else f"handoff {code}"


def t_money_handoff(template: str, code: str) -> Template:
    def make(world: World) -> tuple[str, str]:
        world.random_context()
        return _fill(world, template)[0], _handoff_line(code)
    return make


def t_handoff(text: str, code: str) -> Template:
    def make(world: World) -> tuple[str, str]:
        world.random_context()
        return typo(world.rng, text, 0.3) if world.rng.random() < 0.3 else text, _handoff_line(code)
    return make


# (intent, weight, templates), as in taskdata.INTENTS; weights sum to ~23 against the generator's ~109 (≈ 17 %)
SUPPORT_INTENTS: list[tuple[str, float, list[Template]]] = [
    ("support-faq-account", 2.6, _faq(FAQ_ACCOUNT, KW_ACCOUNT)),
    ("support-faq-payment", 1.6, _faq(FAQ_PAYMENT, KW_PAYMENT)),
    ("support-faq-invoice", 1.1, _faq(FAQ_INVOICE, KW_INVOICE)),
    ("support-faq-refund", 1.8, _faq(FAQ_REFUND, KW_REFUND)),
    ("support-faq-delivery", 2.2, _faq(FAQ_DELIVERY, KW_DELIVERY)),
    ("support-faq-misc", 2.0, _faq(FAQ_MISC, KW_MISC)),
    ("support-status", 1.4, [t_support(t, "status") for t in STATUS_LATEST]
     + [t_keyword(k, "status") for k in KW_STATUS_LATEST]),
    ("support-status-id", 1.8, [t_support(t, "status {id}") for t in STATUS_ID]
     + [t_keyword(k, "status {id}") for k in KW_STATUS_ID]),
    ("support-cancel", 1.2, [t_support(t, "cancel {id}" + CANCEL_REASONS_SAID.get(t, "")) for t in CANCEL_ID]),
    ("support-clarify-order", 1.0, [t_support(t, "clarify order") for t in CLARIFY_ORDER]),
    ("support-money-faq", 1.2, [t_support(t, "faq") for t in MONEY_FAQ]),
    ("support-money-handoff", 1.0, [t_money_handoff(t, code) for t, code in MONEY_HANDOFF]),
    *[(f"support-handoff-{code}", 0.07 * len(texts), [t_handoff(text, code) for text in texts])
      for code, texts in HANDOFF_SUPPORT.items()],
]
