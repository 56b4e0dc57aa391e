"""Access lines for the notification preferences and home-page notices (any logged-in user, for themselves)."""

from __future__ import annotations

from tests.access import Case, everyone, fixed

TABLE: dict[str, Case] = {
    "notify.preferences": Case("GET", fixed("/account/notifications"), everyone(200)),
    "notify.mark_read": Case("POST", fixed("/notifications/read"), everyone(400)),  # 400: no CSRF token
}
