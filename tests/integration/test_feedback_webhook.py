"""The survey webhook `POST /api/feedback/<source>`: HMAC-SHA256 of the raw body with the source's secret, generic
(X-Primo-Signature, hex) and Typeform (Typeform-Signature, base64) formats; 401 without a good signature, 400 with
the reason for a bad body, 201 for a new response, 200 and nothing new for the same external id again."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.feedback.models import FeedbackSource, FollowUpCase, ResponseContact, SurveyResponse
from app.feedback.sources import create_source
from app.feedback.webhook import signature, signature_valid


def count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


@pytest.fixture
def generic(app, world) -> FeedbackSource:
    source = create_source("shop-app", "generic")
    db.session.commit()
    return source


@pytest.fixture
def typeform(app, world) -> FeedbackSource:
    refs = {"nps": "q_nps", "csat": "q_csat", "ces": "q_ces", "comment": "q_text", "consent": "q_ok", "name": "q_name"}
    source = create_source("tf", "typeform", refs | {"contact": "q_mail"})
    db.session.commit()
    return source


def post(client, source: FeedbackSource | str, payload: Any, *, secret: str | None = None, header: str | None = None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    name = source if isinstance(source, str) else source.name
    fmt = "generic" if isinstance(source, str) else source.format
    headers = {}
    key = secret if secret is not None else (None if isinstance(source, str) else source.secret)
    if header is None and key is not None:
        header = signature(fmt, key, body)
    if header is not None:
        headers["Typeform-Signature" if fmt == "typeform" else "X-Primo-Signature"] = header
    return client.post(f"/api/feedback/{name}", data=body, headers=headers, content_type="application/json")


def generic_payload(external_id: str = "w-1", **values: Any) -> dict[str, Any]:
    payload = {
        "external_id": external_id,
        "store_code": "A1",
        "answered_at": "2026-06-30T22:30:00Z",
        "channel": "app",
        "nps": 9,
        "csat": None,
        "ces": None,
        "comment": "Super",
        "employee_number": None,
        "contact_consent": False,
    }
    payload.update(values)
    return payload


def typeform_payload(token: str = "tok-1", *, nps: Any = 2, consent: bool = True) -> dict[str, Any]:
    return {
        "event_id": "01HZ",
        "event_type": "form_response",
        "form_response": {
            "form_id": "abc",
            "token": token,
            "landed_at": "2026-07-01T08:00:00Z",
            "submitted_at": "2026-07-01T08:01:30Z",
            "hidden": {"store_code": "B1"},
            "definition": {"id": "abc", "title": "Votre visite"},
            "answers": [
                {"type": "number", "number": nps, "field": {"id": "f1", "type": "opinion_scale", "ref": "q_nps"}},
                {"type": "number", "number": 4, "field": {"id": "f2", "type": "rating", "ref": "q_csat"}},
                {"type": "text", "text": "Trop d'attente", "field": {"id": "f3", "type": "long_text", "ref": "q_text"}},
                {"type": "boolean", "boolean": consent, "field": {"id": "f4", "type": "yes_no", "ref": "q_ok"}},
                {"type": "text", "text": "Nina Web", "field": {"id": "f5", "type": "short_text", "ref": "q_name"}},
                {"type": "email", "email": "nina@example.com", "field": {"id": "f6", "type": "email", "ref": "q_mail"}},
                {
                    "type": "choice",
                    "choice": {"label": "x"},
                    "field": {"id": "f7", "type": "multiple_choice", "ref": "other"},
                },
            ],
        },
    }


def test_signatures_are_hmac_sha256_of_the_raw_body():
    body = b'{"a": 1}'
    digest = hmac.new(b"k", body, hashlib.sha256).digest()
    assert signature("generic", "k", body) == "sha256=" + digest.hex()
    assert signature("typeform", "k", body) == "sha256=" + base64.b64encode(digest).decode()
    assert signature_valid("generic", "k", body, signature("generic", "k", body).upper().replace("SHA256", "sha256"))
    assert signature_valid("typeform", "k", body, signature("typeform", "k", body))
    assert not signature_valid("typeform", "k", body, signature("generic", "k", body))
    assert not signature_valid("generic", "k", body + b" ", signature("generic", "k", body))
    assert not signature_valid("generic", "k", body, None)
    assert not signature_valid("generic", "k", body, "md5=abc")


def test_a_new_generic_response_is_created_then_a_repeat_changes_nothing(client, generic, world):
    created = post(client, generic, generic_payload())
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["status"] == "created"
    response = db.session.scalar(sa.select(SurveyResponse))
    assert created.get_json()["id"] == response.id
    assert (response.source, response.external_id, response.batch_id) == ("shop-app", "w-1", None)
    assert (response.local_date, response.local_month, response.nps) == (date(2026, 7, 1), 202607, 9)
    assert response.store_id == world["north"].id and response.comment == "Super"
    again = post(client, generic, generic_payload(nps=3))
    assert again.status_code == 200 and again.get_json() == {"status": "duplicate", "id": response.id}
    assert count(SurveyResponse) == 1
    db.session.refresh(response)
    assert response.nps == 9


def test_bad_or_missing_signature_or_unknown_source_is_401(client, generic):
    assert post(client, generic, generic_payload(), secret="wrong").status_code == 401
    assert post(client, generic, generic_payload(), header="").status_code == 401
    no_header = client.post("/api/feedback/shop-app", data=b"{}", content_type="application/json")
    assert no_header.status_code == 401 and no_header.get_json() == {"error": "missing or invalid signature"}
    assert post(client, "nowhere", generic_payload(), secret=generic.secret).status_code == 401
    assert count(SurveyResponse) == 0


def test_malformed_json_or_bad_values_are_400_with_the_reason(client, generic):
    broken = post(client, generic, b'{"external_id": ')
    assert broken.status_code == 400 and "not valid JSON" in broken.get_json()["error"]
    listed = post(client, generic, b"[1, 2]")
    assert listed.status_code == 400 and "JSON object" in listed.get_json()["error"]
    bad = post(client, generic, generic_payload(nps=11, store_code="ZZ", answered_at="yesterday"))
    assert bad.status_code == 400
    reasons = {r["field"]: r["reason"] for r in bad.get_json()["reasons"]}
    assert reasons["nps"] == "11 is out of range (0 to 10)"
    assert reasons["store_code"] == "unknown store 'ZZ'"
    assert "not an ISO 8601 timestamp" in reasons["answered_at"]
    fractional = post(client, generic, generic_payload(nps=7.0))
    assert fractional.status_code == 400 and "'7.0' is not a whole number" in fractional.get_json()["error"]
    nested = post(client, generic, generic_payload(nps=[7]))
    assert nested.status_code == 400 and "nps" in nested.get_json()["error"]
    empty = post(client, generic, generic_payload(nps=None))
    assert empty.status_code == 400 and "every score is empty" in empty.get_json()["error"]
    assert count(SurveyResponse) == 0


def test_a_consenting_detractor_by_webhook_gets_a_case_and_a_kept_contact(client, generic, world):
    payload = generic_payload(
        "w-2", nps=4, contact_consent=True, customer_name="Oscar Hook", customer_contact="oscar@example.com"
    )
    assert post(client, generic, payload).status_code == 201
    response = db.session.scalar(sa.select(SurveyResponse))
    assert response.contact.customer_name == "Oscar Hook"
    case = db.session.scalar(sa.select(FollowUpCase))
    assert case.response_id == response.id and case.due_at == response.answered_at + timedelta(hours=48)
    no_consent = generic_payload("w-3", nps=0, customer_name="Olga Nope", customer_contact="olga@example.com")
    assert post(client, generic, no_consent).status_code == 201
    assert count(ResponseContact) == 1 and count(FollowUpCase) == 1


def test_a_typeform_response_maps_token_hidden_store_and_refs(client, typeform, world):
    created = post(client, typeform, typeform_payload())
    assert created.status_code == 201, created.get_json()
    response = db.session.scalar(sa.select(SurveyResponse))
    assert (response.source, response.external_id, response.store_id) == ("tf", "tok-1", world["south"].id)
    assert response.answered_at == datetime(2026, 7, 1, 8, 1, 30, tzinfo=UTC)
    assert (response.nps, response.csat, response.ces, response.channel) == (2, 4, None, "typeform")
    assert response.comment == "Trop d'attente" and response.contact_consent is True
    assert (response.contact.customer_name, response.contact.customer_contact) == ("Nina Web", "nina@example.com")
    assert count(FollowUpCase) == 1
    again = post(client, typeform, typeform_payload())
    assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
    assert count(SurveyResponse) == 1


def test_typeform_signature_is_base64_and_bad_payloads_are_400(client, typeform, world):
    body = json.dumps(typeform_payload("tok-2")).encode()
    hex_signed = post(client, typeform, body, header=signature("generic", typeform.secret, body))
    assert hex_signed.status_code == 401
    missing = post(client, typeform, {"event_type": "form_response"})
    assert missing.status_code == 400 and "form_response" in missing.get_json()["error"]
    no_store = typeform_payload("tok-3")
    no_store["form_response"]["hidden"] = {}
    result = post(client, typeform, no_store)
    assert result.status_code == 400 and result.get_json()["reasons"] == [{"field": "store_code", "reason": "required"}]
    out_of_range = post(client, typeform, typeform_payload("tok-4", nps=12))
    assert out_of_range.status_code == 400 and "nps" in out_of_range.get_json()["error"]
    assert count(SurveyResponse) == 0


def test_a_signed_body_nested_1000_deep_is_a_400_that_says_so(client, generic):
    body = ('{"external_id": "deep", "comment": ' + "[" * 1000 + "]" * 1000 + "}").encode()
    response = post(client, generic, body)
    assert response.status_code == 400
    assert response.get_json()["error"] == "the body is nested too deeply"
    assert count(SurveyResponse) == 0


def test_a_body_over_the_webhook_cap_is_a_413_naming_the_cap(client, generic):
    from app.feedback.webhook import MAX_BODY_BYTES

    body = json.dumps(generic_payload(comment="x" * MAX_BODY_BYTES)).encode()
    response = post(client, generic, body)
    assert response.status_code == 413
    assert response.get_json()["error"] == "the body is larger than the 256 KB limit"
    assert count(SurveyResponse) == 0


def test_a_body_without_a_length_is_read_no_further_than_the_cap(client, generic, counting_body):
    """A chunked body announces no length: the webhook reads one byte past its cap and stops there."""
    from app.feedback.webhook import MAX_BODY_BYTES

    stream = counting_body(b"{" + b" " * (10 * MAX_BODY_BYTES) + b"}")
    response = client.post(
        f"/api/feedback/{generic.name}",
        input_stream=stream,
        content_type="application/json",
        # What a server says of a chunked body: no length, but the stream ends where the body does.
        environ_overrides={"CONTENT_LENGTH": "", "wsgi.input_terminated": True},
        headers={"X-Primo-Signature": "sha256=00"},
    )
    assert response.status_code == 413
    assert response.get_json()["error"] == "the body is larger than the 256 KB limit"
    assert stream.furthest == MAX_BODY_BYTES + 1


def test_a_bad_answers_reasons_stay_in_english_for_a_french_company(app, client, generic, monkeypatch):
    monkeypatch.setitem(app.config, "PRIMO_DEFAULT_LANGUAGE", "fr")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr-FR,fr;q=0.9"
    bad = post(client, generic, generic_payload(nps=11, store_code="ZZ"))
    assert bad.status_code == 400
    reasons = {r["field"]: r["reason"] for r in bad.get_json()["reasons"]}
    assert reasons == {"store_code": "unknown store 'ZZ'", "nps": "11 is out of range (0 to 10)"}
