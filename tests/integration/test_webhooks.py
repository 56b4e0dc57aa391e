"""Outgoing webhooks: a real local HTTP server receives signed deliveries sent from the queue, with retries, a
delivery log, replays, idempotence, HR-only pages, and the events fired by the real flows."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.core import clock
from app.dbtypes import utcnow
from app.extensions import db
from app.webhooks import services, signing
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from app.webhooks.sending import UrlRefused, check_url


def count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def emit_one(key: str = "run.approved:1", **data):
    event = services.emit("run.approved", key, {"run_id": 1, "total": "290.63"} | data)
    db.session.commit()
    return event


def verify(endpoint: WebhookEndpoint, request: dict) -> int:
    return signing.verify(endpoint.secret, request["headers"].get("Primo-Signature"), request["body"])


# --- sending, signing, retrying -----------------------------------------------------------------------------------


def test_a_delivery_is_posted_after_the_commit_signed_with_the_endpoints_secret(
    webhook_endpoint, webhook_receiver, job_queue, drain
):
    endpoint = webhook_endpoint()
    event = services.emit("run.approved", "run.approved:7", {"run_id": 7, "total": "290.63"})
    assert drain(job_queue) == 0  # nothing leaves before the commit
    db.session.commit()
    assert drain(job_queue) == 1
    [request] = webhook_receiver.requests
    assert request["path"] == "/hooks/primo"
    assert request["headers"]["Content-Type"] == "application/json"
    timestamp = verify(endpoint, request)
    assert abs(timestamp - time.time()) < 60
    body = json.loads(request["body"])
    assert body["id"] == event.uid and body["id"].startswith("evt_")
    assert body["type"] == "run.approved"
    assert body["data"] == {"run_id": 7, "total": "290.63"}
    assert body["occurred_at"].endswith("+00:00")
    assert request["headers"]["Primo-Event-Id"] == event.uid
    delivery = db.session.scalar(sa.select(WebhookDelivery))
    assert delivery.status == "delivered" and delivery.attempts == 1
    attempt = db.session.scalar(sa.select(WebhookAttempt))
    assert attempt.status_code == 200 and attempt.ok and attempt.duration_ms >= 0


def test_a_signature_is_refused_when_tampered_with_or_older_than_five_minutes():
    body = b'{"id":"evt_1"}'
    now = 1_800_000_000
    header = signing.signature_header("whsec_x", now, body)
    assert signing.verify("whsec_x", header, body, now=now + 299) == now
    with pytest.raises(signing.SignatureError, match="too old"):
        signing.verify("whsec_x", header, body, now=now + 301)
    with pytest.raises(signing.SignatureError, match="does not match"):
        signing.verify("whsec_x", header, body + b" ", now=now)
    with pytest.raises(signing.SignatureError, match="does not match"):
        signing.verify("whsec_y", header, body, now=now)
    # An old body signed again with a new time does not pass without the secret.
    forged = header.replace(f"t={now}", f"t={now + 600}")
    with pytest.raises(signing.SignatureError):
        signing.verify("whsec_x", forged, body, now=now + 600)
    with pytest.raises(signing.SignatureError):
        signing.verify("whsec_x", None, body, now=now)


def test_a_receiver_failing_with_500_gets_the_event_again_a_minute_later(
    webhook_endpoint, webhook_receiver, job_queue, drain
):
    webhook_endpoint()
    webhook_receiver.answers = [500]
    emit_one()
    assert drain(job_queue) == 1
    delivery = db.session.scalar(sa.select(WebhookDelivery))
    db.session.refresh(delivery)
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.next_attempt_at - clock.now() > timedelta(seconds=50)
    assert drain(job_queue, later=30) == 0  # not before its minute
    drain(job_queue, later=61)
    db.session.refresh(delivery)
    assert delivery.status == "delivered" and delivery.attempts == 2
    assert len(webhook_receiver.requests) == 2
    codes = db.session.scalars(sa.select(WebhookAttempt.status_code).order_by(WebhookAttempt.id)).all()
    assert codes == [500, 200]
    first, second = webhook_receiver.requests
    assert first["body"] == second["body"]


def test_a_delivery_is_given_up_after_the_last_retry(webhook_endpoint, webhook_receiver, job_queue, drain):
    webhook_endpoint()
    webhook_receiver.answers = [500] * 10
    emit_one()
    drain(job_queue, later=3 * 3600)
    delivery = db.session.scalar(sa.select(WebhookDelivery))
    db.session.refresh(delivery)
    assert delivery.status == "failed"
    assert delivery.attempts == 5  # the first try, then 1 min, 5 min, 30 min and 2 h later
    assert len(webhook_receiver.requests) == 5
    assert drain(job_queue, later=24 * 3600) == 0


def test_an_unreachable_receiver_is_logged_with_the_error(app, webhook_endpoint, job_queue, drain, closed_port):
    endpoint = webhook_endpoint()
    endpoint.url = f"http://127.0.0.1:{closed_port}/gone"
    db.session.commit()
    emit_one()
    drain(job_queue)
    attempt = db.session.scalar(sa.select(WebhookAttempt))
    assert attempt.status_code is None and "Connection" in attempt.error
    assert db.session.scalar(sa.select(WebhookDelivery.status)) == "pending"


def test_the_same_event_emitted_twice_is_delivered_once(webhook_endpoint, webhook_receiver, job_queue, drain):
    webhook_endpoint()
    assert emit_one() is not None
    assert emit_one() is None  # the same fact again: nothing new
    drain(job_queue)
    assert count(WebhookEvent) == 1 and count(WebhookDelivery) == 1
    delivery_id = db.session.scalar(sa.select(WebhookDelivery.id))
    assert services.deliver(delivery_id) is False  # a delivered one is never sent again
    job_queue.primo_webhook(delivery_id)  # nor when the queue hands it out twice
    drain(job_queue)
    assert len(webhook_receiver.requests) == 1


def test_only_one_of_two_senders_claims_a_delivery(webhook_endpoint, webhook_receiver, concurrently):
    webhook_endpoint()
    emit_one()
    delivery_id = db.session.scalar(sa.select(WebhookDelivery.id))
    outcomes = concurrently(*[lambda: str(services.deliver(delivery_id))] * 2)
    assert sorted(outcomes) == ["False", "True"]
    assert len(webhook_receiver.requests) == 1


def test_an_endpoint_receives_only_the_events_it_chose_and_nothing_once_switched_off(
    webhook_endpoint, webhook_receiver, job_queue, drain
):
    endpoint = webhook_endpoint("case.opened")
    emit_one()
    assert count(WebhookDelivery) == 0
    services.set_active(endpoint, False)
    db.session.commit()
    services.emit("case.opened", "case.opened:1", {"case_id": 1})
    db.session.commit()
    drain(job_queue)
    assert webhook_receiver.requests == []


# --- addresses ----------------------------------------------------------------------------------------------------


def test_only_http_and_https_urls_without_credentials_are_registered(app, world):
    for url in ("ftp://example.com/x", "file:///etc/passwd", "javascript:alert(1)", "http://", "https://u:p@x.com/"):
        with pytest.raises(services.EndpointError):
            services.create_endpoint(url, ["run.approved"], "", "hr")
    assert services.create_endpoint("https://hooks.example.com/primo", ["run.approved"], "", "hr").secret


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "http://10.1.2.3/",
        "http://[::1]/",
        "http://169.254.169.254/latest",
        "http://[::ffff:192.168.0.1]/",
    ],
)
def test_private_addresses_are_refused_unless_the_setting_allows_them(url):
    with pytest.raises(UrlRefused):
        check_url(url, allow_private=False)
    check_url(url, allow_private=True)


def test_a_name_resolving_to_a_private_address_is_refused_when_sending(
    app, webhook_endpoint, webhook_receiver, job_queue, drain, monkeypatch
):
    endpoint = webhook_endpoint()
    endpoint.url = webhook_receiver.url.replace("127.0.0.1", "localhost")
    db.session.commit()
    monkeypatch.setitem(app.config, "PRIMO_WEBHOOK_ALLOW_PRIVATE", False)
    emit_one()
    drain(job_queue)
    attempt = db.session.scalar(sa.select(WebhookAttempt))
    assert attempt.error.startswith("refused:") and "private" in attempt.error
    assert webhook_receiver.requests == []


# --- pages and command line ---------------------------------------------------------------------------------------


def test_hr_registers_an_endpoint_on_the_page_and_sees_its_secret_once(client_as, post, text, webhook_receiver):
    hr = client_as("hr")
    page = post(
        hr,
        "/settings/webhooks",
        {"url": webhook_receiver.url, "events": ["run.approved", "points.redeemed"], "description": "ERP"},
        page="/settings/webhooks",
    )
    assert page.status_code == 200
    endpoint = db.session.scalar(sa.select(WebhookEndpoint))
    assert endpoint.events == ["points.redeemed", "run.approved"]
    assert endpoint.secret in text(page)
    assert endpoint.secret not in text(hr.get("/settings/webhooks"))
    refused = post(hr, "/settings/webhooks", {"url": "ftp://x", "events": ["run.approved"]}, page="/settings/webhooks")
    assert refused.status_code == 400 and "http" in text(refused)


def test_the_delivery_log_shows_each_attempt_and_replays_with_a_new_timestamp(
    client_as, post, text, webhook_endpoint, webhook_receiver, job_queue, drain
):
    endpoint = webhook_endpoint()
    webhook_receiver.answers = [503]
    event = emit_one()
    drain(job_queue, later=61)
    hr = client_as("hr")
    log = text(hr.get(f"/settings/webhooks/{endpoint.id}"))
    assert event.uid in log and "HTTP 503" in log and "HTTP 200" in log and "delivered" in log
    delivery = db.session.scalar(sa.select(WebhookDelivery))
    assert hr.get(f"/settings/webhooks/deliveries/{delivery.id}/replay").status_code == 405  # nothing on GET
    assert hr.post(f"/settings/webhooks/deliveries/{delivery.id}/replay").status_code == 400  # no CSRF token
    time.sleep(1.1)  # a later second, so the new timestamp shows
    replayed = post(
        hr, f"/settings/webhooks/deliveries/{delivery.id}/replay", {}, page=f"/settings/webhooks/{endpoint.id}"
    )
    assert replayed.status_code == 302
    assert drain(job_queue) == 1
    first, _second, again = webhook_receiver.requests
    assert again["body"] == first["body"]
    assert verify(endpoint, again) > verify(endpoint, first)
    assert again["headers"]["Primo-Delivery-Id"] != first["headers"]["Primo-Delivery-Id"]
    assert count(WebhookDelivery) == 2


@pytest.mark.parametrize("role", ["manager", "employee", "payroll"])
def test_only_hr_reaches_the_webhook_pages(client_as, webhook_endpoint, role):
    endpoint = webhook_endpoint()
    client = client_as(role)
    assert client.get("/settings/webhooks").status_code == 403
    assert client.get(f"/settings/webhooks/{endpoint.id}").status_code == 403


def test_an_api_token_does_not_open_the_webhook_pages(api, api_token, webhook_endpoint):
    endpoint = webhook_endpoint()
    token = api_token()
    for path in ("/settings/webhooks", f"/settings/webhooks/{endpoint.id}"):
        response = api(token, "GET", path)
        assert response.status_code in (302, 401), path
        assert endpoint.url not in response.get_data(as_text=True)


def test_the_command_line_adds_and_lists_endpoints(runner, app, webhook_receiver):
    added = runner.invoke(args=["webhooks", "add", webhook_receiver.url, "--event", "case.opened"])
    assert added.exit_code == 0, added.output
    secret = added.output.strip().splitlines()[-1]
    assert secret.startswith("whsec_")
    listed = runner.invoke(args=["webhooks", "list", "--json"])
    [row] = json.loads(listed.output)
    assert row["url"] == webhook_receiver.url and row["events"] == ["case.opened"]
    assert secret not in listed.output
    bad = runner.invoke(args=["webhooks", "add", "ftp://x", "--event", "case.opened"])
    assert bad.exit_code == 1 and "refused" in bad.output


def test_send_due_sends_what_the_queue_never_got(app, webhook_endpoint, webhook_receiver, runner):
    webhook_endpoint()
    emit_one()  # no queue installed: the in-memory default nobody drains
    delivery = db.session.scalar(sa.select(WebhookDelivery))
    delivery.created_at -= timedelta(minutes=5)
    db.session.commit()
    result = runner.invoke(args=["webhooks", "send-due"])
    assert result.exit_code == 0 and "1 deliveries delivered" in result.output
    assert len(webhook_receiver.requests) == 1


def test_purge_removes_finished_deliveries_after_the_retention_and_keeps_pending_ones(
    app, webhook_endpoint, webhook_receiver, job_queue, drain, runner
):
    webhook_endpoint()
    emit_one("run.approved:1", employee="E1")
    drain(job_queue)  # delivered, with one attempt
    emit_one("run.approved:2")  # never sent: pending
    emit_one("run.approved:3")
    recent = emit_one("run.approved:4")
    old = utcnow() - timedelta(days=120)
    for delivery in db.session.scalars(sa.select(WebhookDelivery)):
        if delivery.event.key != recent.key:
            delivery.created_at = delivery.delivered_at = old
            delivery.event.occurred_at = old
        if delivery.event.key == "run.approved:3":
            delivery.status = "failed"
    db.session.commit()
    assert count(WebhookAttempt) == 1

    result = runner.invoke(args=["webhooks", "purge"])
    assert result.exit_code == 0, result.output
    assert "2 deliveries removed, 2 events cleared" in result.output
    kept = {d.event.key: d.status for d in db.session.scalars(sa.select(WebhookDelivery))}
    assert kept == {"run.approved:2": "pending", "run.approved:4": "pending"}
    assert count(WebhookAttempt) == 0
    events = {e.key: e.data for e in db.session.scalars(sa.select(WebhookEvent))}
    assert events["run.approved:1"] == {} and events["run.approved:3"] == {}  # no names kept past the retention
    assert events["run.approved:2"]["run_id"] == 1 and events["run.approved:4"]["run_id"] == 1
    # The key stays: the same fact emitted again is still one event.
    assert services.emit("run.approved", "run.approved:1", {"run_id": 1}) is None
    again = runner.invoke(args=["webhooks", "purge", "--older-than", "90"])
    assert again.exit_code == 0 and "0 deliveries removed, 0 events cleared" in again.output
    audited = db.session.scalars(sa.select(AuditEvent.summary).where(AuditEvent.action == "webhooks.purge")).all()
    assert audited == ["2 deliveries and the contents of 2 events older than 90 days"]  # the empty run adds none
    assert runner.invoke(args=["webhooks", "purge", "--older-than", "0"]).exit_code == 2


# --- the events, fired by the real flows --------------------------------------------------------------------------


def test_approving_a_run_and_storing_its_statements_fire_their_events(
    build_worked_example, make_run, webhook_endpoint, webhook_receiver, job_queue, drain
):
    build_worked_example()
    webhook_endpoint("run.approved", "statements.ready")
    run = make_run("approved")
    drain(job_queue)
    by_type = {body["type"]: body for body in webhook_receiver.bodies()}
    approved = by_type["run.approved"]["data"]
    assert approved["run_id"] == run.id and approved["period"] == "2026-Q3"
    assert approved["total"] == f"{run.total:.2f}" and isinstance(approved["total"], str)
    assert approved["approved_by"] == "hr2@test.example"
    ready = by_type["statements.ready"]["data"]
    assert ready["run_id"] == run.id and ready["employee_numbers"] == ["H1", "W1"] and ready["statements"] == 2


def test_a_case_opened_by_the_survey_webhook_fires_case_opened(
    client, world, webhook_endpoint, webhook_receiver, job_queue, drain
):
    from app.feedback.sources import create_source
    from app.feedback.webhook import signature

    source = create_source("shop-app", "generic")
    db.session.commit()
    webhook_endpoint("case.opened")
    payload = {
        "external_id": "w-9",
        "store_code": "A1",
        "answered_at": "2026-06-30T10:00:00Z",
        "nps": 2,
        "contact_consent": True,
        "customer_name": "Jean Client",
        "customer_contact": "jean@example.com",
    }
    body = json.dumps(payload).encode()
    response = client.post(
        "/api/feedback/shop-app",
        data=body,
        headers={"X-Primo-Signature": signature("generic", source.secret, body)},
        content_type="application/json",
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    drain(job_queue)
    [body] = webhook_receiver.bodies()
    assert body["type"] == "case.opened"
    assert body["data"]["store_code"] == "A1" and body["data"]["nps"] == 2
    assert "Jean" not in json.dumps(body) and "jean@" not in json.dumps(body)  # no customer details


def test_cases_opened_by_a_file_import_fire_case_opened(
    runner, world, survey_row, survey_csv, tmp_path, webhook_endpoint, webhook_receiver, job_queue, drain
):
    webhook_endpoint("case.opened")
    rows = [
        survey_row("f-1", nps="1", contact_consent="yes"),
        survey_row("f-2", nps="10"),
        survey_row("f-3", nps="4", contact_consent="yes"),
    ]
    result = runner.invoke(args=["surveys", "import", str(survey_csv(tmp_path / "s.csv", rows))])
    assert result.exit_code == 0, result.output
    drain(job_queue)
    assert sorted(b["data"]["nps"] for b in webhook_receiver.bodies()) == [1, 4]
    again = runner.invoke(args=["surveys", "import", str(survey_csv(tmp_path / "s.csv", rows))])
    assert again.exit_code == 0
    drain(job_queue)
    assert len(webhook_receiver.requests) == 2  # skipped rows open nothing new


def test_a_redemption_fires_points_redeemed(
    world, credit, make_reward, webhook_endpoint, webhook_receiver, job_queue, drain
):
    from decimal import Decimal

    from app.recognition.catalogue import request_redemption

    webhook_endpoint("points.redeemed")
    credit(world["employee"], 300, clock.today() - timedelta(days=10))
    reward = make_reward(name="Cinema ticket", cost=120, euro_value=Decimal("12.50"))
    redemption = request_redemption(world["employee"], reward)
    db.session.commit()
    drain(job_queue)
    [body] = webhook_receiver.bodies()
    assert body["type"] == "points.redeemed"
    assert body["data"] == {
        "redemption_id": redemption.id,
        "employee_number": world["employee"].number,
        "reward_id": reward.id,
        "reward": "Cinema ticket",
        "reward_kind": "gift_card",
        "points": 120,
        "euro_value": "12.50",
        "status": "pending",
        "requested_on": clock.today().isoformat(),
    }


def test_the_webhook_pages_read_in_french(world, client_as, text, webhook_endpoint, webhook_receiver, job_queue, drain):
    endpoint = webhook_endpoint("run.approved")
    webhook_receiver.answers = [500]
    emit_one()
    drain(job_queue)
    world["users"]["hr"].language = "fr"
    db.session.commit()
    hr = client_as("hr")
    endpoints = text(hr.get("/settings/webhooks"))
    assert "Webhooks sortants" in endpoints and "Calcul de primes approuvé" in endpoints
    assert "Enregistrer le point de réception" in endpoints
    log = text(hr.get(f"/settings/webhooks/{endpoint.id}"))
    assert "Tentatives" in log and "en attente" in log and "prochain essai" in log and "Renvoyer" in log


def test_send_due_puts_a_failed_try_back_on_the_queue(
    app, webhook_endpoint, webhook_receiver, runner, job_queue, drain
):
    webhook_endpoint()
    webhook_receiver.answers = [500]
    services.emit("run.approved", "run.approved:3", {"run_id": 3})
    db.session.commit()
    assert job_queue.dequeue() is not None  # the broker lost it
    delivery = db.session.scalar(sa.select(WebhookDelivery))
    delivery.created_at -= timedelta(minutes=5)
    db.session.commit()
    assert "0 deliveries delivered" in runner.invoke(args=["webhooks", "send-due"]).output
    drain(job_queue, later=61)
    db.session.refresh(delivery)
    assert delivery.status == "delivered" and delivery.attempts == 2
    assert len(webhook_receiver.requests) == 2
