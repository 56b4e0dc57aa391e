"""Scheme versions: save a document (a new version once the current one is frozen), read one back, freeze."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from app.audit.services import current_actor, record
from app.extensions import db
from app.incentives.gross_pay import load_settings
from app.incentives.models import Scheme, SchemeVersion
from app.incentives.scheme_format import SchemeDocument, read_document, write_document


class SchemeError(ValueError):
    """A scheme request that cannot be carried out."""


def schemes_with_versions() -> list[Scheme]:
    """Every scheme by code, its versions loaded with it (one query)."""
    query = sa.select(Scheme).options(joinedload(Scheme.versions)).order_by(Scheme.code)
    return list(db.session.scalars(query).unique())


def find_scheme(code: str) -> Scheme | None:
    return db.session.scalar(sa.select(Scheme).where(Scheme.code == code))


def get_version(code: str, version: int | None = None) -> SchemeVersion:
    """A scheme's given version, or its latest."""
    scheme = find_scheme(code)
    if scheme is None or not scheme.versions:
        raise SchemeError(_("no scheme %(code)s", code=code))
    if version is None:
        return scheme.latest
    for candidate in scheme.versions:
        if candidate.version == version:
            return candidate
    raise SchemeError(_("scheme %(code)s has no version %(version)d", code=code, version=version))


def pay_code_of(document: SchemeDocument) -> str:
    """The pay code a version is paid on: its own, else (intéressement) the company's intéressement pay code."""
    if document.pay_code or not document.is_interessement:
        return document.pay_code
    return load_settings().pay_code


def document_of(version: SchemeVersion) -> SchemeDocument:
    return read_document(version.document)


def save_document(document: SchemeDocument) -> tuple[SchemeVersion, str]:
    """Store a scheme document: a new scheme, the same (unchanged), an edit of a draft version, or version n+1.

    Returns the version and what happened: "created", "unchanged", "updated" or "new version".
    """
    stored = write_document(document)
    scheme = find_scheme(document.code)
    actor = current_actor()[1]
    if scheme is None:
        scheme = Scheme(code=document.code)
        db.session.add(scheme)
        version = _new_version(scheme, 1, document, stored, actor)
        record("scheme.create", "scheme", document.code, summary=f"version 1: {document.name}", after=stored)
        return version, "created"
    latest = scheme.latest
    if latest.document == stored:
        return latest, "unchanged"
    if not latest.frozen:
        before = latest.document
        latest.document = stored
        latest.name, latest.period_type, latest.pay_code = document.name, document.period_type, pay_code_of(document)
        record(
            "scheme.update", "scheme", document.code, summary=f"version {latest.version}", before=before, after=stored
        )
        return latest, "updated"
    version = _new_version(scheme, latest.version + 1, document, stored, actor)
    record(
        "scheme.new_version",
        "scheme",
        document.code,
        summary=f"version {version.version} (version {latest.version} is frozen)",
        before=latest.document,
        after=stored,
    )
    return version, "new version"


def _new_version(
    scheme: Scheme, number: int, document: SchemeDocument, stored: dict[str, Any], actor: str
) -> SchemeVersion:
    version = SchemeVersion(
        version=number,
        name=document.name,
        period_type=document.period_type,
        pay_code=pay_code_of(document),
        document=stored,
        created_by=actor,
    )
    scheme.versions.append(version)
    db.session.flush()
    return version


def freeze(version: SchemeVersion) -> None:
    """Freeze a version a non-draft run has used: later edits make a new version."""
    if not version.frozen:
        version.frozen = True
        record("scheme.freeze", "scheme", version.scheme.code, summary=f"version {version.version}")


def export_document(code: str, version: int | None = None) -> dict[str, Any]:
    """A scheme version as its JSON document, with its version number."""
    stored = get_version(code, version)
    return {**write_document(document_of(stored), stored.version)}
