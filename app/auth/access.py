"""Who may use each route: every view declares it, and one hook enforces it before the view runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

ROLES = ("hr", "manager", "employee", "payroll")
PUBLIC = "public"
AUTHENTICATED = "authenticated"
# API routes are used with an integration's token (`allow_token`), never with a person's session.
TOKEN = "token"
SCOPES = (
    "stores:read",
    "stores:write",
    "employees:read",
    "employees:write",
    "responses:write",
    "kpis:write",
    "runs:read",
    "runs:write",
    "payroll:read",
    "statements:read",
    "points:read",
    "points:write",
)

F = TypeVar("F", bound=Callable[..., object])


def allow(*who: str) -> Callable[[F], F]:
    """Declare who may call a view: roles, `PUBLIC`, or `AUTHENTICATED` (any logged-in user)."""
    unknown = [w for w in who if w not in ROLES + (PUBLIC, AUTHENTICATED)]
    if not who or unknown:
        raise ValueError(f"allow() needs roles among {ROLES}, PUBLIC or AUTHENTICATED, got {who!r}")

    def mark(view: F) -> F:
        view.__primo_access__ = frozenset(who)  # type: ignore[attr-defined]
        return view

    return mark


def declared(view: Callable[..., object]) -> frozenset[str] | None:
    """The access a view declared, or None when it forgot to."""
    return getattr(view, "__primo_access__", None)


def allow_token(*scopes: str) -> Callable[[F], F]:
    """Declare an API view as used with an integration token holding every one of `scopes`."""
    unknown = [s for s in scopes if s not in SCOPES]
    if not scopes or unknown:
        raise ValueError(f"allow_token() needs scopes among {SCOPES}, got {scopes!r}")

    def mark(view: F) -> F:
        view.__primo_access__ = frozenset({TOKEN})  # type: ignore[attr-defined]
        view.__primo_scopes__ = frozenset(scopes)  # type: ignore[attr-defined]
        return view

    return mark


def required_scopes(view: Callable[..., object]) -> frozenset[str]:
    """The scopes a token-declared view needs."""
    return getattr(view, "__primo_scopes__", frozenset())
