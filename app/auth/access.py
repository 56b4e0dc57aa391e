"""Who may use each route: every view declares it, and one hook enforces it before the view runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

ROLES = ("hr", "manager", "employee", "payroll")
PUBLIC = "public"
AUTHENTICATED = "authenticated"

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
