"""Access lines for the absence kinds page (the absences import goes through the organisation import routes)."""

from __future__ import annotations

from tests.access import Case, fixed, only

TABLE: dict[str, Case] = {
    "absences.kinds": Case("GET", fixed("/settings/absences"), only({"hr": 200})),
    "absences.add_kind": Case("POST", fixed("/settings/absences"), only({"hr": 400})),  # 400: no CSRF token
    "absences.delete_absence": Case("POST", fixed("/absences/999999/delete"), only({"hr": 400})),  # no CSRF token
    "absences.update_kind": Case("POST", fixed("/settings/absences/unpaid_leave"), only({"hr": 400})),
}
