"""Integration tokens for the JSON API: created by HR and shown once, kept as a hash, scoped, expiring, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

import sqlalchemy as sa
from flask_babel import gettext as _

from app.audit.services import record
from app.auth.access import SCOPES
from app.auth.models import ApiToken, User
from app.core.clock import zone
from app.dbtypes import utcnow
from app.extensions import db

TOKEN_START = "primo_"
PREFIX_BYTES = 6  # 12 hex digits: the public part that finds the row
SECRET_BYTES = 32


class TokenError(ValueError):
    """A token that cannot be created as asked."""


@dataclass(frozen=True)
class Created:
    token: ApiToken
    plaintext: str  # shown once to HR, never stored


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def create_token(name: str, scopes: Iterable[str], expires_on: date, user: User) -> Created:
    """Make a token for an integration; its plaintext is in the result and nowhere else (flush only)."""
    name = name.strip()
    chosen = sorted(set(scopes))
    if not name or len(name) > 120:
        raise TokenError(_("Give the integration a name of at most 120 characters."))
    unknown = [s for s in chosen if s not in SCOPES]
    if not chosen or unknown:
        raise TokenError(_("Choose the token's scopes among %(scopes)s.", scopes=", ".join(SCOPES)))
    # The token works until the end of its last day, on the company's clock.
    expires_at = datetime.combine(expires_on, time.max, tzinfo=zone())
    if expires_at <= utcnow():
        raise TokenError(_("A token must be valid until a day in the future."))
    prefix = secrets.token_hex(PREFIX_BYTES)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    token = ApiToken(
        name=name,
        prefix=prefix,
        secret_sha256=_digest(secret),
        scopes=chosen,
        created_by=user,
        expires_at=expires_at,
    )
    db.session.add(token)
    db.session.flush()
    record(
        "api_token.create",
        "api_token",
        token.id,
        summary=name,
        after={"scopes": chosen, "expires_at": expires_at},
    )
    return Created(token, f"{TOKEN_START}{prefix}_{secret}")


def revoke(token: ApiToken, user: User) -> None:
    """Stop a token from working, for good (flush only)."""
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    token.revoked_by = user.email
    record("api_token.revoke", "api_token", token.id, summary=token.name)
    db.session.flush()


def find(plaintext: str) -> ApiToken | None:
    """The live token a bearer string names: known prefix, matching secret (constant time), not expired or revoked,
    made by a person who is still active HR."""
    if not plaintext.startswith(TOKEN_START):
        return None
    prefix, _sep, secret = plaintext[len(TOKEN_START) :].partition("_")
    if len(prefix) != 2 * PREFIX_BYTES or not secret or not secret.isascii():
        return None
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.prefix == prefix))
    if token is None or not hmac.compare_digest(_digest(secret), token.secret_sha256):
        return None
    if token.revoked_at is not None or token.expires_at <= utcnow():
        return None
    creator = token.created_by
    if not creator.active or not creator.has_role("hr"):
        return None
    return token


def status(token: ApiToken) -> str:
    """`active`, `expired` or `revoked`."""
    if token.revoked_at is not None:
        return "revoked"
    return "expired" if token.expires_at <= utcnow() else "active"


def all_tokens() -> list[ApiToken]:
    return list(db.session.scalars(sa.select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))
