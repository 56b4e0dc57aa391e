"""Login limits per client and per account, equal-cost login checks, session lifetimes, and the language switch.

Clients get an address of their own through `environ_base`, as a reverse proxy or the network would give them.
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_login.utils import encode_cookie
from limits.storage import storage_from_string

from app import create_app
from app.audit.models import AuditEvent
from app.auth.limiting import DatabaseStorage, storage_uri
from app.auth.models import LoginAttempt, RateLimitCounter, User
from app.dbtypes import utcnow
from app.extensions import db
from tests.conftest import PASSWORD, csrf_token, login

ATTACKER = "198.51.100.9"
OWNER = "203.0.113.5"


def client_from(app: Flask, address: str, language: str = "en") -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    return client


# --- one client, many accounts (Flask-Limiter) ----------------------------------------------------------


def test_one_client_trying_many_accounts_gets_429_once_past_its_limit(app, world):
    sprayer = client_from(app, ATTACKER)
    statuses = [login(sprayer, f"someone{i}@test.example", "Winter2026!").status_code for i in range(40)]
    assert statuses[:20] == [200] * 20
    assert set(statuses[20:]) == {429}
    refused = login(sprayer, "hr@test.example", PASSWORD)
    assert refused.status_code == 429, "past the limit even the right password waits"
    assert 0 < int(refused.headers["Retry-After"]) <= 600
    page = refused.get_data(as_text=True)
    assert "<html" in page and "Too many attempts from your address. Try again in 10 minutes." in page
    assert login(client_from(app, OWNER), "hr@test.example").status_code == 302, "other addresses are not held back"


def test_the_429_page_speaks_the_readers_language(app, world):
    app.config["PRIMO_LOGIN_CLIENT_LIMIT"] = "2 per 10 minutes"
    try:
        sprayer = client_from(app, ATTACKER, language="fr")
        for i in range(2):
            login(sprayer, f"someone{i}@test.example", "wrong password")
        refused = login(sprayer, "someone9@test.example", "wrong password")
    finally:
        app.config["PRIMO_LOGIN_CLIENT_LIMIT"] = "20 per 10 minutes"
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "Trop de tentatives depuis votre adresse. Réessayez dans 10 minutes." in page
    assert 'lang="fr"' in page


def test_successful_logins_from_one_address_do_not_count_against_it(app, world):
    for _ in range(25):  # a store's staff behind one address, all logging in at opening time
        assert login(client_from(app, OWNER), "employee@test.example").status_code == 302
    assert login(client_from(app, OWNER), "employee@test.example", "typo").status_code == 200


def test_the_counters_are_rows_in_the_database_by_default(app, world):
    login(client_from(app, ATTACKER), "nobody@test.example", "wrong password")
    keys = db.session.scalars(sa.select(RateLimitCounter.key)).all()
    assert len(keys) == 1 and ATTACKER in keys[0]


def test_proxyfix_trusts_only_the_configured_number_of_proxies(app, world, tmp_path, monkeypatch):
    monkeypatch.setenv("PRIMO_INSTANCE_PATH", str(tmp_path))
    same = ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "TESTING", "PRIMO_PASSWORD_METHOD", "PRIMO_DEFAULT_LANGUAGE")
    behind = create_app({**{name: app.config[name] for name in same}, "PRIMO_PROXY_COUNT": 1})
    try:
        with behind.app_context():
            proxied = behind.test_client()
            proxied.environ_base["REMOTE_ADDR"] = "10.0.0.2"  # the proxy
            token = csrf_token(proxied)
            forged = {"X-Forwarded-For": f"192.0.2.1, {ATTACKER}"}  # the client's own claim, then the proxy's
            data = {"email": "nobody@test.example", "password": "x", "csrf_token": token}
            assert proxied.post("/login", data=data, headers=forged).status_code == 200
        direct = client_from(app, "10.0.0.3")  # PRIMO_PROXY_COUNT=0: the header is ignored
        token = csrf_token(direct)
        direct.post(
            "/login", data={"email": "nobody@test.example", "password": "x", "csrf_token": token}, headers=forged
        )
    finally:
        with behind.app_context():
            db.engine.dispose()
    clients = db.session.scalars(sa.select(LoginAttempt.client).order_by(LoginAttempt.id)).all()
    assert clients == [ATTACKER, "10.0.0.3"]


def test_the_limiter_storage_follows_the_settings(monkeypatch):
    monkeypatch.delenv("PRIMO_QUEUE_URL", raising=False)
    assert storage_uri({}) == "primo-db://"
    assert storage_uri({"PRIMO_QUEUE_URL": "sqlite:///q.sqlite"}) == "primo-db://"
    assert storage_uri({"PRIMO_QUEUE_URL": "redis://cache:6379/0"}) == "redis://cache:6379/0"
    assert storage_uri({"PRIMO_LIMITER_URL": "redis://other:6379/1", "PRIMO_QUEUE_URL": "redis://q/0"}) == (
        "redis://other:6379/1"
    )
    monkeypatch.setenv("PRIMO_QUEUE_URL", "rediss://queue:6380/0")
    assert storage_uri({}) == "rediss://queue:6380/0"
    assert isinstance(storage_from_string("primo-db://"), DatabaseStorage)


# --- the database storage of the counters ------------------------------------------------------------


@pytest.fixture
def own_engine(app: Flask):
    """An engine of the test's database sized for many threads (the storage takes one connection per call)."""
    url = db.engine.url
    postgres = url.get_backend_name() == "postgresql"
    threads = 20 if postgres else 8
    options: dict[str, object] = {"pool_size": threads + 2, "max_overflow": 0, "pool_timeout": 60}
    if not postgres:
        options["connect_args"] = {"timeout": 60, "check_same_thread": False}
    engine = sa.create_engine(url, **options)
    db.session.commit()
    yield engine, threads
    engine.dispose()


def test_concurrent_increments_are_each_counted_once(own_engine):
    engine, threads = own_engine
    storage = DatabaseStorage(engine=engine)
    per_thread = 10
    start = threading.Barrier(threads)

    def work(_index: int) -> list[int]:
        start.wait(timeout=60)
        return [storage.incr("burst", 600) for _ in range(per_thread)]

    with ThreadPoolExecutor(max_workers=threads) as pool:
        seen = [count for counts in pool.map(work, range(threads)) for count in counts]
    total = threads * per_thread
    assert sorted(seen) == list(range(1, total + 1)), "every increment saw a count of its own"
    assert storage.get("burst") == total
    assert time.time() < storage.get_expiry("burst") <= time.time() + 600


def test_a_window_that_has_ended_starts_again_and_its_row_goes(own_engine, time_machine):
    engine, _threads = own_engine
    storage = DatabaseStorage(engine=engine)
    time_machine.move_to(utcnow(), tick=False)
    assert storage.incr("short", 60) == 1
    assert storage.incr("short", 60) == 2
    assert storage.incr("other", 30) == 1
    time_machine.shift(45)
    assert storage.get("other") == 0, "ended windows count nothing"
    assert storage.incr("short", 60) == 3
    time_machine.shift(30)
    assert storage.get("short") == 0
    assert storage.incr("short", 60) == 1, "a new window opens"
    assert storage.incr("fresh", 60) == 1
    with engine.connect() as conn:
        keys = conn.scalars(sa.select(RateLimitCounter.key).order_by(RateLimitCounter.key)).all()
    assert keys == ["fresh", "short"], "opening a window swept the ended ones away"
    storage.clear("fresh")
    assert storage.get("fresh") == 0
    assert storage.reset() == 1 and storage.check()


def test_a_counter_is_kept_when_the_requests_transaction_rolls_back(app, world):
    storage = DatabaseStorage()
    if db.engine.dialect.name == "postgresql":
        # SQLite lets one writer at a time: there the request's session only reads before the limiter counts.
        db.session.add(LoginAttempt(email="pending@test.example"))
        db.session.flush()
    db.session.execute(sa.select(User.id)).all()
    assert storage.incr("kept", 60) == 1
    db.session.rollback()
    assert storage.get("kept") == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)) == 0


# --- a stranger cannot lock the owner out ------------------------------------------------------------


def test_a_strangers_failures_do_not_lock_the_owner_out(app, world):
    attacker = client_from(app, ATTACKER)
    for _ in range(5):
        assert login(attacker, "employee@test.example", "guess").status_code == 200
    owner = client_from(app, OWNER)
    assert login(owner, "employee@test.example").status_code == 302, "the owner logs in from their own address"
    refused = login(attacker, "employee@test.example", PASSWORD)
    assert refused.status_code == 429, "while the attacker's address is refused, even with the right password"
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    assert "Try again in 15 minutes." in refused.get_data(as_text=True)


def test_failures_spread_over_many_addresses_leave_each_address_one_try(app, world):
    for i in range(20):  # the account-wide ceiling (PRIMO_LOGIN_ACCOUNT_FAILURES)
        assert login(client_from(app, f"192.0.2.{i + 1}"), "employee@test.example", "guess").status_code == 200
    newcomer = client_from(app, "192.0.2.200")
    assert login(newcomer, "employee@test.example", "guess").status_code == 200
    assert login(newcomer, "employee@test.example", "guess").status_code == 429, "one try per address now"
    assert login(client_from(app, OWNER), "employee@test.example").status_code == 302, "the owner still gets in"


def test_failed_login_rows_are_purged_once_out_of_their_window(app, world):
    old = utcnow() - timedelta(minutes=16)
    db.session.add_all(LoginAttempt(email=f"x{i}@test.example", client=ATTACKER, at=old) for i in range(3))
    db.session.add(LoginAttempt(email="recent@test.example", client=ATTACKER, at=utcnow()))
    db.session.commit()
    assert login(client_from(app, OWNER), "hr@test.example").status_code == 302
    left = db.session.scalars(sa.select(LoginAttempt.email)).all()
    assert left == ["recent@test.example"]


# --- unknown accounts cost what a wrong password costs ------------------------------------------------


@pytest.fixture
def key_derivations(monkeypatch) -> list[str]:
    """The method of every password key derivation werkzeug performs (one per hash made or checked)."""
    import werkzeug.security

    seen: list[str] = []
    real = werkzeug.security._hash_internal

    def spy(method: str, salt: str, password: str):
        seen.append(method)
        return real(method, salt, password)

    monkeypatch.setattr(werkzeug.security, "_hash_internal", spy)
    return seen


def test_unknown_disabled_and_passwordless_accounts_cost_one_check_like_a_wrong_password(app, world, key_derivations):
    passwordless = User(email="nopassword@test.example")
    disabled = world["users"]["payroll"]
    disabled.active = False
    db.session.add(passwordless)
    db.session.commit()
    client = client_from(app, OWNER)
    login(client, "warm-up@test.example", "wrong password")  # the dummy hash is made once per process
    method = app.config["PRIMO_PASSWORD_METHOD"]
    for email in ("employee@test.example", "nobody@test.example", "payroll@test.example", "nopassword@test.example"):
        key_derivations.clear()
        assert login(client, email, "wrong password").status_code == 200
        assert key_derivations == [method], email


def test_the_dummy_hash_uses_the_configured_method(app):
    from app.auth.services import _dummy_hash

    old = app.config.pop("PRIMO_PASSWORD_METHOD")
    try:
        assert _dummy_hash().startswith("scrypt:")
        assert _dummy_hash() is _dummy_hash(), "made once per process"
    finally:
        app.config["PRIMO_PASSWORD_METHOD"] = old


# --- session lifetimes -------------------------------------------------------------------------------


def test_a_session_idle_past_the_timeout_ends_with_a_message(app, world, time_machine):
    time_machine.move_to(utcnow(), tick=False)
    client = client_from(app, OWNER)
    assert login(client, "employee@test.example").status_code == 302
    time_machine.shift(timedelta(hours=7, minutes=59))
    assert client.get("/").status_code == 200, "within the idle timeout"
    time_machine.shift(timedelta(hours=8, minutes=1))
    response = client.get("/cases")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/cases"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your session has expired. Please log in again." in page
    assert client.get("/").status_code == 302


def test_activity_does_not_stretch_a_session_past_its_absolute_lifetime(app, world, time_machine):
    time_machine.move_to(utcnow(), tick=False)
    client = client_from(app, OWNER)
    login(client, "employee@test.example")
    for _ in range(6 * 24 // 6 + 3):  # a request every six hours for six days and a half
        time_machine.shift(timedelta(hours=6))
        assert client.get("/").status_code == 200
    time_machine.shift(timedelta(hours=6))  # seven days and a quarter after logging in
    assert client.get("/").status_code == 302
    assert "Your session has expired." in client.get("/login").get_data(as_text=True)


def test_last_seen_is_written_at_most_every_few_minutes(app, world, time_machine):
    time_machine.move_to(utcnow(), tick=False)
    client = client_from(app, OWNER)
    login(client, "employee@test.example")
    client.get("/")  # the first page after login hands out a CSRF token, which the session keeps

    def rewrites_cookie() -> bool:
        return any(h.startswith("session=") for h in client.get("/").headers.getlist("Set-Cookie"))

    time_machine.shift(timedelta(minutes=2))
    assert not rewrites_cookie()
    time_machine.shift(timedelta(minutes=4))
    assert rewrites_cookie()
    assert not rewrites_cookie()


def test_a_remember_cookie_alone_opens_no_session(app, world):
    client = client_from(app, OWNER)
    client.set_cookie("remember_token", encode_cookie(world["users"]["employee"].get_id()))
    assert client.get("/").status_code == 302
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=7), "and it would not outlive a session"


# --- the language switch -----------------------------------------------------------------------------


def switch_language(client: FlaskClient, language: str, back: str = "/login", token_page: str | None = None):
    token = csrf_token(client, token_page or back)
    return client.post("/language", data={"language": language, "next": back, "csrf_token": token})


def test_the_login_page_switches_language_without_script(app, world):
    client = client_from(app, OWNER, language="en")
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in page and "Log in to Primo" in page
    assert re.search(r'<button type="submit" class="link" name="language" value="fr" lang="fr">Français</button>', page)
    response = switch_language(client, "fr")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="fr"' in page and "Log in to Primo" not in page
    assert switch_language(client, "en").status_code == 302
    assert 'lang="en"' in client.get("/login").get_data(as_text=True)


def test_the_language_chosen_on_the_login_page_carries_into_the_session(app, world):
    client = client_from(app, OWNER, language="en")  # the employee record says "en" too
    switch_language(client, "fr", "/login?next=/account")
    response = login(client, "employee@test.example", next_url="/account")
    assert response.headers["Location"] == "/account"
    assert 'lang="fr"' in client.get("/account").get_data(as_text=True)


def test_the_profile_saves_the_language_on_the_account(app, world):
    client = client_from(app, OWNER, language="en")
    login(client, "employee@test.example")
    page = client.get("/account").get_data(as_text=True)
    assert "My account" in page and 'name="language"' in page
    response = switch_language(client, "fr", "/account")
    assert response.headers["Location"] == "/account"
    assert db.session.get(User, world["users"]["employee"].id).language == "fr"
    page = client.get("/account").get_data(as_text=True)
    assert 'lang="fr"' in page and "Mon compte" in page
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.language"))
    assert event.after == {"language": "fr"}
    other_browser = client_from(app, "192.0.2.50", language="en")
    login(other_browser, "employee@test.example")
    assert 'lang="fr"' in other_browser.get("/").get_data(as_text=True), "the choice follows the account"
    switch_language(client, "", "/account")  # automatic: the employee record's language again
    assert db.session.get(User, world["users"]["employee"].id).language is None
    assert 'lang="en"' in client.get("/account").get_data(as_text=True)


def test_the_language_switch_needs_a_post_with_a_csrf_token_and_a_known_language(app, world):
    client = client_from(app, OWNER)
    assert client.get("/language").status_code == 405
    assert client.post("/language", data={"language": "fr"}).status_code == 400
    assert switch_language(client, "de").status_code == 400
    assert switch_language(client, "fr", "//evil.example/", token_page="/login").headers["Location"] == "/login"


def test_logging_out_keeps_the_saved_language_for_the_login_page(app, world):
    client = client_from(app, OWNER, language="en")
    login(client, "employee@test.example")
    switch_language(client, "fr", "/account")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    assert 'lang="fr"' in client.get("/login").get_data(as_text=True)
