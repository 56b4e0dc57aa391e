"""Access lines for the follow-up cases, the call guide, HR's response exclusion pages and the happy feed.

The case and response paths need rows: the builders add them to the world on first use (a case of the first
store handed to its employee, and an unassigned case of the other store).
"""

from __future__ import annotations

from typing import Any

from tests.access import Case, fixed, only


def _case_id(world: dict[str, Any], which: str) -> int:
    from tests.helpers import add_case, add_response  # path builders get no fixtures

    key = f"_feedback_case_{which}"
    if key not in world:
        if which == "own":
            case = add_case(add_response(world["north"]), assignee=world["employee"])
        else:
            case = add_case(add_response(world["south"]))
        world[key] = case.id
        world[f"_feedback_response_{which}"] = case.response_id
    return world[key]


def _response_id(world: dict[str, Any], which: str) -> int:
    _case_id(world, which)
    return world[f"_feedback_response_{which}"]


def own_case(suffix: str = ""):
    return lambda world, role: f"/cases/{_case_id(world, 'own')}{suffix}"


def foreign_case(suffix: str = ""):
    return lambda world, role: f"/cases/{_case_id(world, 'foreign')}{suffix}"


def own_response(suffix: str = ""):
    return lambda world, role: f"/responses/{_response_id(world, 'own')}{suffix}"


WORKERS = only({"manager": 400, "employee": 400})  # POST without a CSRF token

TABLE: dict[str, Case] = {
    "feedback.cases": Case("GET", fixed("/cases"), only({"hr": 200, "manager": 200, "employee": 200})),
    "feedback.case_detail": Case(
        "GET",
        own_case(),
        only({"hr": 200, "manager": 200, "employee": 200}),
        foreign=foreign_case(),
        expect_foreign=only({"hr": 200, "manager": 404, "employee": 404}),
    ),
    "feedback.case_transition": Case(
        "POST", own_case("/status"), WORKERS, foreign=foreign_case("/status"), expect_foreign=WORKERS
    ),
    "feedback.case_note": Case(
        "POST", own_case("/note"), WORKERS, foreign=foreign_case("/note"), expect_foreign=WORKERS
    ),
    "feedback.case_assign": Case("POST", own_case("/assign"), only({"manager": 400})),
    "feedback.call_guide_edit": Case("GET", fixed("/cases/guide"), only({"hr": 200})),
    "feedback.responses": Case("GET", fixed("/responses"), only({"hr": 200})),
    "feedback.response_detail": Case("GET", own_response(), only({"hr": 200})),
    "feedback.response_exclude": Case("POST", own_response("/exclude"), only({"hr": 400})),
    "feedback.response_restore": Case("POST", own_response("/restore"), only({"hr": 400})),
    "feedback.happy": Case("GET", fixed("/happy"), only({"hr": 200, "manager": 200, "employee": 200})),
}
