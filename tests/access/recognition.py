"""Access lines for the recognition routes (points, catalogue, awards, feed, leaderboards, HR pages)."""

from __future__ import annotations

from tests.access import Case, fixed, only

PEOPLE = {"hr": 200, "manager": 200, "employee": 200}
PEOPLE_POST = {"hr": 400, "manager": 400, "employee": 400}  # 400: no CSRF token

TABLE: dict[str, Case] = {
    # HR without an employee record has no points: sent on to the feed.
    "recognition.index": Case("GET", fixed("/recognition/"), only({"hr": 302, "manager": 200, "employee": 200})),
    "recognition.employee": Case(
        "GET",
        lambda w, r: f"/recognition/employees/{w['employee'].id}",
        only(PEOPLE),
        foreign=lambda w, r: f"/recognition/employees/{w['stranger'].id}",
        expect_foreign=only({"hr": 200, "manager": 404, "employee": 404}),
    ),
    "recognition.privacy": Case("POST", fixed("/recognition/privacy"), only(PEOPLE_POST)),
    "recognition.catalogue_page": Case("GET", fixed("/recognition/catalogue"), only(PEOPLE)),
    "recognition.redeem": Case("POST", fixed("/recognition/catalogue/1/redeem"), only(PEOPLE_POST)),
    "recognition.cancel": Case("POST", fixed("/recognition/redemptions/1/cancel"), only(PEOPLE_POST)),
    "recognition.award": Case("GET", fixed("/recognition/award"), only({"manager": 200})),
    "recognition.award_from_compliment": Case(
        "GET", fixed("/recognition/award/compliment/999999"), only({"manager": 404})
    ),
    "recognition.feed_page": Case(
        "GET",
        lambda w, r: f"/recognition/feed?store={w['north'].id}",
        only(PEOPLE),
        foreign=lambda w, r: f"/recognition/feed?store={w['south'].id}",
        expect_foreign=only({"hr": 200, "manager": 404, "employee": 404}),
    ),
    "recognition.leaderboard_page": Case(
        "GET",
        lambda w, r: f"/recognition/leaderboard?region={w['north'].region_id}",
        only(PEOPLE),
        foreign=lambda w, r: f"/recognition/leaderboard?region={w['south'].region_id}",
        expect_foreign=only({"hr": 200, "manager": 404, "employee": 404}),
    ),
    "recognition.budgets": Case("GET", fixed("/recognition/budgets"), only({"hr": 200})),
    "recognition.badges": Case("GET", fixed("/recognition/badges"), only({"hr": 200})),
    "recognition.badge_new": Case("GET", fixed("/recognition/badges/new"), only({"hr": 200})),
    "recognition.badge_edit": Case("GET", fixed("/recognition/badges/999999"), only({"hr": 404})),
    "recognition.rewards": Case("GET", fixed("/recognition/rewards"), only({"hr": 200})),
    "recognition.reward_new": Case("GET", fixed("/recognition/rewards/new"), only({"hr": 200})),
    "recognition.reward_edit": Case("GET", fixed("/recognition/rewards/999999"), only({"hr": 404})),
    "recognition.redemptions": Case("GET", fixed("/recognition/redemptions"), only({"hr": 200})),
    "recognition.decide": Case("POST", fixed("/recognition/redemptions/1/approve"), only({"hr": 400})),
    "recognition.report": Case("GET", fixed("/recognition/report"), only({"hr": 200})),
    "recognition.settings": Case("GET", fixed("/recognition/settings"), only({"hr": 200})),
}

TABLE |= {
    "recognition.rules_page": Case("GET", fixed("/recognition/rules"), only({"hr": 200})),
    "recognition.rule_switch": Case("POST", fixed("/recognition/rules/999999/switch"), only({"hr": 400})),
    "recognition.challenges_page": Case("GET", fixed("/recognition/challenges"), only({"hr": 200})),
}
