"""Access lines for the engagement and invitation imports and the anomaly flags pages.

Managers read the flags of their own stores (another store is a 404); only HR imports, excludes and edits phrases.
"""

from __future__ import annotations

from tests.access import Case, fixed, only

HR_AND_MANAGER = only({"hr": 200, "manager": 200})

TABLE: dict[str, Case] = {
    "feedback.figures_import": Case("GET", fixed("/engagement/import/engagement"), only({"hr": 200})),
    "feedback.figures_template": Case("GET", fixed("/engagement/import/invitations/template.csv"), only({"hr": 200})),
    "feedback.flag_list": Case(
        "GET",
        lambda w, r: f"/feedback/flags?period=2026-07&store={w['north'].id}",
        HR_AND_MANAGER,
        foreign=lambda w, r: f"/feedback/flags?period=2026-07&store={w['south'].id}",
        expect_foreign=only({"hr": 200, "manager": 404}),
    ),
    "feedback.flags_exclude": Case("POST", fixed("/feedback/flags/exclude?period=2026-07"), only({"hr": 400})),
    "feedback.flag_phrases": Case("GET", fixed("/feedback/flags/phrases"), only({"hr": 200})),
}
