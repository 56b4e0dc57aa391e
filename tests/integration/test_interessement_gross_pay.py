"""Gross pay per employee and period, and the PASS: import all or nothing and idempotent, from the CLI and the page."""

from __future__ import annotations

import io
from decimal import Decimal

import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.extensions import db
from app.incentives.gross_pay import gross_pay_for, load_settings
from app.incentives.models import GrossPay
from app.periods import Period
from tests.conftest import csrf_token, login


def stored() -> dict[tuple[str, str], Decimal]:
    rows = db.session.execute(sa.select(GrossPay.employee_id, GrossPay.period, GrossPay.amount)).all()
    return {(str(e), p): a for e, p, a in rows}


def test_importing_the_same_file_again_changes_nothing(runner, interessement_world):
    before = stored()
    again = runner.invoke(args=["interessement", "import-gross-pay", str(interessement_world["gross_pay_file"])])
    assert again.exit_code == 0
    assert "0 new, 0 changed, 7 unchanged" in again.output
    assert stored() == before and len(before) == 7


def test_a_file_with_one_bad_row_is_refused_whole_naming_rows_and_columns(runner, interessement_world, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "employee_number;period;gross_pay\nE01;2026-Q4;7600,00\nE99;2026-Q4;1\nE02;2026-Q5;1\nE04;2026-Q4;-3\n"
        "E05;2026-Q4;12,345\n",
        encoding="utf-8",
    )
    refused = runner.invoke(args=["interessement", "import-gross-pay", str(bad)])
    assert refused.exit_code == 1
    assert "row 3, employee_number: unknown employee 'E99'" in refused.stderr
    assert "row 4, period:" in refused.stderr
    assert "row 5, gross_pay:" in refused.stderr and "row 6, gross_pay:" in refused.stderr
    assert not any(period == "2026-Q4" for _e, period in stored())


def test_a_period_is_its_own_figure_or_the_sum_of_all_its_months(runner, interessement_world, tmp_path):
    months = tmp_path / "months.csv"
    months.write_text(
        "employee_number,period,gross_pay\nE01,2026-10,2500\nE01,2026-11,2500\nE01,2026-12,2600.50\nE02,2026-10,1000\n",
        encoding="utf-8",
    )
    assert runner.invoke(args=["interessement", "import-gross-pay", str(months)]).exit_code == 0
    assert gross_pay_for(Period.parse("2026-Q4")) == {"E01": Decimal("7600.50")}
    assert gross_pay_for(Period.parse("2026-Q3"))["E02"] == Decimal("2600.00")


def test_hr_imports_gross_pay_on_the_page_with_a_template(app, interessement_world):
    client = app.test_client()
    login(client, "hr1@test.example")
    page = client.get("/interessement")
    assert page.status_code == 200 and "2026-Q3" in page.get_data(as_text=True)
    template = client.get("/interessement/gross-pay/template.csv")
    assert template.data.decode("utf-8-sig").startswith("employee_number;period;gross_pay")
    token = csrf_token(client, "/interessement")
    done = client.post(
        "/interessement/gross-pay",
        data={
            "file": (io.BytesIO(b"employee_number,period,gross_pay\nE01,2026-Q4,7700\n"), "pay.csv"),
            "csrf_token": token,
        },
    )
    assert done.status_code == 302
    assert gross_pay_for(Period.parse("2026-Q4")) == {"E01": Decimal("7700.00")}
    refused = client.post(
        "/interessement/gross-pay",
        data={
            "file": (io.BytesIO(b"employee_number,period,gross_pay\nNOBODY,2026-Q4,1\n"), "pay.csv"),
            "csrf_token": token,
        },
    )
    assert refused.status_code == 400 and "unknown employee" in refused.get_data(as_text=True)
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "gross_pay.import")
        )
        == 2
    )


def test_hr_sets_the_pass_of_a_year_and_the_pay_code_on_the_page(app, interessement_world):
    client = app.test_client()
    login(client, "hr1@test.example")
    token = csrf_token(client, "/interessement")
    saved = client.post(
        "/interessement/settings",
        data={"pay_code": "INTER", "year": "2027", "pass_amount": "49 500", "csrf_token": token},
    )
    assert saved.status_code == 302
    settings = load_settings()
    assert settings.pay_code == "INTER" and settings.pass_for(2027) == Decimal("49500")
    assert settings.pass_for(2026) == Decimal("48060") and settings.pass_for(2025) == Decimal("47100")
    refused = client.post(
        "/interessement/settings", data={"pay_code": "INTER", "year": "2027", "pass_amount": "-1", "csrf_token": token}
    )
    assert refused.status_code == 400
    assert load_settings().pass_for(2027) == Decimal("49500")
