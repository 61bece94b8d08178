"""Who the assistant is talking to: a signed-in customer and the shop token it forwards on their behalf.

Resolving tokens and cookies is the HTTP layer's job (:mod:`app.auth`); the agent only carries the result.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Customer:
    id: int
    login: str
    name: str
    token: str
