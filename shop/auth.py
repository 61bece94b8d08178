"""Sign-in for the reference shop: passwords, sessions, the login rate limit and tokens a shop signs.

- Passwords are argon2id hashes (argon2-cffi's defaults, RFC 9106's low-memory profile); a hash made with
  older parameters is replaced at the next successful sign-in.
- A session is a random bearer token (``secrets.token_urlsafe(32)``, 256 bits). The database keeps only its
  SHA-256, when it expires (``AuthOptions.session_ttl`` after sign-in) and when it was revoked.
- Failed sign-ins are counted per client address and login, in this process (a moving window from the
  ``limits`` library): each replica counts its own, so N replicas allow N times the rate.
- A shop that keeps its own customer accounts can sign a short-lived JWT for the widget instead;
  :class:`JwtVerifier` checks it with that shop's key, and the customer it names gets a session here
  without a password. The shop stays the identity provider.

The HTTP routes (``/login``, ``/logout``, ``/session/jwt``) and ``current_user`` are in :mod:`shop.api`.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from shop.models import LoginSession, User, utcnow

DEMO_LOGIN = "demo"  # the one customer who may sign in without a password, while the demo login is on
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 1024
MIN_HMAC_KEY_BYTES = 32  # RFC 7518 3.2: an HS256 key at least as long as the hash
CLOCK_SKEW = timedelta(seconds=30)  # between the shop that signs a token and us

_hasher = PasswordHasher()


class SignInRefused(Exception):
    """Why a sign-in did not happen, as the HTTP answer it becomes."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers


# --- sessions --------------------------------------------------------------------------------------------

def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User, ttl: timedelta) -> tuple[str, LoginSession]:
    """A new session for ``user`` (the caller commits); returns the bearer token, shown only this once."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    # The customer's ended sessions are of no further use: drop them so the table stays small.
    session.execute(delete(LoginSession).where(
        LoginSession.user_id == user.id, or_(LoginSession.expires_at <= now, LoginSession.revoked_at.is_not(None))))
    row = LoginSession(token_hash=hash_token(token), user_id=user.id, created_at=now, expires_at=now + ttl)
    session.add(row)
    return token, row


def live_session(session: Session, token: str) -> LoginSession | None:
    """The session ``token`` opened, if it has neither expired nor been revoked."""
    return session.execute(select(LoginSession).where(
        LoginSession.token_hash == hash_token(token), LoginSession.revoked_at.is_(None),
        LoginSession.expires_at > utcnow())).scalar_one_or_none()


def revoke_sessions(session: Session, user_id: int) -> None:
    """End every live session of one user (the caller commits)."""
    session.execute(update(LoginSession).where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
                    .values(revoked_at=utcnow()))


# --- passwords -------------------------------------------------------------------------------------------

def hash_password(password: str) -> str:
    """The argon2id hash to store; raises ``ValueError`` for a password of the wrong length."""
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise ValueError(f"a password needs {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters")
    return _hasher.hash(password)


def set_password(session: Session, user: User, password: str) -> None:
    """Give ``user`` a new password and sign out their sessions (the caller commits)."""
    user.password_hash = hash_password(password)
    revoke_sessions(session, user.id)


@cache
def _stand_in_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def password_matches(user: User | None, password: str) -> bool:
    """Whether ``password`` is ``user``'s. Without a user or a stored password it checks a stand-in hash, so
    the answer takes as long as for a real account and timing tells no one which logins exist."""
    real = user is not None and user.password_hash is not None
    try:
        _hasher.verify(user.password_hash if real else _stand_in_hash(), password)
    except (VerificationError, InvalidHashError):  # a mismatch is a VerificationError too
        return False
    return real


def needs_rehash(user: User) -> bool:
    return user.password_hash is not None and _hasher.check_needs_rehash(user.password_hash)


# --- the login rate limit --------------------------------------------------------------------------------

class LoginLimiter:
    """Failed sign-ins per client address and login within a moving window, e.g. ``"5/minute"``."""

    def __init__(self, rule: str) -> None:
        self.limit = parse(rule)  # ValueError for a rule the limits library cannot read
        self._window = MovingWindowRateLimiter(MemoryStorage())

    def check(self, client: str, login: str) -> None:
        """Raise 429, with the seconds to wait in ``Retry-After``, while the pair is over its limit."""
        key = (client, login.lower())
        if self._window.test(self.limit, *key):
            return
        wait = max(1, math.ceil(self._window.get_window_stats(self.limit, *key).reset_time - time.time()))
        raise SignInRefused(429, f"Too many failed sign-ins for '{login}'; try again in {wait} s",
                            {"Retry-After": str(wait)})

    def failed(self, client: str, login: str) -> None:
        self._window.hit(self.limit, client, login.lower())


# --- tokens signed by a shop -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ShopCustomer:
    """Who a verified shop token names: ``sub`` is their login here, ``name`` (optional) their name."""

    login: str
    name: str


@dataclass(frozen=True)
class JwtVerifier:
    """Checks JWTs signed by the shop that owns the customer accounts (PyJWT).

    ``key``: an HS256 secret of at least 32 bytes, or a PEM public key (RSA: RS256; EC P-256/384/521:
    ES256/384/512). The algorithm follows from the key, never from the token, so a token cannot pick a
    weaker check. ``exp`` and ``sub`` are required; ``iss`` and ``aud`` are checked when configured.
    """

    key: object
    algorithms: tuple[str, ...]
    issuer: str | None = None
    audience: str | None = None

    @classmethod
    def from_setting(cls, key: str, issuer: str | None = None, audience: str | None = None) -> JwtVerifier:
        """Raises ``ValueError`` for a key that cannot verify anything (too short a secret, an unknown PEM)."""
        if key.lstrip().startswith("-----BEGIN"):
            public_key = serialization.load_pem_public_key(key.strip().encode())
            if isinstance(public_key, rsa.RSAPublicKey):
                algorithm = "RS256"
            elif isinstance(public_key, ec.EllipticCurvePublicKey):
                algorithm = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}.get(
                    public_key.curve.name, "")
                if not algorithm:
                    raise ValueError(f"SHOP_JWT_KEY: no JWT algorithm for the curve {public_key.curve.name}")
            else:
                raise ValueError("SHOP_JWT_KEY: a PEM public key must be RSA or EC")
            return cls(public_key, (algorithm,), issuer, audience)
        if len(key.encode()) < MIN_HMAC_KEY_BYTES:
            raise ValueError(f"SHOP_JWT_KEY: an HS256 secret needs at least {MIN_HMAC_KEY_BYTES} bytes")
        return cls(key, ("HS256",), issuer, audience)

    def customer(self, token: str) -> ShopCustomer:
        """The customer a valid token names; raises :class:`SignInRefused` (401) for any other token."""
        try:
            claims = jwt.decode(token, self.key, algorithms=list(self.algorithms), issuer=self.issuer,
                                audience=self.audience, leeway=CLOCK_SKEW,
                                options={"require": ["exp", "sub"], "verify_aud": self.audience is not None})
        except jwt.ExpiredSignatureError as error:
            raise SignInRefused(401, "The shop token has expired: get a new one from the shop") from error
        except jwt.PyJWTError as error:
            raise SignInRefused(401, f"The shop token is not valid: {error}") from error
        login = claims["sub"].strip()
        if not 1 <= len(login) <= 80:
            raise SignInRefused(401, "The shop token's 'sub' must be a login of 1 to 80 characters")
        name = claims.get("name")
        return ShopCustomer(login, name.strip()[:120] if isinstance(name, str) and name.strip() else login)


# --- options ---------------------------------------------------------------------------------------------

@dataclass
class AuthOptions:
    """How the shop signs people in (``app.settings.SignInOptions`` fills these from the environment)."""

    demo_login: bool = True  # "demo" may sign in without a password
    session_ttl: timedelta = timedelta(hours=12)
    login_rate_limit: str = "5/minute"  # failed sign-ins per client address and login
    jwt: JwtVerifier | None = None  # None: no sign-in with a shop's token
    limiter: LoginLimiter = field(init=False)

    def __post_init__(self) -> None:
        if self.session_ttl <= timedelta(0):
            raise ValueError("SESSION_TTL must be a positive number of seconds")
        self.limiter = LoginLimiter(self.login_rate_limit)
