"""Access lines for the notification preferences and home-page notices (any logged-in user, for themselves), and
for the programme ROI report."""

from __future__ import annotations

from tests.access import Case, everyone, fixed, only

TABLE: dict[str, Case] = {
    "notify.preferences": Case("GET", fixed("/account/notifications"), everyone(200)),
    "notify.mark_read": Case("POST", fixed("/notifications/read"), everyone(400)),  # 400: no CSRF token
}

# Programme ROI: HR only (it sets recognition and bonus money beside satisfaction; payroll has its own exports).
TABLE |= {
    "reports.report_roi": Case("GET", fixed("/reports/roi?period=2026-Q3"), only({"hr": 200})),
    "reports.report_roi_xlsx": Case("GET", fixed("/reports/roi.xlsx?period=2026-Q3&by=region"), only({"hr": 200})),
}
