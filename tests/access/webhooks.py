"""Access lines for the outgoing webhooks' pages: HR's alone (an endpoint's secret and its delivery log); a
POST without its CSRF token is a 400 before anything else."""

from __future__ import annotations

from tests.access import Case, fixed, only

TABLE: dict[str, Case] = {
    "webhooks.endpoints": Case("GET", fixed("/settings/webhooks"), only({"hr": 200})),
    "webhooks.deliveries": Case("GET", fixed("/settings/webhooks/999"), only({"hr": 404})),
    "webhooks.switch": Case("POST", fixed("/settings/webhooks/999/switch"), only({"hr": 400})),
    "webhooks.replay": Case("POST", fixed("/settings/webhooks/deliveries/999/replay"), only({"hr": 400})),
}
