"""The embedded model's consent line: how it answers "is this a yes to the read-back?" (issue 17).

One line, ``consent yes|no|unclear|other``, under a grammar that allows nothing else. The prompt is the
compact prompt (:mod:`agent.compact.prompt`) with the read-back question as the assistant's last message and
the customer's answer as the utterance, for training examples (``training/consent_answers.py``) and live
turns (``agent.understand.Understander.consent``) alike.
"""

from __future__ import annotations

from typing import get_args

from agent.consent import Consent

HEAD = "consent"
CONSENTS: tuple[Consent, ...] = get_args(Consent)  # yes, no, unclear, other
# The engine writes a space after "A:", as in training (training/train.py prefixes the target with one).
GRAMMAR = f'root ::= " {HEAD} " (' + " | ".join(f'"{c}"' for c in CONSENTS) + ') "\\n"\n'
MAX_TOKENS = 6  # " consent unclear\n" is 3-4 tokens


def consent_line(consent: Consent) -> str:
    return f"{HEAD} {consent}"


def parse_consent_line(line: str) -> Consent:
    """The consent a line says; raises ``ValueError`` for anything the grammar does not allow."""
    head, _, value = " ".join(line.split()).partition(" ")
    if head != HEAD or value not in CONSENTS:
        raise ValueError(f"not a consent line: {line!r}")
    return value  # type: ignore[return-value]  # one of CONSENTS
