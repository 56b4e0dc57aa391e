"""Logging in and out, sessions that die with logout, throttling, headers, CSRF, and account administration."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from werkzeug.security import check_password_hash

from app.audit.models import AuditEvent
from app.auth.models import User
from app.extensions import db
from tests.conftest import PASSWORD, csrf_token, login, logout


def test_login_opens_the_home_page(client, world):
    response = login(client, "hr@test.example")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_email_is_case_insensitive(client, world):
    assert login(client, "HR@Test.Example").status_code == 302


def test_login_follows_a_local_next(client, world):
    response = login(client, "hr@test.example", next_url="/employees")
    assert response.headers["Location"] == "/employees"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"])
def test_login_ignores_a_next_that_leaves_the_site(client, world, target):
    response = login(client, "hr@test.example", next_url=target)
    assert response.headers["Location"] == "/"


def test_a_cookie_captured_before_logout_opens_nothing_afterwards(app, world):
    first = app.test_client()
    login(first, "employee@test.example")
    stolen = first.get_cookie("session").value
    assert first.get("/").status_code == 200
    logout(first)
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_logout_ends_the_other_sessions_of_the_account_too(app, world):
    phone, laptop = app.test_client(), app.test_client()
    login(phone, "employee@test.example")
    login(laptop, "employee@test.example")
    logout(laptop)
    assert phone.get("/").status_code == 302


def test_logout_needs_a_post_with_a_csrf_token(client, world):
    login(client, "hr@test.example")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_changing_the_password_ends_other_sessions(app, world):
    other, client = app.test_client(), app.test_client()
    login(other, "employee@test.example")
    login(client, "employee@test.example")
    token = csrf_token(client, "/account/password")
    response = client.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "password": "a new long password",
            "confirm": "a new long password",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200, "the session that changed the password stays open"
    assert other.get("/").status_code == 302
    assert login(app.test_client(), "employee@test.example", "a new long password").status_code == 302


def test_a_wrong_current_password_changes_nothing(client, world):
    login(client, "employee@test.example")
    token = csrf_token(client, "/account/password")
    response = client.post(
        "/account/password",
        data={
            "current": "wrong",
            "password": "a new long password",
            "confirm": "a new long password",
            "csrf_token": token,
        },
    )
    assert response.status_code == 200
    assert login(client.application.test_client(), "employee@test.example").status_code == 302


def test_five_failures_lock_the_account_with_429(client, world):
    for _ in range(5):
        assert login(client, "employee@test.example", "wrong password").status_code == 200
    response = login(client, "employee@test.example", PASSWORD)
    assert response.status_code == 429
    assert login(client, "hr@test.example").status_code == 302, "other accounts are not locked"


def test_failures_older_than_the_window_do_not_count(app, client, world):
    from datetime import timedelta

    from app.auth.models import LoginAttempt
    from app.dbtypes import utcnow

    for _ in range(5):
        db.session.add(LoginAttempt(email="employee@test.example", at=utcnow() - timedelta(minutes=16)))
    db.session.commit()
    assert login(client, "employee@test.example").status_code == 302


def test_a_disabled_user_cannot_log_in(client, world):
    user = world["users"]["employee"]
    user.active = False
    db.session.commit()
    assert login(client, "employee@test.example").status_code == 200


def test_security_headers_are_on_every_page(client, world):
    for path in ("/login", "/does-not-exist"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_that_show_pay_are_never_cached(client_as, world):
    response = client_as("hr").get(f"/employees/{world['employee'].id}")
    assert response.status_code == 200
    assert "30" in response.get_data(as_text=True)  # the salary is on the page
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_script(client_as):
    page = client_as("hr").get("/").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert " on" + "click=" not in page


def test_a_post_without_csrf_token_is_a_400_page(client, world):
    response = client.post("/login", data={"email": "hr@test.example", "password": PASSWORD})
    assert response.status_code == 400
    assert "<html" in response.get_data(as_text=True)


def test_passwords_are_stored_hashed(world):
    user = db.session.scalar(sa.select(User).where(User.email == "hr@test.example"))
    assert user.password_hash != PASSWORD
    assert check_password_hash(user.password_hash, PASSWORD)


def test_production_hashing_is_scrypt(app):
    from app.auth.services import _hash_password

    old = app.config.pop("PRIMO_PASSWORD_METHOD")
    try:
        assert _hash_password("whatever long").startswith("scrypt:")
    finally:
        app.config["PRIMO_PASSWORD_METHOD"] = old


def test_unknown_page_is_a_404_page(client):
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert "404" in response.get_data(as_text=True)


def test_french_is_chosen_from_the_browser(client):
    page = client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(as_text=True)
    assert "Se connecter" in page or "Connexion" in page
    assert 'lang="fr"' in page


def test_english_is_chosen_from_the_browser(client):
    page = client.get("/login", headers={"Accept-Language": "en-GB"}).get_data(as_text=True)
    assert "Log in" in page


def test_the_users_language_wins_over_the_browser(client, world):
    world["employee"].language = "fr"
    db.session.commit()
    login(client, "employee@test.example")
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="fr"' in page


# --- the users CLI ------------------------------------------------------------------------------------


def test_cli_creates_a_user_with_the_password_from_stdin(runner, world):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "new@test.example",
            "--role",
            "manager",
            "--role",
            "employee",
            "--employee",
            world["stranger"].number,
        ],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "new@test.example"))
    assert user.roles == {"manager", "employee"}
    assert user.employee_id == world["stranger"].id
    assert login(runner.app.test_client(), "new@test.example", "a long enough password").status_code == 302


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email", "hr@test.example", "--role", "hr"], "already exists"),
        (["--email", "x@test.example", "--role", "hr", "--employee", "NOPE"], "no employee number NOPE"),
        (["--email", "not-an-email", "--role", "hr"], "email"),
    ],
)
def test_cli_refuses_bad_users_on_stderr(runner, world, args, message):
    result = runner.invoke(args=["users", "create", *args], input="a long enough password\n")
    assert result.exit_code != 0
    assert message in result.stderr


def test_cli_refuses_an_unknown_role(runner, world):
    result = runner.invoke(args=["users", "create", "--email", "x@test.example", "--role", "boss"], input="x\n")
    assert result.exit_code == 2


def test_cli_refuses_a_short_password(runner, world):
    result = runner.invoke(args=["users", "create", "--email", "x@test.example", "--role", "hr"], input="short\n")
    assert result.exit_code == 1
    assert "password" in result.stderr


# --- HR's user pages ----------------------------------------------------------------------------------


def test_hr_invites_a_user_who_sets_a_password_through_the_one_time_link(app, client_as, world):
    hr = client_as("hr")
    token = csrf_token(hr, "/users")
    response = hr.post(
        "/users",
        data={"email": "invitee@test.example", "roles": ["payroll"], "employee_number": "", "csrf_token": token},
    )
    assert response.status_code == 200
    link = re.search(r"<code[^>]*>(http[^<]+/reset/[^<]+)</code>", response.get_data(as_text=True)).group(1)
    path = link.split("localhost", 1)[1]
    guest = app.test_client()
    token = csrf_token(guest, path)
    done = guest.post(path, data={"password": "my own password", "confirm": "my own password", "csrf_token": token})
    assert done.status_code == 302
    assert guest.get(path).status_code == 404, "the link works once"
    assert login(app.test_client(), "invitee@test.example", "my own password").status_code == 302


def test_hr_invite_with_a_taken_email_is_a_400_with_the_reason(client_as, world):
    hr = client_as("hr")
    token = csrf_token(hr, "/users")
    response = hr.post("/users", data={"email": "hr@test.example", "roles": ["hr"], "csrf_token": token})
    assert response.status_code == 400
    assert "already exists" in response.get_data(as_text=True)


def test_disabling_a_user_ends_their_sessions(app, client_as, world):
    victim = client_as("employee")
    hr = client_as("hr")
    user_id = world["users"]["employee"].id
    token = csrf_token(hr, f"/users/{user_id}")
    assert hr.post(f"/users/{user_id}/disable", data={"csrf_token": token}).status_code == 302
    assert victim.get("/").status_code == 302
    assert login(app.test_client(), "employee@test.example").status_code == 200


def test_changing_roles_ends_sessions_and_is_audited(client_as, world):
    manager = client_as("manager")
    hr = client_as("hr")
    user_id = world["users"]["manager"].id
    token = csrf_token(hr, f"/users/{user_id}")
    response = hr.post(f"/users/{user_id}", data={"roles": ["employee"], "csrf_token": token})
    assert response.status_code == 302
    assert manager.get("/").status_code == 302
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.roles"))
    assert event.before == {"roles": ["employee", "manager"]}
    assert event.after == {"roles": ["employee"]}
    assert event.actor == "hr@test.example"


def test_hr_reset_link_replaces_the_old_password(app, client_as, world):
    hr = client_as("hr")
    user_id = world["users"]["employee"].id
    token = csrf_token(hr, f"/users/{user_id}")
    page = hr.post(f"/users/{user_id}/reset-link", data={"csrf_token": token}).get_data(as_text=True)
    path = re.search(r"<code[^>]*>http://localhost([^<]+)</code>", page).group(1)
    guest = app.test_client()
    token = csrf_token(guest, path)
    guest.post(path, data={"password": "brand new secret", "confirm": "brand new secret", "csrf_token": token})
    assert login(app.test_client(), "employee@test.example", PASSWORD).status_code == 200
    assert login(app.test_client(), "employee@test.example", "brand new secret").status_code == 302
