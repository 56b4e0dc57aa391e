"""Log in and out, set passwords through one-time links, and administer users (HR)."""

from __future__ import annotations

import math
from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from app.auth import api_tokens
from app.auth.access import AUTHENTICATED, PUBLIC, allow
from app.auth.forms import (
    ActionForm,
    ApiTokenForm,
    ChangePasswordForm,
    InviteForm,
    LanguageForm,
    LoginForm,
    NewPasswordForm,
    RolesForm,
)
from app.auth.limiting import client_address, failed_login, login_client_limit
from app.auth.models import ApiToken, User
from app.auth.services import (
    AccountError,
    LoginThrottle,
    TooManyAttempts,
    authenticate,
    create_user,
    issue_reset_token,
    set_active,
    set_language,
    set_password,
    set_roles,
    user_for_reset_token,
)
from app.auth.sessions import EXPIRED, LANGUAGE, end_session, start_session
from app.core import clock
from app.extensions import db, limiter

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """Keep a `next` target only if it is a path on this site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit(login_client_limit, key_func=client_address, methods=["POST"], deduct_when=failed_login)
def login():
    """Show the login form and open a session for valid credentials."""
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("core.home"))
    if session.pop(EXPIRED, False):
        flash(_("Your session has expired. Please log in again."), "info")
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(
                form.email.data, form.password.data, client_address(), LoginThrottle.from_config(current_app.config)
            )
        except TooManyAttempts as exc:
            db.session.commit()  # the purge of old failures
            minutes = math.ceil(exc.retry_after / 60)
            page = render_template("auth/login.html", form=form, languages=_language_switch(), locked_minutes=minutes)
            return page, 429, {"Retry-After": str(exc.retry_after)}
        db.session.commit()
        if user is None:
            flash(_("Wrong e-mail or password."), "error")
            return render_template("auth/login.html", form=form, languages=_language_switch()), 200
        start_session(user)
        return redirect(next_url or url_for("core.home"))
    return render_template("auth/login.html", form=form, languages=_language_switch())


def _language_switch() -> LanguageForm:
    """The login page's language buttons, coming back to the same page."""
    return LanguageForm(formdata=None, next=request.full_path.rstrip("?"))


@bp.route("/language", methods=["POST"])
@allow(PUBLIC)
def language():
    """Switch the pages' language: saved on the account when logged in, else for this browser."""
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    choice = form.language.data or None
    if current_user.is_authenticated:
        set_language(current_user._get_current_object(), choice)
        db.session.commit()
        session.pop(LANGUAGE, None)
    elif choice:
        session[LANGUAGE] = choice
    else:
        session.pop(LANGUAGE, None)
    back = "auth.account" if current_user.is_authenticated else "auth.login"
    return redirect(safe_next(form.next.data) or url_for(back))


@bp.route("/logout", methods=["POST"])
@allow(AUTHENTICATED)
def logout():
    """End this session and every other one of the account by rotating its session token."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    saved_language = current_user.language
    current_user.rotate_session()
    db.session.commit()
    logout_user()
    end_session()
    if saved_language:  # the login page that follows speaks the language the user chose
        session[LANGUAGE] = saved_language
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account")
@allow(AUTHENTICATED)
def account():
    """Show the user's account: e-mail, roles, language switch, and the way to a new password."""
    form = LanguageForm(formdata=None, language=current_user.language or "", next=url_for("auth.account"))
    return render_template("auth/account.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@allow(AUTHENTICATED)
def change_password():
    """Let a user change their own password, ending their other sessions."""
    from werkzeug.security import check_password_hash

    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.password_hash or not check_password_hash(current_user.password_hash, form.current.data):
            form.current.errors.append(_("This is not your current password."))
        else:
            user = current_user._get_current_object()
            try:
                set_password(user, form.password.data)
            except AccountError as exc:
                form.password.errors.append(str(exc))
            else:
                db.session.commit()
                start_session(user)  # this session carries on with the new token; the others are dead
                flash(_("Your password has been changed."), "success")
                return redirect(url_for("core.home"))
    return render_template("auth/password.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
def reset(token: str):
    """Set a password through a one-time link given by HR."""
    user = user_for_reset_token(token)
    if user is None:
        return render_template("auth/reset_invalid.html"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            set_password(user, form.password.data)
        except AccountError as exc:
            form.password.errors.append(str(exc))
        else:
            db.session.commit()
            if current_user.is_authenticated:
                logout_user()
            end_session()
            flash(_("Your password is set. You can log in."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, user=user)


@bp.route("/users", methods=["GET", "POST"])
@allow("hr")
def users():
    """List accounts and invite a new one (HR)."""
    form = InviteForm()
    reset_link = None
    if form.validate_on_submit():
        try:
            user = create_user(form.email.data, form.roles.data, employee_number=form.employee_number.data or None)
            token = issue_reset_token(user, current_app.config["PRIMO_RESET_LINK_HOURS"])
        except AccountError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return render_template("auth/users.html", form=form, users=_all_users(), reset_link=None), 400
        db.session.commit()
        reset_link = url_for("auth.reset", token=token, _external=True)
        flash(_("Account created for %(email)s. Give them the one-time link below.", email=user.email), "success")
        form = InviteForm(formdata=None)
    elif request.method == "POST":
        return render_template("auth/users.html", form=form, users=_all_users(), reset_link=None), 400
    return render_template("auth/users.html", form=form, users=_all_users(), reset_link=reset_link)


def _all_users() -> list[User]:
    return list(db.session.scalars(sa.select(User).order_by(User.email)))


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@allow("hr")
def user_detail(user_id: int):
    """Show an account and change its roles (HR)."""
    user = _user_or_404(user_id)
    form = RolesForm(roles=sorted(user.roles))
    if form.validate_on_submit():
        try:
            set_roles(user, form.roles.data)
        except AccountError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return render_template("auth/user_detail.html", user=user, form=form, action=ActionForm()), 400
        db.session.commit()
        flash(_("Roles saved."), "success")
        return redirect(url_for("auth.user_detail", user_id=user.id))
    if request.method == "POST":
        return render_template("auth/user_detail.html", user=user, form=form, action=ActionForm()), 400
    return render_template("auth/user_detail.html", user=user, form=form, action=ActionForm())


def _posted_user(user_id: int) -> User:
    """The account a state-changing button names, once its CSRF token checks out."""
    user = _user_or_404(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return user


@bp.route("/users/<int:user_id>/disable", methods=["POST"])
@allow("hr")
def user_disable(user_id: int):
    """Disable an account, ending all its sessions (HR)."""
    user = _posted_user(user_id)
    if user.id == current_user.id:
        flash(_("You cannot disable your own account."), "error")
    else:
        set_active(user, False)
        db.session.commit()
        flash(_("Account disabled."), "success")
    return redirect(url_for("auth.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/enable", methods=["POST"])
@allow("hr")
def user_enable(user_id: int):
    """Re-enable an account (HR)."""
    user = _posted_user(user_id)
    set_active(user, True)
    db.session.commit()
    flash(_("Account enabled."), "success")
    return redirect(url_for("auth.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/reset-link", methods=["POST"])
@allow("hr")
def user_reset_link(user_id: int):
    """Make a one-time password link for an account and show it to HR once."""
    user = _posted_user(user_id)
    token = issue_reset_token(user, current_app.config["PRIMO_RESET_LINK_HOURS"])
    db.session.commit()
    link = url_for("auth.reset", token=token, _external=True)
    return render_template(
        "auth/user_detail.html",
        user=user,
        form=RolesForm(roles=sorted(user.roles)),
        action=ActionForm(),
        reset_link=link,
    )


@bp.route("/settings/api-tokens", methods=["GET", "POST"])
@allow("hr")
def api_tokens_page():
    """List integration tokens and create one, whose secret is shown once, on this answer only (HR)."""
    form = ApiTokenForm()
    if request.method == "GET":
        form = ApiTokenForm(formdata=None, expires_on=clock.today() + timedelta(days=365))
    created = None
    if form.validate_on_submit():
        try:
            created = api_tokens.create_token(form.name.data, form.scopes.data, form.expires_on.data, current_user)
        except api_tokens.TokenError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return _tokens_page(form, None), 400
        db.session.commit()
        flash(_("Token created. Copy it now: it will not be shown again."), "success")
        form = ApiTokenForm(formdata=None, expires_on=form.expires_on.data)
    elif request.method == "POST":
        return _tokens_page(form, None), 400
    return _tokens_page(form, created.plaintext if created else None)


def _tokens_page(form: ApiTokenForm, plaintext: str | None) -> str:
    return render_template(
        "auth/api_tokens.html",
        form=form,
        tokens=api_tokens.all_tokens(),
        status=api_tokens.status,
        plaintext=plaintext,
        action=ActionForm(),
    )


@bp.route("/settings/api-tokens/<int:token_id>/revoke", methods=["POST"])
@allow("hr")
def api_token_revoke(token_id: int):
    """Revoke an integration token for good (HR)."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    api_tokens.revoke(token, current_user)
    db.session.commit()
    flash(_("Token revoked."), "success")
    return redirect(url_for("auth.api_tokens_page"))
