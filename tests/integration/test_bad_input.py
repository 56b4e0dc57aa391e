"""Bad input from a careless clerk or a hostile user: a clear 4xx that says what was wrong, never a 500.

Uploads over MAX_CONTENT_LENGTH, page numbers that overflow SQL, periods beyond the supported years, ids no
database integer holds, and deeply nested JSON.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from app.core.models import PendingUpload
from app.extensions import db
from app.incentives.models import Scheme
from tests.conftest import csrf_token

LIMIT = 100 * 1024  # "100 KB"


@pytest.fixture
def small_limit(app: Flask) -> Iterator[int]:
    """A MAX_CONTENT_LENGTH small enough to go past in a test (the session app's is put back after)."""
    saved = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = LIMIT
    yield LIMIT
    app.config["MAX_CONTENT_LENGTH"] = saved


def _too_big(client, path: str, field: str, filename: str, extra: dict | None = None):
    """Post a multipart form to `path` whose file is just over the limit, with a valid CSRF token."""
    data = {"csrf_token": csrf_token(client, path), **(extra or {}), field: (io.BytesIO(b"x" * LIMIT), filename)}
    return client.post(path, data=data, content_type="multipart/form-data")


UPLOAD_PAGES = [
    ("/import/employees", "employees.csv", {}),
    ("/import/stores", "stores.csv", {}),
    ("/feedback/import", "surveys.csv", {"source": "import"}),
    ("/schemes/import", "scheme.json", {}),
]


@pytest.mark.parametrize(("path", "filename", "extra"), UPLOAD_PAGES)
def test_an_upload_over_the_limit_is_a_413_naming_the_limit(client_as, small_limit, path, filename, extra):
    response = _too_big(client_as("hr"), path, "file", filename, extra)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "The file is larger than the 100 KB limit." in page
    assert "Log out" in page  # the whole page, not a bare error
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PendingUpload)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Scheme)) == 0


def test_the_413_page_is_in_the_readers_language(client_as, world, small_limit):
    world["users"]["hr"].language = "fr"
    db.session.commit()
    response = _too_big(client_as("hr"), "/import/employees", "file", "employees.csv")
    assert response.status_code == 413
    assert "Le fichier dépasse la limite de 100\u00a0Ko." in response.get_data(as_text=True)


def _announcing(client, path: str, length: int, content_type: str = "multipart/form-data; boundary=x"):
    """A POST whose Content-Length announces `length` bytes (refused before any is read, so none are sent)."""
    return client.post(
        path, input_stream=io.BytesIO(b""), content_type=content_type, environ_overrides={"CONTENT_LENGTH": str(length)}
    )


def test_the_default_limit_reads_64_mb(app, client_as):
    response = _announcing(client_as("hr"), "/import/employees", 64 * 1024 * 1024 + 1)
    assert response.status_code == 413
    assert "The file is larger than the 64 MB limit." in response.get_data(as_text=True)


@pytest.mark.parametrize(("size", "read"), [(2 * LIMIT, 2 * LIMIT), (5 * LIMIT, 0)])
def test_a_refused_body_is_read_to_its_end_unless_huge(client_as, small_limit, counting_body, size, read):
    """gunicorn answers and closes: a client still sending then sees a reset connection, not the 413 page."""
    body = counting_body(b"x" * size)
    response = client_as("hr").post(
        "/import/employees", input_stream=body, content_type="multipart/form-data; boundary=x"
    )
    assert response.status_code == 413
    assert body.furthest == read


def test_a_form_post_over_the_limit_without_a_file_is_a_413_too(client_as, small_limit):
    client = client_as("hr")
    response = client.post(
        "/kpis/values", data={"csrf_token": csrf_token(client, "/kpis/values"), "value": "1" * (LIMIT + 1)}
    )
    assert response.status_code == 413


def test_an_api_body_over_the_limit_is_a_413_in_json(client, world, small_limit):
    response = _announcing(client, "/api/feedback/anything", LIMIT + 1, "application/json")
    assert response.status_code == 413
    assert response.is_json and "limit" in response.get_json()["error"]


# --- page numbers --------------------------------------------------------------------------------------------


PAGED = ["/employees", "/cases", "/happy", "/responses", "/feedback/batches", "/audit/", "/recognition/redemptions"]


@pytest.mark.parametrize("path", PAGED)
@pytest.mark.parametrize("page", ["99999999999999999999", "9223372036854775807", "0", "-1", "abc", "1e3", "٣"])
def test_a_page_that_is_no_page_number_is_a_400_that_says_so(client_as, path, page):
    response = client_as("hr").get(f"{path}?page={page}")
    assert response.status_code == 400, (path, page, response.status_code)
    assert "is not a page number" in response.get_data(as_text=True)


def test_a_page_past_the_last_one_is_still_answered(client_as):
    client = client_as("hr")
    assert client.get("/cases?page=2147483647").status_code == 200  # an empty page
    assert client.get("/employees?page=2147483647").status_code == 404  # this list says "no such page"


def test_a_run_page_with_a_huge_page_is_a_400(client_as, world):
    from tests.access.incentives import made

    run = made(world)["run"]
    assert client_as("hr").get(f"/runs/{run}?page=99999999999999999999").status_code == 400


# --- ids and periods -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/runs/99999999999999999999/statement/1",
        "/employees/99999999999999999999",
        "/stores/99999999999999999999",
        "/dashboard/store/99999999999999999999",
        "/recognition/employees/99999999999999999999",
    ],
)
def test_an_id_no_database_integer_holds_is_a_404(client_as, path):
    assert client_as("hr").get(path).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/cases?store=99999999999999999999",
        "/happy?store=99999999999999999999",
        "/responses?store=99999999999999999999",
        "/recognition/feed?store=99999999999999999999",
        "/recognition/leaderboard?region=99999999999999999999",
        "/reports/distribution?run=99999999999999999999",
        "/cases?store=" + "9" * 5000,  # past the 4300 digits int() reads
    ],
)
def test_an_id_argument_no_database_integer_holds_is_a_400(client_as, path):
    response = client_as("hr").get(path)
    assert response.status_code == 400
    assert "is too large" in response.get_data(as_text=True)


def test_an_id_too_large_in_a_form_field_is_a_400_not_a_500(client_as, world):
    """The net under every form: a number no check caught (the case's assignee), which SQLite cannot bind."""
    from app.feedback.models import FollowUpCase, SurveyResponse

    answered = datetime(2026, 7, 1, 9, tzinfo=UTC)
    response = SurveyResponse(
        source="t",
        external_id="r1",
        store_id=world["north"].id,
        answered_at=answered,
        local_date=answered.date(),
        local_month=202607,
        channel="email",
        nps=2,
        contact_consent=False,
        excluded=False,
    )
    db.session.add(response)
    db.session.flush()
    case = FollowUpCase(
        response_id=response.id, store_id=response.store_id, status="open", due_at=answered + timedelta(hours=48)
    )
    db.session.add(case)
    db.session.commit()
    client = client_as("manager")
    page = f"/cases/{case.id}"
    posted = client.post(f"{page}/assign", data={"csrf_token": csrf_token(client, page), "assignee": "9" * 20})
    assert posted.status_code in (400, 404), posted.status_code
    db.session.expire_all()
    assert db.session.get(FollowUpCase, case.id).assignee_id is None


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard?period=9999-Q4",
        "/dashboard?period=9999-12",
        "/dashboard?period=1999",
        "/reports/cost?period=9999-12",
        "/reports/recognition?period=9999-12",
        "/recognition/leaderboard?month=9999-12",
        "/recognition/report?period=9999-Q4",
        "/dashboard?period=2026-13",
        "/dashboard?period=soon",
    ],
)
def test_a_period_out_of_range_or_unreadable_is_a_400_naming_it(client_as, path):
    response = client_as("hr").get(path)
    assert response.status_code == 400, response.status_code
    assert "is not a period" in response.get_data(as_text=True) and "from 2000 to 2100" in response.get_data(
        as_text=True
    )


def test_the_last_supported_period_still_shows_with_its_neighbours(client_as):
    assert client_as("hr").get("/dashboard?period=2100-Q4").status_code == 200
    assert client_as("hr").get("/dashboard?period=2000-01").status_code == 200


def test_a_budget_month_out_of_range_is_a_400(client_as):
    response = client_as("hr").get("/recognition/budgets?month=9999-12")
    assert response.status_code == 400
    assert "9999-12" in response.get_data(as_text=True)


def test_forms_refuse_a_period_out_of_range_under_the_field(client_as, world):
    client = client_as("hr")
    from app.feedback.other_kpis import define_kpi

    kpi, _created = define_kpi("returns", "Return rate", "%", "lower", "mean")
    db.session.commit()
    response = client.post(
        "/kpis/values",
        data={
            "csrf_token": csrf_token(client, "/kpis/values"),
            "kpi": kpi.id,
            "store": world["north"].id,
            "period": "9999-12",
            "value": "2",
        },
    )
    assert response.status_code == 400
    assert "from 2000 to 2100" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "args",
    [
        ["runs", "create", "--scheme", "STORE-NPS-CSAT", "--period", "9999-Q4"],
        ["payroll", "benefits", "--period", "9999-12", "--out", "/dev/null"],
        ["kpis", "show", "--company", "--period", "9999-Q4"],
        ["badges", "evaluate", "--period", "9999-12"],
        ["budgets", "set", "--manager", "manager@test.example", "--month", "9999-12", "--points", "10"],
    ],
)
def test_the_command_line_refuses_a_period_out_of_range(runner, world, args):
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert "2100" in result.output + result.stderr, result.output + result.stderr
    assert not isinstance(result.exception, ValueError | OverflowError)


# --- nested JSON ---------------------------------------------------------------------------------------------


def test_a_scheme_file_nested_1000_deep_is_refused_with_a_400(client_as):
    client = client_as("hr")
    content = ('{"code": ' + "[" * 1000 + "]" * 1000 + "}").encode()
    response = client.post(
        "/schemes/import",
        data={"csrf_token": csrf_token(client, "/schemes/import"), "file": (io.BytesIO(content), "deep.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Scheme)) == 0


def test_the_schemes_command_refuses_a_file_nested_1000_deep(runner, app, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text(json.dumps({"a": 1})[:-1] + ', "b": ' + "[" * 1000 + "]" * 1000 + "}")
    result = runner.invoke(args=["schemes", "import", str(deep)])
    assert result.exit_code == 1 and "is not JSON" in result.stderr
