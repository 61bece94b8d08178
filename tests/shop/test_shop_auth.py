"""Sign-in at the shop: random sessions that expire and can be revoked, passwords, the demo login, the login
rate limit, tokens a shop signs (JWT), and refusing a database from before all this."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from shop.api import create_shop_app
from shop.auth import AuthOptions, JwtVerifier, hash_token, set_password
from shop.db import Database
from shop.models import LoginSession, User, UserRole
from tests.conftest import SMALL_SHOP

PASSWORD = "a long enough password"
SECRET = "s3cret-of-the-shop-that-signs-its-customers-in"  # 46 bytes: HS256 wants 32 or more
ISSUER, AUDIENCE = "https://shop.example", "voiceshop"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def with_password(db: Database, login: str, password: str = PASSWORD) -> None:
    with db.session() as session:
        set_password(session, session.execute(select(User).where(User.login == login)).scalar_one(), password)


def shop_client(db: Database, **options) -> TestClient:
    return TestClient(create_shop_app(db, auth=AuthOptions(**options)))


# --- sessions --------------------------------------------------------------------------------------------

def test_a_token_computed_the_old_way_is_refused(client: TestClient, db: Database) -> None:
    """Before real sign-in a token was sha256(seed:login): anyone could compute another customer's."""
    with db.session() as session:
        logins = session.execute(select(User.login)).scalars().all()
    for login in logins:
        computed = hashlib.sha256(f"{SMALL_SHOP['seed']}:{login}".encode()).hexdigest()[:32]
        assert client.get("/me", headers=bearer(computed)).status_code == 401, login
    assert client.get("/cart", headers=bearer("demo-token")).status_code == 401  # the old fixed demo token


def test_a_session_token_is_random_and_stored_only_as_its_hash(client: TestClient, db: Database) -> None:
    first, second = (client.post("/login", json={"login": "demo"}).json()["token"] for _ in range(2))
    assert first != second and len(first) >= 43  # 32 random bytes, URL-safe base64
    with db.session() as session:
        stored = session.execute(select(LoginSession.token_hash)).scalars().all()
    assert hash_token(first) in stored and hash_token(second) in stored
    assert first not in stored and second not in stored


def test_a_session_ends_when_it_expires(client: TestClient, db: Database) -> None:
    answer = client.post("/login", json={"login": "demo"}).json()
    expires_at = datetime.fromisoformat(answer["expires_at"])
    assert timedelta(hours=11, minutes=59) < expires_at - datetime.now(UTC) <= timedelta(hours=12)
    assert client.get("/cart", headers=bearer(answer["token"])).status_code == 200
    with db.session() as session:
        session.execute(update(LoginSession).where(LoginSession.token_hash == hash_token(answer["token"]))
                        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    expired = client.get("/cart", headers=bearer(answer["token"]))
    assert expired.status_code == 401 and expired.headers["www-authenticate"] == "Bearer"


def test_logout_revokes_that_session_only(client: TestClient) -> None:
    phone, laptop = (client.post("/login", json={"login": "demo"}).json()["token"] for _ in range(2))
    assert client.post("/logout", headers=bearer(phone)).json() == {"status": "signed out"}
    assert client.get("/me", headers=bearer(phone)).status_code == 401
    assert client.post("/cart/items", json={"product_id": "p1"}, headers=bearer(phone)).status_code == 401
    assert client.post("/logout", headers=bearer(phone)).status_code == 401
    assert client.get("/me", headers=bearer(laptop)).status_code == 200


def test_session_length_follows_the_setting(db: Database) -> None:
    with shop_client(db, session_ttl=timedelta(minutes=5)) as client:
        answer = client.post("/login", json={"login": "demo"}).json()
    assert datetime.fromisoformat(answer["expires_at"]) - datetime.now(UTC) <= timedelta(minutes=5)
    with pytest.raises(ValueError, match="SESSION_TTL"):
        AuthOptions(session_ttl=timedelta(0))


# --- passwords and the demo login ------------------------------------------------------------------------

def test_password_sign_in(client: TestClient, db: Database, other_customer: str) -> None:
    without = client.post("/login", json={"login": other_customer, "password": PASSWORD})
    assert without.status_code == 401, "a seeded customer has no password until one is set"
    with_password(db, other_customer)
    with db.session() as session:
        stored = session.execute(select(User.password_hash).where(User.login == other_customer)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored

    wrong = client.post("/login", json={"login": other_customer, "password": PASSWORD + "!"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "Wrong login or password"
    assert client.post("/login", json={"login": other_customer}).status_code == 401  # only demo may omit it
    right = client.post("/login", json={"login": other_customer.upper(), "password": PASSWORD})
    assert right.status_code == 200 and right.json()["user"]["login"] == other_customer
    assert client.get("/orders", headers=bearer(right.json()["token"])).json(), "their own seeded orders"


def test_a_new_password_signs_out_every_session(client: TestClient, db: Database, other_customer: str) -> None:
    with_password(db, other_customer)
    token = client.post("/login", json={"login": other_customer, "password": PASSWORD}).json()["token"]
    with_password(db, other_customer, "another long password")
    assert client.get("/me", headers=bearer(token)).status_code == 401
    with db.session() as session, pytest.raises(ValueError, match="8 to 1024"):
        set_password(session, session.execute(select(User).where(User.login == other_customer)).scalar_one(), "short")


def test_the_owner_signs_in_with_a_password(client: TestClient, db: Database) -> None:
    with_password(db, "owner")
    answer = client.post("/login", json={"login": "owner", "password": PASSWORD})
    assert answer.status_code == 200 and answer.json()["user"]["role"] == "owner"
    assert client.get("/me", headers=bearer(answer.json()["token"])).json()["role"] == "owner"
    assert client.post("/login", json={"login": "owner"}).status_code == 401


def test_the_demo_login_can_be_turned_off(db: Database) -> None:
    with shop_client(db, demo_login=False) as client:
        refused = client.post("/login", json={"login": "demo"})
        assert refused.status_code == 401 and "DEMO_LOGIN" in refused.json()["detail"]
        with_password(db, "demo")
        assert client.post("/login", json={"login": "demo", "password": PASSWORD}).status_code == 200


# --- the login rate limit --------------------------------------------------------------------------------

def test_failed_sign_ins_are_limited_per_address_and_login(db: Database, other_customer: str) -> None:
    with_password(db, other_customer)
    app = create_shop_app(db)  # the default limit: 5 failures a minute
    attacker, neighbour = TestClient(app, client=("203.0.113.7", 1)), TestClient(app, client=("198.51.100.2", 1))
    guess = {"login": other_customer, "password": "not the password"}
    assert [attacker.post("/login", json=guess).status_code for _ in range(5)] == [401] * 5
    limited = attacker.post("/login", json=guess)
    assert limited.status_code == 429 and 1 <= int(limited.headers["retry-after"]) <= 60
    right = {"login": other_customer, "password": PASSWORD}
    assert attacker.post("/login", json=right).status_code == 429, "no more tries, not even the right one"
    assert neighbour.post("/login", json=right).status_code == 200  # another address is not held back
    assert attacker.post("/login", json={"login": "demo"}).status_code == 200  # nor another login


# --- tokens a shop signs ---------------------------------------------------------------------------------

@pytest.fixture
def jwt_client(db: Database) -> Iterator[TestClient]:
    verifier = JwtVerifier.from_setting(SECRET, issuer=ISSUER, audience=AUDIENCE)
    with shop_client(db, jwt=verifier) as client:
        yield client


def shop_token(sub: str, key: object = SECRET, algorithm: str = "HS256", **changes: object) -> str:
    claims = {"sub": sub, "iss": ISSUER, "aud": AUDIENCE, "exp": datetime.now(UTC) + timedelta(minutes=5)}
    claims.update(changes)
    return jwt.encode({name: value for name, value in claims.items() if value is not None}, key, algorithm=algorithm)


def test_a_shop_token_signs_its_customer_in(jwt_client: TestClient, other_customer: str) -> None:
    answer = jwt_client.post("/session/jwt", json={"token": shop_token(other_customer)})
    assert answer.status_code == 200, answer.text
    assert answer.json()["user"]["login"] == other_customer
    assert jwt_client.get("/orders", headers=bearer(answer.json()["token"])).json(), "their own seeded orders"


def test_a_customer_seen_first_in_a_shop_token_is_created_without_a_password(jwt_client: TestClient,
                                                                               db: Database) -> None:
    first = jwt_client.post("/session/jwt", json={"token": shop_token("shop-customer-4711", name="Ada Lovelace")})
    assert first.status_code == 200 and first.json()["user"]["name"] == "Ada Lovelace"
    again = jwt_client.post("/session/jwt", json={"token": shop_token("shop-customer-4711")})
    assert again.json()["user"]["id"] == first.json()["user"]["id"]
    with db.session() as session:
        created = session.execute(select(User).where(User.login == "shop-customer-4711")).scalar_one()
        assert (created.role, created.password_hash) == (UserRole.customer, None)


@pytest.mark.parametrize("token", [
    pytest.param(lambda: shop_token("demo", key="another-shop's-secret-that-is-also-long-enough"), id="bad-signature"),
    pytest.param(lambda: shop_token("demo", exp=datetime.now(UTC) - timedelta(minutes=2)), id="expired"),
    pytest.param(lambda: shop_token("demo", aud="another-assistant"), id="wrong-audience"),
    pytest.param(lambda: shop_token("demo", iss="https://elsewhere.example"), id="wrong-issuer"),
    pytest.param(lambda: shop_token("demo", exp=None), id="no-expiry"),
    pytest.param(lambda: jwt.encode({"sub": "demo", "iss": ISSUER, "aud": AUDIENCE}, None, algorithm="none"),
                 id="unsigned"),
    pytest.param(lambda: "not.a.jwt", id="garbage"),
])
def test_a_bad_shop_token_is_refused(jwt_client: TestClient, token) -> None:
    answer = jwt_client.post("/session/jwt", json={"token": token()})
    assert answer.status_code == 401, answer.text
    assert "shop token" in answer.json()["detail"]


def test_a_shop_token_never_signs_in_an_owner(jwt_client: TestClient) -> None:
    assert jwt_client.post("/session/jwt", json={"token": shop_token("owner")}).status_code == 403


def test_shop_tokens_are_off_without_a_key(client: TestClient) -> None:
    assert client.post("/session/jwt", json={"token": shop_token("demo")}).status_code == 404


@pytest.mark.parametrize("new_key,algorithm", [
    (lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256"),
    (lambda: ec.generate_private_key(ec.SECP256R1()), "ES256"),
], ids=["RS256", "ES256"])
def test_a_public_key_checks_tokens_signed_with_its_private_key(db: Database, new_key, algorithm: str) -> None:
    shops_key, impostors_key = new_key(), new_key()
    pem = shops_key.public_key().public_bytes(serialization.Encoding.PEM,
                                              serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    verifier = JwtVerifier.from_setting(pem, issuer=ISSUER, audience=AUDIENCE)
    assert verifier.algorithms == (algorithm,)
    with shop_client(db, jwt=verifier) as client:
        good = client.post("/session/jwt", json={"token": shop_token("demo", shops_key, algorithm)})
        assert good.status_code == 200, good.text
        forged = client.post("/session/jwt", json={"token": shop_token("demo", impostors_key, algorithm)})
        assert forged.status_code == 401


def test_a_key_that_cannot_protect_anything_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        JwtVerifier.from_setting("too-short")
    with pytest.raises(ValueError):
        JwtVerifier.from_setting("-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----")
