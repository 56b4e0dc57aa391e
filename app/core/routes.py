"""The landing page each role starts from."""

from flask import render_template
from flask_login import current_user

from app.auth.access import AUTHENTICATED, allow
from app.core import bp


@bp.route("/")
@allow(AUTHENTICATED)
def home():
    """Show the user's starting page with the shortcuts their roles give."""
    return render_template("core/home.html", user=current_user)
