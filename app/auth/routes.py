"""Log in and out, set passwords through one-time links, and administer users (HR)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.auth import bp
from app.auth.access import AUTHENTICATED, PUBLIC, allow
from app.auth.forms import ActionForm, ChangePasswordForm, InviteForm, LoginForm, NewPasswordForm, RolesForm
from app.auth.models import User
from app.auth.services import (
    AccountError,
    TooManyAttempts,
    authenticate,
    create_user,
    issue_reset_token,
    set_active,
    set_password,
    set_roles,
    user_for_reset_token,
)
from app.extensions import db


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
def login():
    """Show the login form and open a session for valid credentials."""
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("core.home"))
    form = LoginForm()
    if form.validate_on_submit():
        config = current_app.config
        try:
            user = authenticate(
                form.email.data,
                form.password.data,
                config["PRIMO_LOGIN_MAX_FAILURES"],
                timedelta(minutes=config["PRIMO_LOGIN_WINDOW_MINUTES"]),
            )
        except TooManyAttempts:
            db.session.commit()
            return render_template("auth/login.html", form=form, locked=True), 429
        db.session.commit()
        if user is None:
            flash(_("Wrong e-mail or password."), "error")
            return render_template("auth/login.html", form=form), 200
        session.clear()  # a fresh session, so nothing set before login carries over
        login_user(user)
        return redirect(next_url or url_for("core.home"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@allow(AUTHENTICATED)
def logout():
    """End this session and every other one of the account by rotating its session token."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    current_user.rotate_session()
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


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
                session.clear()
                login_user(user)  # this session carries on with the new token; the others are dead
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
            session.clear()
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
