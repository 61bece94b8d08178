"""Answers to read-back questions for the task data (issue 17): is this a yes to what was read back?

Each example's history is one read-back the assistant really asks (rendered from ``prompts/replies.yaml``
with a made-up cart or order: checkout, cancel, return, exchange, item, address and payment changes), its
utterance is the customer's answer, and its target is the consent line (:mod:`agent.compact.consent_line`):

- ``yes``: consent to exactly that, in many voices: terse, polite, slang, typos, the question's own verb
  ("get it ordered"), with thanks or a reason after it;
- ``no``: a refusal, plain or with a reason, a yes taken back;
- ``unclear``: a hedge, a condition, a time shift, a question about the read-back, sarcasm, a mixed or
  garbled answer, another language: asked again;
- ``other``: something else instead, or a yes that changes what was read back ("yes but without the hat").

A yes word alone does not make a yes here: an answer that says yes and then undercuts it is labelled by
what it means, because those are the answers the rules leave to the model (``agent.consent``).

The phrases are general English written for this file; none come from the hand-written answer sets
(``evals/confirmation/``), which its author did not open, nor from the tests' or docs' examples.
The screen is empty, as at a live consent turn (``agent.understand.Understander.consent``).

Templates are functions of a :class:`training.taskdata.World`, like the generator's own; their list index
decides the held-out split there (``HELD_OUT_EVERY``). See :data:`CONSENT_INTENTS` for how to mix them in.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from agent.compact.consent_line import consent_line, parse_consent_line
from agent.consent import Consent
from agent.prompts import Prompts

if TYPE_CHECKING:  # the generator imports this module; the type only is needed here
    from training.taskdata import World

Template = Callable[["World"], tuple[str, str] | None]
TOOLS = ("checkout", "cancel_order", "return_items", "exchange_items", "modify_order_items",
         "change_order_address", "change_order_payment")
TOOL_WEIGHTS = (5, 2, 1.5, 1, 1, 1, 1)  # checkout is asked most


@cache
def _prompts() -> Prompts:
    return Prompts()


# ── the read-back, as the assistant asks it ──────────────────────────────────────────────────────────

ADDRESSES = ["your home address", "your work address", "12 Elm Street, Springfield", "4 Harbour Road, Leeds",
             "your saved address 'mum's place'", "88 Pine Avenue, Portland"]
PAYMENTS = ["PayPal", "gift card", "Visa ending 4242", "Mastercard ending 1881", "original card"]


def _money(rng: random.Random, low: int = 8, high: int = 240) -> float:
    return round(rng.uniform(low, high)) - rng.choice([0.01, 0.05, 0.5, 0.0])


def read_back(world: World, tool: str) -> str:
    """The question the assistant asks before ``tool``, about a cart or order made up in ``world``."""
    rng = world.rng
    world.fill_cart(rng.randint(1, 3))
    items = [(p.name, quantity, p.price) for p, quantity in world.cart]
    world.cart = []  # a consent turn shows no screen, live or here
    order_id = rng.choice([rng.randint(10, 99), rng.randint(100, 9999), rng.randint(10000, 99999)])
    total = round(sum(q * price for _, q, price in items), 2)
    names = [name for name, _, _ in items]
    money = [rng.choice([f"${_money(rng):,.2f} goes back to your {rng.choice(PAYMENTS)}",
                         f"You pay ${_money(rng, 2, 40):,.2f} more", f"${_money(rng, 2, 40):,.2f} back to you"])]
    if tool == "checkout":
        cart = {"lines": [{"name": n, "quantity": q, "unit_price": p} for n, q, p in items],
                "item_count": sum(q for _, q, _ in items), "subtotal": total}
        return _prompts().reply("checkout.confirm", cart=cart)
    order = {"id": order_id, "total": total, "lines": [{"name": n, "quantity": q} for n, q, _ in items]}
    change = {"items": names[:rng.randint(1, len(names))], "money": money if rng.random() < 0.7 else [],
              "address": rng.choice(ADDRESSES), "payment": rng.choice(PAYMENTS)}
    if tool == "exchange_items":
        change["items"] = [f"{n} for size {rng.choice(['S', 'M', 'L', '9', '10.5'])}" for n in change["items"]]
    if tool == "modify_order_items":
        change["items"] = [f"{n} to {rng.choice(['black', 'blue', 'red', 'large', 'small'])}" for n in change["items"]]
    return _prompts().reply(f"{tool}.confirm", order=order, change=change, tool=tool)


# ── the customer's words ─────────────────────────────────────────────────────────────────────────────

YES_CORES = [
    "yes", "yeah", "yep", "yup", "yea", "ya", "yah", "sure", "okay", "ok", "alright", "absolutely", "definitely",
    "of course", "certainly", "totally", "indeed", "affirmative", "correct", "exactly", "right", "sounds good",
    "looks good", "looks right", "perfect", "great", "excellent", "go for it", "do it", "please do", "by all means",
    "for sure", "sure thing", "yes indeed", "oh yeah", "heck yes", "hell yeah", "yeah yeah", "yes yes", "uh huh",
    "yep yep", "okie dokie", "okey doke", "k", "kk", "cool", "cool beans", "works for me", "that works",
    "go ahead", "go on then", "proceed", "carry on", "let's do it", "let's go", "i'm in", "deal", "done deal",
    "sold", "say no more", "without a doubt", "you bet", "bet", "fo sho", "yessir", "yes ma'am", "aye", "righto",
    "roger", "roger that", "righty ho", "yeppers", "yesh", "yas", "mm hm", "yuppers",
    "sure why not", "why not", "sounds perfect", "sounds lovely", "that's right", "that's correct",
    "that's the one", "spot on", "bang on", "you got it", "right on", "absolutely yes", "yes absolutely",
    "yes definitely", "a hundred percent", "one hundred percent", "totes", "ok cool", "ok sure", "sure sure",
    "yes sir", "aye aye", "certainly yes", "very well", "fine", "fine by me", "that's fine", "all good",
    "good to go", "ready when you are", "let's roll with it", "i'm ready", "yes i'm sure", "i'm sure",
    "gladly", "with pleasure", "please", "yes please", "yeah please", "ok please", "please go ahead",
]
YES_ACTIONS = {
    "checkout": ["place it", "place the order", "order it", "buy it", "check out", "get it ordered",
                 "send it through", "put it through", "process it", "book it", "pay for it", "charge my card",
                 "finish the order", "complete it", "go through with it", "submit it", "finalize it", "buy them",
                 "order them", "get them ordered", "take my money", "wrap it up", "let's buy it",
                 "put the order in", "confirm the order", "pay now", "order everything"],
    "cancel_order": ["cancel it", "cancel the order", "kill it", "scrap it", "drop it", "get rid of it",
                     "cancel the whole thing", "cancel everything", "void it", "go ahead and cancel",
                     "please cancel", "cancel that order", "i want it cancelled", "cancel away"],
    "return_items": ["return it", "return them", "send it back", "start the return", "refund me",
                     "take it back", "process the return", "i want to return it", "get the return going",
                     "send them back"],
    "exchange_items": ["swap it", "exchange it", "do the swap", "switch it over", "trade it in", "swap them",
                       "exchange them", "make the swap", "go ahead with the exchange"],
    "modify_order_items": ["make the change", "change it", "update it", "go with the new one", "switch it",
                           "update the order", "make it so", "change them"],
    "change_order_address": ["send it there", "use that address", "ship it there", "update the address",
                             "deliver it there", "change the address", "use the new address"],
    "change_order_payment": ["use that card", "switch the payment", "charge that instead", "pay with that",
                             "change the payment", "use it", "bill that one"],
}
YES_TAILS = ["please", "thanks", "thank you", "cheers", "thanks a lot", "mate", "buddy", "then", "now",
             "right away", "asap", "that's what i want", "that's what i wanted", "sounds right to me",
             "looks right to me", "i'm happy with it", "happy with that", "can't wait", "finally", "love it",
             "appreciate it", "you're the best", "great job", "much obliged", "ta", "quick", "pronto",
             "that's everything", "that's all of it", "exactly what i picked", "just what i need",
             "been waiting for this", "lovely stuff", "nice one", "good stuff", "legend", "sweet"]
YES_OPENERS = ["oh", "um", "uh", "well", "so", "right", "alright so", "okay so", "ah", "oh well", "honestly",
               "yeah so", "hey", "ooh"]
YES_REASONS = {  # a reason that fits the question: "it didn't fit" is a reason to return, not to buy
    "checkout": ["that's exactly what i picked", "i checked it twice", "the price is fine", "i need them for friday",
                 "it's a present for my dad", "that's the right total", "my old ones fell apart"],
    "cancel_order": ["i ordered it by accident", "i found it cheaper elsewhere", "i don't need it anymore",
                     "it's taking too long", "i bought the wrong one"],
    "return_items": ["it didn't fit", "the colour was off", "it arrived scratched", "it's not what i expected"],
    "exchange_items": ["that's the size i need", "the other one was too small", "that colour suits me better"],
    "modify_order_items": ["that's the one i meant", "i picked the wrong option before"],
    "change_order_address": ["i moved last month", "that address is right", "i'll be at work that day"],
    "change_order_payment": ["that's the card i wanted", "my old card expired", "i'd rather use that one"],
}

NO_CORES = [
    "no", "nope", "nah", "not now", "please don't", "don't", "stop", "hold off",
    "leave it", "forget it", "i'll pass", "pass", "no way", "not today", "negative", "i've changed my mind",
    "actually no", "on second thought no", "scratch that", "never mind", "no no no", "nuh uh", "nope nope",
    "definitely not", "not a chance", "i'd rather not", "let's not", "don't do it", "don't bother",
    "of course not", "certainly not", "no sorry", "sorry no", "nah mate", "nah not today",
    "no i don't want that", "not this time", "i don't think so", "hard pass", "nope changed my mind",
    "no leave it", "skip it", "not anymore", "no stop", "uh no", "um no", "oh no don't",
    "yeah no", "ok wait no", "sure, actually no", "yes... no, hold on, no", "nopity nope", "no ta",
]
NO_ACTIONS = {
    "checkout": ["don't place it", "don't order it", "don't charge me", "don't buy it", "hold the order",
                 "don't check out yet", "i don't want to order"],
    "cancel_order": ["don't cancel it", "keep the order", "i still want it", "leave the order", "keep it going",
                     "don't cancel"],
    "return_items": ["don't return it", "i'll keep it", "keep them", "no return", "i want to keep them"],
    "exchange_items": ["don't swap it", "keep the original", "no exchange", "i'll keep what i have"],
    "modify_order_items": ["keep it as it is", "don't change it", "leave it as is", "no changes"],
    "change_order_address": ["keep the old address", "don't change the address", "leave the address"],
    "change_order_payment": ["keep the old card", "don't switch it", "leave the payment as it is"],
}
NO_REASONS = {  # why the customer keeps things as they are
    "checkout": ["it's too expensive", "that's too much", "i found it cheaper", "the total is wrong",
                 "that's not what i picked", "i don't need it after all", "money's tight this month"],
    "cancel_order": ["i still need it", "it's for a birthday", "i want it after all", "it's already paid"],
}
KEEP_REASONS = ["i'd rather keep it as it is", "it's fine as it is", "i made a mistake asking", "that's not right",
                "that's the wrong order"]

HEDGES = ["maybe", "i guess", "i think so", "probably", "perhaps", "not sure", "let me think", "hmm",
          "i don't know", "kinda", "sort of", "possibly", "i suppose", "could be", "it depends", "dunno",
          "hmm maybe", "i mean i guess", "not really sure", "i'm not certain", "uhh let me think",
          "no idea", "i can't decide", "i'm torn", "ask me again", "let me sleep on it", "good question"]
CONDITIONS = ["if it arrives by monday", "only if shipping is free", "as long as it's under fifty dollars",
              "provided it comes tomorrow", "assuming the price is right", "but only if it's in stock",
              "unless it's late", "if you can do it without the fee", "if the discount applied",
              "if it ships before friday", "as long as i can return it", "if my card works"]
LATER = ["later", "tomorrow", "next week", "after lunch", "in an hour", "give me a minute", "ask me again later",
         "remind me tonight", "let's do it tomorrow", "maybe next month", "in a bit", "once i get paid",
         "after the weekend", "hold that thought", "one sec", "give me a moment", "not right this second"]
QUESTIONS = ["is that the total", "what's the total again", "how much is shipping", "did you include everything",
             "which card will you use", "when will it arrive", "can i still change it later", "is that with tax",
             "wait what was that", "sorry what", "say that again", "come again", "pardon", "how much was it",
             "is that the right order", "what did you say", "which order is that", "will i get an email",
             "can you repeat that", "does that include delivery", "is the refund to my card",
             "how long will it take", "what happens next"]
SARCASM = ["yeah right", "oh sure like i'd pay that", "yes totally not", "great another charge",
           "oh perfect just what i needed not", "sure and i'm the queen", "yeah when pigs fly",
           "oh absolutely in your dreams", "yes because money grows on trees", "sure sure whatever you say"]
MIXED = ["yes and no", "sort of yes", "yes i think", "yes maybe", "yeah i guess", "ok i suppose", "half yes",
         "yes for now", "i want to say yes", "yes no maybe", "ok but hmm", "sure i don't know",
         "yes wait", "yeah um actually", "kind of yes", "probably yes", "yes or maybe not", "yeah hmm"]
GARBLED = ["mmf", "blrgh", "asdf", "qwerty", "the the uh", "inaudible", "static", "crackle", "bzzt",
           "yes crackle ssh", "ok hrrm ffft", "uh the ah", "mm mm mhh", "sorry my dog", "wha", "huh",
           "oops wrong chat", "testing testing", "hello hello", "can you hear me"]
OTHER_LANGUAGE = ["sí", "si claro", "oui", "oui merci", "ja", "ja bitte", "da", "hai", "sim", "tak", "evet",
                  "naam", "non", "nein", "nee", "nie", "no gracias", "vale", "d'accord", "jawohl", "claro que sí",
                  "sí por favor", "oui bien sûr", "certo", "ok grazie", "si si"]
REQUESTS = ["add another one first", "show me something cheaper", "can you remove the socks",
            "what else do you have", "change the size to medium first", "use my other address",
            "actually add a hat", "let me see my cart", "where's my last order", "find me a gift card",
            "i want a different colour", "make it two instead", "swap the blue for red first",
            "apply my coupon first", "recommend a matching belt", "take the scarf out",
            "what's my order history", "talk to a person", "do you have it in black", "add gift wrap",
            "i want to add my promo code", "check my other order first", "put it on my other card",
            "i'd like to speak to someone", "track my package"]
YES_BUT_CHANGES = ["but without the {item}", "except the {item}", "minus the {item}", "just the {item} though",
                   "only the {item}", "but make it two", "but add a {item}", "and add a {item} too",
                   "but in the large", "but send it to my work", "but use my paypal", "but leave out the {item}",
                   "and throw in a {item}", "but drop the {item}", "but the blue one instead"]
ITEMS = ["socks", "hat", "belt", "case", "charger", "scarf", "mug", "cable", "lamp", "jacket", "strap"]

TYPO_MAP = {"yes": ["yse", "yess", "yees", "ys", "yrs", "tes"], "yeah": ["yeha", "yaeh", "yeahh", "yeh"],
            "sure": ["sur", "shure", "suer"], "okay": ["okya", "oaky", "okey"], "please": ["plese", "pleas", "plz"],
            "thanks": ["thnks", "thx", "thanx"], "perfect": ["perfct", "perfet"], "order": ["ordr", "oder"],
            "absolutely": ["absolutly", "absolutley"], "definitely": ["definately", "defintely"],
            "great": ["grate", "grat"], "cancel": ["cancle", "cansel"], "return": ["retrun", "retun"]}


def _typo(rng: random.Random, text: str) -> str:
    words = text.split()
    spots = [i for i, w in enumerate(words) if w in TYPO_MAP]
    if spots:
        i = rng.choice(spots)
        words[i] = rng.choice(TYPO_MAP[words[i]])
    return " ".join(words)


def _styled(rng: random.Random, text: str, punctuate: bool = True) -> str:
    """Typed or spoken: capitals, an exclamation, a comma; never a question mark on a statement (the prompt
    drops punctuation, so "yes?" would read as "yes")."""
    roll = rng.random()
    if roll < 0.15:
        text = text[:1].upper() + text[1:]
    elif roll < 0.2:
        text = text.upper()
    if punctuate and rng.random() < 0.25:
        text += rng.choice(["!", ".", "!!", " :)", " 👍"])
    return text


# ── templates: (answer, consent line) for a read-back asked in ``world`` ──────────────────────────────

def _asked(world: World) -> str:
    tool = world.rng.choices(TOOLS, TOOL_WEIGHTS)[0]
    question = read_back(world, tool)
    world.shown, world.cart = [], []
    world.history = [{"role": "assistant", "content": question}]
    return tool


def t_consent(label: Consent, say: Callable[[random.Random, str], str]) -> Template:
    """``say(rng, tool)`` words the answer; the example asks a read-back first and is labelled ``label``."""
    def make(world: World) -> tuple[str, str]:
        tool = _asked(world)
        return " ".join(say(world.rng, tool).split()), consent_line(label)
    return make


def _pick(rng: random.Random, *parts: list[str] | str | None) -> str:
    return " ".join(p if isinstance(p, str) else rng.choice(p) for p in parts if p)


YES_TEMPLATES: list[Callable[[random.Random, str], str]] = [
    lambda rng, tool: _styled(rng, _pick(rng, YES_CORES)),
    lambda rng, tool: _styled(rng, _pick(rng, YES_CORES, YES_ACTIONS[tool])),
    lambda rng, tool: _styled(rng, _pick(rng, YES_CORES, YES_TAILS)),
    lambda rng, tool: _styled(rng, _pick(rng, YES_ACTIONS[tool], rng.choice(["please", "", "now", "thanks"]))),
    lambda rng, tool: _styled(rng, _pick(rng, YES_OPENERS, YES_CORES, YES_ACTIONS[tool])),
    lambda rng, tool: _typo(rng, _pick(rng, YES_CORES, rng.choice(["please", "thanks", ""]))),
    lambda rng, tool: _styled(rng, _pick(rng, YES_CORES, YES_CORES)),
    lambda rng, tool: _pick(rng, YES_CORES, YES_REASONS[tool]),
    lambda rng, tool: _styled(rng, _pick(rng, YES_CORES, YES_ACTIONS[tool], YES_TAILS)),
    lambda rng, tool: _typo(rng, _pick(rng, YES_OPENERS, YES_CORES, YES_TAILS)),
]
NO_TEMPLATES: list[Callable[[random.Random, str], str]] = [
    lambda rng, tool: _styled(rng, _pick(rng, NO_CORES)),
    lambda rng, tool: _styled(rng, _pick(rng, NO_ACTIONS[tool])),
    lambda rng, tool: _pick(rng, NO_CORES, NO_REASONS.get(tool, KEEP_REASONS)),
    lambda rng, tool: _styled(rng, _pick(rng, NO_CORES, NO_ACTIONS[tool])),
    lambda rng, tool: _styled(rng, _pick(rng, NO_CORES, rng.choice(["thanks", "thank you", "sorry", "mate"]))),
    lambda rng, tool: _pick(rng, YES_OPENERS, NO_CORES),
    lambda rng, tool: _typo(rng, _pick(rng, NO_CORES, NO_ACTIONS[tool])),
    lambda rng, tool: _pick(rng, rng.choice(["actually", "on second thought", "wait", "hmm"]), NO_ACTIONS[tool]),
    lambda rng, tool: _pick(rng, NO_REASONS.get(tool, KEEP_REASONS), rng.choice(["so no", "so leave it", "i'll pass"])),
    lambda rng, tool: _styled(rng, _pick(rng, ["yes", "yeah", "ok", "sure"], ["no", "wait no", "actually no"],
                                         NO_ACTIONS[tool])),
]
UNCLEAR_TEMPLATES: list[Callable[[random.Random, str], str]] = [
    lambda rng, tool: _styled(rng, _pick(rng, HEDGES)),
    lambda rng, tool: _pick(rng, ["yes", "yeah", "ok", "sure", "fine"], CONDITIONS),
    lambda rng, tool: _pick(rng, rng.choice(["", "yes", "yeah", "ok"]), LATER),
    lambda rng, tool: _pick(rng, QUESTIONS) + rng.choice(["?", "", "?"]),
    lambda rng, tool: _styled(rng, _pick(rng, SARCASM)),
    lambda rng, tool: _pick(rng, MIXED),
    lambda rng, tool: _pick(rng, GARBLED),
    lambda rng, tool: _styled(rng, _pick(rng, OTHER_LANGUAGE)),
    lambda rng, tool: _pick(rng, YES_CORES, rng.choice(["but", "", "um"]), QUESTIONS) + "?",
    lambda rng, tool: _pick(rng, HEDGES, YES_ACTIONS[tool], rng.choice(["i guess", "maybe", "later"])),
]
OTHER_TEMPLATES: list[Callable[[random.Random, str], str]] = [
    lambda rng, tool: _pick(rng, REQUESTS),
    lambda rng, tool: _pick(rng, rng.choice(["actually", "wait", "oh", "before that"]), REQUESTS),
    lambda rng, tool: _pick(rng, YES_CORES, YES_BUT_CHANGES).format(item=rng.choice(ITEMS)),
    lambda rng, tool: _pick(rng, ["no", "nah", "not yet"], REQUESTS),
    lambda rng, tool: _pick(rng, YES_CORES, YES_ACTIONS[tool], YES_BUT_CHANGES).format(item=rng.choice(ITEMS)),
]

# (intent, weight, templates), as in taskdata.INTENTS. Weights sum to 13.5 against the mix's ~180
# (≈ 7 %); a yes is the answer that matters most (only a yes the rules miss reaches the model).
# To mix them in, training/taskdata.py's templates_for/generate take them with ``consent=True`` (training only,
# so every other caller still gets action targets only), add no spoken_noise to a consent line, and check each
# target with ``check_target`` instead of ``example.action()``; training/train.py asks for ``consent=True``.
CONSENT_INTENTS: list[tuple[str, float, list[Template]]] = [
    ("consent-yes", 5.5, [t_consent("yes", say) for say in YES_TEMPLATES]),
    ("consent-no", 3.0, [t_consent("no", say) for say in NO_TEMPLATES]),
    ("consent-unclear", 3.0, [t_consent("unclear", say) for say in UNCLEAR_TEMPLATES]),
    ("consent-other", 2.0, [t_consent("other", say) for say in OTHER_TEMPLATES]),
]


def is_consent(line: str) -> bool:
    try:
        parse_consent_line(line)
    except ValueError:
        return False
    return True


def check_target(example: Any) -> None:
    """Raise ``ValueError`` unless the target is valid: a consent line, or an action on the example's screen."""
    if not is_consent(example.line):
        example.action()
