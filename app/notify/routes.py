"""Each user's notification choices (under My account) and their home-page notices."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.audit.services import record
from app.auth.access import AUTHENTICATED, allow
from app.core.formatting import language
from app.extensions import db
from app.notify import services
from app.notify.forms import preferences_form
from app.notify.kinds import Mode, kinds_for

bp = Blueprint("notify", __name__)


@bp.route("/account/notifications", methods=["GET", "POST"])
@allow(AUTHENTICATED)
def preferences():
    """Show and save how the user receives each kind of notification: immediately, weekly, or not at all."""
    user = current_user._get_current_object()
    kinds = kinds_for(user.roles)
    current = services.modes_of(user)
    form = preferences_form(kinds, current, request.form if request.method == "POST" else None)
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)  # selects with fixed choices: only a forged value or a stale CSRF token gets here
        chosen = {kind.code: Mode(form[kind.code].data) for kind in kinds}
        changed = services.set_modes(user, chosen)
        if changed:
            record(
                "notify.preferences",
                "user",
                user.id,
                before={code: modes[0] for code, modes in changed.items()},
                after={code: modes[1] for code, modes in changed.items()},
            )
        db.session.commit()
        flash(_("Your notification choices are saved."), "success")
        return redirect(url_for("notify.preferences"))
    return render_template("notify/preferences.html", form=form, kinds=kinds, address=services.address_of(user))


@bp.route("/notifications/read", methods=["POST"])
@allow(AUTHENTICATED)
def mark_read():
    """Mark the user's home-page notices as read."""
    services.mark_read(current_user._get_current_object())
    db.session.commit()
    return redirect(url_for("core.home"))


@bp.app_context_processor
def inject_inbox() -> dict[str, object]:
    """Give templates `notify_inbox()`: the user's unread home-page notices as (when, subject, body)."""

    def inbox() -> list[tuple[object, str, str]]:
        if not current_user.is_authenticated:
            return []
        rows = services.inbox(current_user._get_current_object())
        return [(row.created_at, *words) for row, words in zip(rows, services.wordings(rows, language()), strict=True)]

    return {"notify_inbox": inbox}
