"""Organisation pages, the audit page, error handling and locale formatting."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import Flask

from app import create_app
from app.audit.services import record
from app.auth.access import PUBLIC, allow
from app.extensions import db
from app.org.models import Region


def test_employee_list_searches_and_paginates(client_as, world, make_employee):
    for index in range(30):
        make_employee(world["north"], last_name=f"Zed{index:02d}")
    hr = client_as("hr")
    first = hr.get("/employees").get_data(as_text=True)
    assert "Page 1 of 2" in first or "Page 1 sur 2" in first
    found = hr.get("/employees?q=zed07").get_data(as_text=True)
    assert "Zed07" in found
    assert "Zed08" not in found
    assert hr.get("/employees?page=2").status_code == 200


def test_a_manager_lists_only_their_team(client_as, world):
    page = client_as("manager").get("/employees").get_data(as_text=True)
    assert world["employee"].last_name in page
    assert world["stranger"].last_name not in page


def test_a_leaver_drops_out_of_the_team(client_as, world):
    world["employee"].exit_date = date(2020, 6, 30)
    db.session.commit()
    page = client_as("manager").get(f"/stores/{world['north'].id}").get_data(as_text=True)
    assert world["employee"].last_name not in page


def test_a_regional_manager_sees_every_store_of_the_region(app, world, make_store, make_employee, make_user, client):
    from tests.conftest import login

    north2 = make_store("A2", region="North")
    region = db.session.scalar(sa.select(Region).where(Region.name == "North"))
    boss = make_employee(north2, job_role="regional_manager", manages=[region])
    make_user("regional@test.example", "manager", employee=boss)
    login(client, "regional@test.example")
    page = client.get("/stores").get_data(as_text=True)
    # Codes as the list links them: a bare "B1" can also occur inside the page's random CSRF token.
    assert ">A1</a>" in page and ">A2</a>" in page and ">B1</a>" not in page
    assert client.get(f"/employees/{world['employee'].id}").status_code == 200
    assert client.get(f"/employees/{world['stranger'].id}").status_code == 404


def test_employee_detail_shows_the_store_history(client_as, world):
    page = client_as("employee").get(f"/employees/{world['employee'].id}").get_data(as_text=True)
    assert "A1" in page
    assert world["employee"].payroll_id in page


def test_amounts_and_dates_follow_the_language(client_as, world):
    world["employee"].annual_base_salary = Decimal("30000.50")
    world["employee"].language = "fr"
    db.session.commit()
    page = client_as("employee").get(f"/employees/{world['employee'].id}").get_data(as_text=True)
    assert "30\u202f000,50\xa0€" in page
    assert "1 janv. 2020" in page
    world["employee"].language = "en"
    db.session.commit()
    page = client_as("employee").get(f"/employees/{world['employee'].id}").get_data(as_text=True)
    assert "€30,000.50" in page
    assert "Jan 1, 2020" in page


def test_audit_page_filters_by_action_and_actor(client_as, world):
    record("store.update", "store", "A1", summary="renamed", before={"name": "Old"}, after={"name": "New"})
    record("user.roles", "user", "9", summary="someone")
    db.session.commit()
    hr = client_as("hr")
    page = hr.get("/audit/?action=store.").get_data(as_text=True)
    assert "renamed" in page and "someone" not in page
    page = hr.get("/audit/?object_type=user").get_data(as_text=True)
    assert "someone" in page and "renamed" not in page
    assert hr.get("/audit/?from=not-a-date").status_code == 200


def test_an_unexpected_error_is_a_500_page_and_nothing_is_saved(tmp_path, monkeypatch):
    monkeypatch.setenv("PRIMO_INSTANCE_PATH", str(tmp_path))
    app: Flask = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/crash.sqlite"})

    @app.route("/crash")
    @allow(PUBLIC)
    def crash():
        db.session.add(Region(name="half written"))
        db.session.flush()
        raise RuntimeError("boom")

    with app.app_context():
        db.create_all()
    response = app.test_client().get("/crash")
    assert response.status_code == 500
    assert "500" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Region)) == 0
        db.engine.dispose()
