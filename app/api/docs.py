"""The API's OpenAPI document and a docs page to browse it, both served from Primo itself (no CDN)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from app.auth.access import PUBLIC, allow

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")


@bp.route("/openapi.json")
@allow(PUBLIC)  # describes the API, holds no data: integrators read it before they have a token
def openapi_json():
    """Serve the OpenAPI 3.1 document generated from the API's views."""
    return current_app.json.response(current_app.extensions["primo-api"].spec.to_dict())


@bp.route("/docs")
@allow(PUBLIC)
def docs():
    """Show the API's operations, read from the OpenAPI document by a local script."""
    return render_template("api/docs.html")
