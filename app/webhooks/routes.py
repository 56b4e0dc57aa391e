"""HR's webhook pages: the endpoints (register one, its secret shown once, switch it off), each endpoint's
delivery log with every attempt, and replaying a delivery."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import allow
from app.auth.forms import ActionForm
from app.extensions import db
from app.webhooks import services
from app.webhooks.forms import EndpointForm
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from app.webhooks.signing import HEADER, TOLERANCE

bp = Blueprint("webhooks", __name__, url_prefix="/settings/webhooks")


def _page(form: EndpointForm, secret: str | None = None, created: WebhookEndpoint | None = None) -> str:
    return render_template(
        "webhooks/endpoints.html",
        form=form,
        endpoints=services.endpoints(),
        secret=secret,
        created=created,
        action=ActionForm(),
        header=HEADER,
        tolerance_minutes=TOLERANCE // 60,
    )


@bp.route("", methods=["GET", "POST"])
@allow("hr")
def endpoints():
    """List the webhook endpoints and register one, whose secret is shown once, on this answer only (HR)."""
    form = EndpointForm()
    if request.method == "GET":
        return _page(EndpointForm(formdata=None))
    if not form.validate_on_submit():
        return _page(form), 400
    try:
        created = services.create_endpoint(form.url.data, form.events.data, form.description.data, current_user.email)
    except services.EndpointError as exc:
        db.session.rollback()
        getattr(form, exc.field or "url").errors.append(str(exc))
        return _page(form), 400
    db.session.commit()
    flash(_("Endpoint registered. Copy its secret now: it will not be shown again."), "success")
    return _page(EndpointForm(formdata=None), created.secret, created.endpoint)


def _endpoint_or_404(endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        abort(404)
    return endpoint


@bp.route("/<int:endpoint_id>")
@allow("hr")
def deliveries(endpoint_id: int):
    """An endpoint's delivery log: each event sent, its attempts with status code or error and duration."""
    endpoint = _endpoint_or_404(endpoint_id)
    return render_template(
        "webhooks/deliveries.html",
        endpoint=endpoint,
        deliveries=services.deliveries_of(endpoint),
        action=ActionForm(),
    )


@bp.route("/<int:endpoint_id>/switch", methods=["POST"])
@allow("hr")
def switch(endpoint_id: int):
    """Switch an endpoint off (it receives nothing new) or on again."""
    endpoint = _endpoint_or_404(endpoint_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.set_active(endpoint, not endpoint.active)
    db.session.commit()
    flash(_("Endpoint switched on.") if endpoint.active else _("Endpoint switched off."), "success")
    return redirect(url_for("webhooks.endpoints"))


@bp.route("/deliveries/<int:delivery_id>/replay", methods=["POST"])
@allow("hr")
def replay(delivery_id: int):
    """Send a delivery's event to its endpoint again, signed with a new timestamp."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.replay(delivery)
    db.session.commit()
    flash(_("The event will be sent again in a moment."), "success")
    return redirect(url_for("webhooks.deliveries", endpoint_id=delivery.endpoint_id))
