"""Webhook payloads: check the HMAC signature of the raw body and turn a generic or Typeform payload into the
cells of one survey-file row. Pure: no Flask, no database."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

SIGNATURE_HEADERS = {"generic": "X-Primo-Signature", "typeform": "Typeform-Signature"}
# The question refs a Typeform source may map; nps/csat/ces hold numbers, the others text, a yes/no, a contact.
REF_KEYS = ("nps", "csat", "ces", "comment", "consent", "name", "contact")
MAX_BODY_BYTES = 256 * 1024


class PayloadError(ValueError):
    """A body that is not the JSON the source's format describes."""


def _digest(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()


def signature(fmt: str, secret: str, body: bytes) -> str:
    """The header value a sender computes: `sha256=<hex>` (generic) or `sha256=<base64>` (Typeform)."""
    digest = _digest(secret, body)
    if fmt == "typeform":
        return "sha256=" + base64.b64encode(digest).decode("ascii")
    return "sha256=" + digest.hex()


def signature_valid(fmt: str, secret: str, body: bytes, header: str | None) -> bool:
    """Compare the header with the HMAC-SHA256 of the raw body, in constant time."""
    if not header or not secret:
        return False
    scheme, _sep, given = header.strip().partition("=")
    if scheme.lower() != "sha256" or not given:
        return False
    if fmt != "typeform":
        given = given.lower()
    return hmac.compare_digest(signature(fmt, secret, body).partition("=")[2].encode(), given.encode())


def parse_json(body: bytes) -> dict[str, Any]:
    """The body as a JSON object."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise PayloadError("the body is not UTF-8") from None
    except RecursionError:
        # json recurses once per level: a few hundred nested arrays exhaust the stack before the size cap bites.
        raise PayloadError("the body is nested too deeply") from None
    except ValueError as exc:
        raise PayloadError(f"the body is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise PayloadError("the body must be a JSON object")
    return payload


def cell(key: str, value: Any) -> str:
    """A JSON value as the text a file cell would hold (7 → "7", 7.5 → "7.5", true → "true", null → "")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise PayloadError(f"{key}: expected a single value, got {type(value).__name__}")


def generic_cells(payload: Mapping[str, Any], columns: tuple[str, ...]) -> dict[str, str]:
    """A generic payload: the file's columns as keys (missing keys are empty cells, unknown keys ignored)."""
    return {column: cell(column, payload.get(column)) for column in columns}


def _answer_value(answer: Mapping[str, Any]) -> Any:
    kind = answer.get("type")
    if isinstance(kind, str) and kind in answer:
        return answer[kind]
    for key in ("number", "text", "boolean", "email", "phone_number", "url"):
        if key in answer:
            return answer[key]
    return None


def typeform_cells(payload: Mapping[str, Any], refs: Mapping[str, str], columns: tuple[str, ...]) -> dict[str, str]:
    """A Typeform `form_response` event: token → external id, hidden fields for the store (and optionally the
    employee, channel and consent), answers mapped to scores and comment by the question refs of the source."""
    response = payload.get("form_response")
    if not isinstance(response, Mapping):
        raise PayloadError("form_response: missing or not an object")
    hidden = response.get("hidden") or {}
    answers = response.get("answers") or []
    if not isinstance(hidden, Mapping):
        raise PayloadError("form_response.hidden: not an object")
    if not isinstance(answers, list):
        raise PayloadError("form_response.answers: not a list")
    by_ref: dict[str, Any] = {}
    for answer in answers:
        if not isinstance(answer, Mapping) or not isinstance(answer.get("field"), Mapping):
            raise PayloadError("form_response.answers: each answer needs a field")
        ref = answer["field"].get("ref")
        if isinstance(ref, str):
            by_ref[ref] = _answer_value(answer)

    def answered(key: str) -> Any:
        ref = refs.get(key)
        return by_ref.get(ref) if ref else None

    cells = {column: "" for column in columns}
    cells["external_id"] = cell("form_response.token", response.get("token"))
    cells["answered_at"] = cell("form_response.submitted_at", response.get("submitted_at"))
    cells["store_code"] = cell("hidden.store_code", hidden.get("store_code"))
    cells["employee_number"] = cell("hidden.employee_number", hidden.get("employee_number"))
    cells["channel"] = cell("hidden.channel", hidden.get("channel")) or "typeform"
    for key in ("nps", "csat", "ces", "comment"):
        cells[key] = cell(key, answered(key))
    consent = answered("consent")
    cells["contact_consent"] = cell("consent", consent if consent is not None else hidden.get("contact_consent"))
    if "customer_name" in cells:
        cells["customer_name"] = cell("name", answered("name"))
    if "customer_contact" in cells:
        cells["customer_contact"] = cell("contact", answered("contact"))
    return cells
