"""Access lines for the pulse survey pages.

HR opens, closes and reads surveys and prints the store codes; employees (a store manager is one too) answer the
surveys that ask their store; anyone with a store's code or a personal link reaches that answer form (the code pages
are rate-limited per address). Surveys are made on first use: one asking store A1 (the world's team), one asking B1.
"""

from __future__ import annotations

from typing import Any

from app.extensions import db
from app.pulse import services
from tests.access import Case, everyone, fixed, only

HR = only({"hr": 200})


def made(world: dict[str, Any]) -> dict[str, Any]:
    """A survey asking the world's store A1 and one asking B1 (someone else's), created once per world."""
    if "_pulse" not in world:
        own = services.create_survey("Pulse A1", "2026-Q3", [world["north"].code])
        foreign = services.create_survey("Pulse B1", "2026-Q3", [world["south"].code])
        db.session.commit()
        world["_pulse"] = {"own": own, "foreign": foreign}
    return world["_pulse"]


def _own(world: dict[str, Any]) -> Any:
    return made(world)["own"]


TABLE: dict[str, Case] = {
    "pulse.index": Case("GET", fixed("/pulse/"), HR),
    "pulse.new": Case("GET", fixed("/pulse/new"), HR),
    "pulse.detail": Case("GET", lambda w, r: f"/pulse/{_own(w).id}", HR),
    "pulse.close": Case("POST", lambda w, r: f"/pulse/{_own(w).id}/close", only({"hr": 400})),  # no CSRF token
    "pulse.codes": Case("GET", lambda w, r: f"/pulse/{_own(w).id}/codes", HR),
    "pulse.answer": Case(
        "GET",
        lambda w, r: f"/pulse/{_own(w).id}/answer",
        only({"employee": 200, "manager": 200}),
        foreign=lambda w, r: f"/pulse/{made(w)['foreign'].id}/answer",
        expect_foreign=only({"employee": 404, "manager": 404}),
    ),
    "pulse.personal": Case(
        "GET",
        lambda w, r: f"/pulse/link/{services.personal_token(_own(w), w['employee'])}",
        everyone(200, anonymous=200),
        foreign=fixed("/pulse/link/forged-token"),
        expect_foreign=everyone(404, anonymous=404),
    ),
    "pulse.enter": Case("GET", fixed("/pulse/code"), everyone(200, anonymous=200)),
    "pulse.by_code": Case(
        "GET",
        lambda w, r: f"/pulse/code/{_own(w).stores[0].code}",
        everyone(200, anonymous=200),
        foreign=fixed("/pulse/code/AAAA-AAAA"),
        expect_foreign=everyone(404, anonymous=404),
    ),
}
