"""Every import's problems are said in the reader's language: a page in the user's, the command line in the
company's, the API in English; the row numbers and the file's column names stay as they are."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from markupsafe import escape

from app.extensions import db
from app.feedback import sources
from app.mappings import services as mappings
from app.mappings.columns import Mapping
from app.org.services import EMPLOYEE_COLUMNS

# A problem: (row, column, English, French).
Problem = tuple[int, str, str, str]


def _employee_row(**cells: str) -> str:
    values = dict.fromkeys(EMPLOYEE_COLUMNS, "")
    values.update(
        employee_number="E9", payroll_id="P9", first_name="Ana", last_name="Lopez", job_role="sales_associate"
    )
    values.update(store_code="A1", hire_date="2024-03-01", fte="1", annual_base_salary="26000")
    values.update(cells)
    return ",".join(values[c] for c in EMPLOYEE_COLUMNS)


# Each family: the page it is uploaded on, the form's other fields, the file, and the problems it must list.
FAMILIES: dict[str, tuple[str, dict[str, str], str, Problem | list[Problem]]] = {
    "stores": (
        "/import/stores",
        {},
        "store_code,name,region,opened_on\nS1,,North,2026-13-01\nS1,Paris,North,\n",
        [
            (2, "name", "required", "obligatoire"),
            (
                2,
                "opened_on",
                "'2026-13-01' is not a date (YYYY-MM-DD or DD/MM/YYYY)",
                "'2026-13-01' n'est pas une date (AAAA-MM-JJ ou JJ/MM/AAAA)",
            ),
            (3, "store_code", "S1 already appears on row 2", "S1 figure déjà à la ligne 2"),
        ],
    ),
    "employees": (
        "/import/employees",
        {},
        ",".join(EMPLOYEE_COLUMNS) + "\n" + _employee_row(store_code="ZZ", fte="2") + "\n",
        [
            (2, "store_code", "unknown store ZZ", "magasin inconnu ZZ"),
            (2, "fte", "2 is outside (0, 1]", "2 est hors de ]0, 1]"),
        ],
    ),
    "absences": (
        "/import/absences",
        {},
        "employee_number,start,end,kind\nNOPE,2026-03-10,2026-03-01,unpaid_leave\n",
        [
            (2, "employee_number", "no employee NOPE", "aucun salarié NOPE"),
            (2, "end", "2026-03-01 is before start 2026-03-10", "2026-03-01 est avant le début 2026-03-10"),
        ],
    ),
    "gross pay": (
        "/interessement/gross-pay",
        {},
        "employee_number,period,gross_pay\nX1,2026-13,-5\n",
        [
            (2, "employee_number", "unknown employee 'X1'", "salarié inconnu 'X1'"),
            (2, "period", "no month 13 in '2026-13'", "pas de mois 13 dans '2026-13'"),
            (2, "gross_pay", "'-5' is negative", "'-5' est négatif"),
        ],
    ),
    "engagement": (
        "/engagement/import/engagement",
        {},
        "store_code,period,headcount,leavers,absence_days,worked_days\n"
        "A1,2026-07,10,1,2,200\nA1,2026-07,10,1,2,200\nA1,1999-01,10,1.5,2,200\n",
        [
            (3, "period", "same store and period as row 2", "même magasin et même période qu'à la ligne 2"),
            (
                4,
                "period",
                "'1999-01': the year must be from 2000 to 2100",
                "'1999-01' : l'année doit aller de 2000 à 2100",
            ),
            (4, "leavers", "1.5 is not a whole number", "1.5 n'est pas un nombre entier"),
        ],
    ),
    "surveys": (
        "/feedback/import",
        {"source": "import"},
        "external_id,store_code,answered_at,channel,nps,csat,ces,comment,employee_number,contact_consent\n"
        "r1,NOPE,2026-06-15T10:00:00,email,12,,,,,\n"
        "r2,A1,hier,email,9,,,,,peut-être\n",
        [
            (2, "store_code", "unknown store 'NOPE'", "magasin inconnu 'NOPE'"),
            (2, "nps", "12 is out of range (0 to 10)", "12 est hors limites (de 0 à 10)"),
            (
                3,
                "answered_at",
                "'hier' is not an ISO 8601 timestamp (YYYY-MM-DDTHH:MM[:SS][+HH:MM or Z], or DD/MM/YYYY HH:MM[:SS])",
                "'hier' n'est pas un horodatage ISO 8601"
                " (AAAA-MM-JJTHH:MM[:SS][+HH:MM ou Z], ou JJ/MM/AAAA HH:MM[:SS])",
            ),
            (
                3,
                "contact_consent",
                "'peut-être' is not a yes/no value (true/false, 1/0, yes/no, oui/non)",
                "'peut-être' n'est pas une valeur oui/non (true/false, 1/0, yes/no, oui/non)",
            ),
        ],
    ),
    # Another tool's export read through a saved mapping: the problems name the tool's own columns.
    "mapped surveys": (
        "/feedback/import",
        {"source": "forms", "mapping": "Forms"},
        "Horodateur,Magasin,Note\n15/06/2026 10:00:00,A1,12\nhier,A1,9\n",
        [
            (2, "Note", "12 is out of range (0 to 10)", "12 est hors limites (de 0 à 10)"),
            (
                3,
                "Horodateur",
                "'hier' does not match the date format dd/mm/yyyy HH:MM:SS",
                "'hier' ne correspond pas au format de date dd/mm/yyyy HH:MM:SS",
            ),
        ],
    ),
}
FORMS = Mapping(
    columns=(("Horodateur", "external_id"), ("Horodateur", "answered_at"), ("Magasin", "store_code"), ("Note", "nps")),
    date_format="dd/mm/yyyy HH:MM:SS",
)


@pytest.fixture
def hr_in(world, client_as):
    """A logged-in HR client whose user reads Primo in `language`."""

    def make(language: str):
        world["users"]["hr"].language = language
        db.session.commit()
        return client_as("hr")

    return make


def _row(problem: Problem, language: str) -> str:
    row, column, english, french = problem
    message = english if language == "en" else french
    return f"<td>{row}</td><td>{escape(column)}</td><td>{escape(message)}</td>"


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("family", list(FAMILIES))
def test_an_uploaded_files_problems_are_in_the_users_language(hr_in, post, family, language):
    path, fields, content, problems = FAMILIES[family]
    if family == "mapped surveys":
        mappings.save_mapping("Forms", "surveys", FORMS, "forms")
        db.session.commit()
    client = hr_in(language)
    response = post(client, path, {**fields, "file": (io.BytesIO(content.encode()), "file.csv")}, page=path)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for problem in problems:
        assert _row(problem, language) in page
    other = "en" if language == "fr" else "fr"
    assert not any(_row(p, other) in page for p in problems if p[2] != p[3])


def test_a_cell_is_never_markup_on_the_problem_table(hr_in, post):
    content = b"store_code,name,region,opened_on\nS1,Paris,North,<b>soon</b>\n"
    page = post(hr_in("fr"), "/import/stores", {"file": (io.BytesIO(content), "s.csv")}, page="/import/stores")
    html = page.get_data(as_text=True)
    assert "&#39;&lt;b&gt;soon&lt;/b&gt;&#39; n&#39;est pas une date" in html
    assert "<b>soon</b>" not in html


# --- the command line: the company's language ---------------------------------------------------------------

CLI_FAMILIES: dict[str, tuple[list[str], str, str, str]] = {
    # The imports with no upload page (opening balances, KPI values), and one that has one.
    "points": (
        ["points", "import"],
        "employee_number,points,earned_on,reason\nNOPE,-3,2026-01-05,\n",
        "row 2, points: '-3' is not a positive whole number",
        "ligne 2, points : '-3' n'est pas un nombre entier positif",
    ),
    "kpis": (
        ["kpis", "import"],
        "kpi_code,store_code,period,value\nfollowup_48h,A1,2026-Q5,1\n",
        "row 2, kpi_code: computed by Primo, cannot be imported",
        "ligne 2, kpi_code : calculé par Primo, ne peut pas être importé",
    ),
    "stores": (
        ["stores", "import"],
        "store_code,name,region,opened_on\nS1,,North,\n",
        "row 2, name: required",
        "ligne 2, name : obligatoire",
    ),
}


@pytest.mark.parametrize("family", list(CLI_FAMILIES))
@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_command_line_says_the_problems_in_the_companys_language(
    app, world, runner, monkeypatch, tmp_path: Path, family, language
):
    monkeypatch.setitem(app.config, "PRIMO_DEFAULT_LANGUAGE", language)
    command, content, english, french = CLI_FAMILIES[family]
    path = tmp_path / "file.csv"
    path.write_text(content)
    result = runner.invoke(args=[*command, str(path)])
    assert result.exit_code == 1
    assert f"Error: {french if language == 'fr' else english}\n" in result.stderr
    summary = "problème(s) dans le fichier ; rien n'a été importé" if language == "fr" else "problem(s) in the file"
    assert summary in result.stderr


def test_a_french_company_reads_a_period_problem_in_french_on_the_command_line(
    app, world, runner, monkeypatch, tmp_path: Path
):
    monkeypatch.setitem(app.config, "PRIMO_DEFAULT_LANGUAGE", "fr")
    path = tmp_path / "engagement.csv"
    path.write_text("store_code,period,headcount,leavers,absence_days,worked_days\nA1,juillet,10,1,2,200\n")
    result = runner.invoke(args=["engagement", "import", str(path)])
    assert result.exit_code == 1
    assert "ligne 2, period : pas une période : 'juillet' (attendu : AAAA-MM, AAAA-Qn ou AAAA)" in result.stderr


# --- the API: English, whoever asks ----------------------------------------------------------------------------


def _call_in_french(app, token: str, path: str, body: dict):
    """An API call from a client that prefers French."""
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "fr-FR,fr;q=0.9"}
    return app.test_client().post(path, headers=headers, json=body)


@pytest.mark.parametrize("default", ["fr", "en"])
def test_the_api_keeps_its_row_errors_in_english(app, world, api_token, monkeypatch, default):
    monkeypatch.setitem(app.config, "PRIMO_DEFAULT_LANGUAGE", default)
    stores = [{"store_code": "S1", "name": "", "region": "North", "opened_on": "2026-13-01"}]
    refused = _call_in_french(app, api_token("stores:write"), "/api/v1/stores/bulk", {"stores": stores})
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["errors"] == [
        {"item": 1, "field": "name", "message": "required"},
        {"item": 1, "field": "opened_on", "message": "'2026-13-01' is not a date (YYYY-MM-DD or DD/MM/YYYY)"},
    ]
    assert body["detail"] == "2 problem(s) in the file; nothing was imported"


def test_the_api_keeps_a_survey_responses_problems_in_english(app, world, api_token, monkeypatch):
    monkeypatch.setitem(app.config, "PRIMO_DEFAULT_LANGUAGE", "fr")
    sources.create_source("kiosk", "generic")
    db.session.commit()
    response = {"external_id": "k-1", "store_code": "A1", "answered_at": "2026-10-03T10:00:00+02:00", "nps": 12}
    batch = {"source": "kiosk", "responses": [response]}
    refused = _call_in_french(app, api_token("responses:write"), "/api/v1/responses", batch)
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == [{"item": 1, "field": "nps", "message": "12 is out of range (0 to 10)"}]
