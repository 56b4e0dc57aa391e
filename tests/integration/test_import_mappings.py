"""Column mappings: other tools' exports (Typeform, SurveyMonkey, Google Forms, Qualtrics, a French HRIS) read
through a saved mapping by `flask surveys import --mapping` and `flask employees import --mapping`, all or nothing,
idempotent, with errors naming the file's own rows and columns; a mapping is checked and audited when saved."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.extensions import db
from app.feedback.models import FollowUpCase, ResponseContact, SurveyResponse
from app.mappings import services
from app.mappings.columns import Mapping
from app.mappings.models import ImportMapping
from app.org.models import Employee
from tests.conftest import csrf_token

EXPORTS = Path(__file__).parent.parent / "fixtures" / "exports"
PARIS = ZoneInfo("Europe/Paris")

TYPEFORM = Mapping(
    columns=(
        ("#", "external_id"),
        (
            "Sur une échelle de 0 à 10, quelle est la probabilité que vous recommandiez notre magasin à un proche ?",
            "nps",
        ),
        ("Dans l'ensemble, quel est votre niveau de satisfaction ?", "csat"),
        ("Qu'est-ce qui vous a le plus marqué ?", "comment"),
        ("Acceptez-vous d'être recontacté(e) ?", "contact_consent"),
        ("Votre nom", "customer_name"),
        ("Votre e-mail", "customer_contact"),
        ("store", "store_code"),
        ("Submitted At", "answered_at"),
    ),
    constants={"channel": "web"},
    timezone="UTC",
)
SATISFACTION = {
    "Très satisfait(e)": "5",
    "Satisfait(e)": "4",
    "Ni satisfait(e) ni insatisfait(e)": "3",
    "Plutôt insatisfait(e)": "2",
    "Pas du tout satisfait(e)": "1",
}
SURVEYMONKEY = Mapping(
    columns=(
        ("Respondent ID", "external_id"),
        ("End Date", "answered_at"),
        ("Quel magasin avez-vous visité ?", "store_code"),
        ("Quelle est la probabilité que vous recommandiez notre enseigne à un ami ou un collègue ?", "nps"),
        ("Dans quelle mesure êtes-vous satisfait(e) de votre visite ?", "csat"),
        ("Un commentaire ?", "comment"),
    ),
    values={"store_code": {"Paris Rivoli": "PAR01", "Lyon Part-Dieu": "LYO02"}, "csat": SATISFACTION},
    constants={"channel": "email"},
    date_format="%m/%d/%Y %I:%M:%S %p",
    header_rows=2,
)
GOOGLE_FORMS = Mapping(
    columns=(
        ("Timestamp", "external_id"),  # a Google Form has no response id: the second it was sent stands for one
        ("Timestamp", "answered_at"),
        ("Dans quel magasin êtes-vous venu(e) ?", "store_code"),
        ("De 0 à 10, recommanderiez-vous notre magasin ?", "nps"),
        ("Êtes-vous satisfait(e) de votre achat ? (1 = pas du tout, 5 = tout à fait)", "csat"),
        ("Acceptez-vous qu'un responsable vous rappelle ?", "contact_consent"),
        ("Votre numéro de téléphone (facultatif)", "customer_contact"),
        ("Un mot pour l'équipe ?", "comment"),
    ),
    values={"contact_consent": {"Oui": "yes", "Non": "no"}},
    constants={"channel": "web"},
    date_format="dd/mm/yyyy HH:MM:SS",
)
QUALTRICS = Mapping(
    columns=(
        ("ResponseId", "external_id"),
        ("RecordedDate", "answered_at"),
        ("store", "store_code"),
        ("Q1", "nps"),
        ("Q2", "csat"),
        ("Q3", "comment"),
        ("DistributionChannel", "channel"),
    ),
    timezone="UTC",
    header_rows=3,
)
HRIS = Mapping(
    columns=(
        ("Matricule", "employee_number"),
        ("Identifiant paie", "payroll_id"),
        ("Nom", "last_name"),
        ("Prénom", "first_name"),
        ("Emploi", "job_role"),
        ("Code magasin", "store_code"),
        ("Date d'entrée", "hire_date"),
        ("Date de sortie", "exit_date"),
        ("Taux d'activité", "fte"),
        ("Salaire de base", "annual_base_salary"),
        ("Centre de coût", "cost_center"),
    ),
    values={
        "job_role": {
            "Vendeuse": "sales_associate",
            "Vendeur": "sales_associate",
            "Directeur de magasin": "store_manager",
        }
    },
    constants={"language": "fr"},
    date_format="dd/mm/yyyy",
)


@pytest.fixture
def stores(make_store):
    return make_store("PAR01", name="Paris Rivoli"), make_store("LYO02", region="South", name="Lyon Part-Dieu")


@pytest.fixture
def saved(app):
    def save(name: str, kind: str, spec: Mapping, source: str | None = None) -> ImportMapping:
        mapping = services.save_mapping(name, kind, spec, source)
        db.session.commit()
        return mapping

    return save


def import_file(runner, kind: str, path: Path, *extra: str):
    return runner.invoke(args=[kind, "import", str(path), *extra])


def responses() -> dict[str, SurveyResponse]:
    db.session.expire_all()
    return {r.external_id: r for r in db.session.scalars(sa.select(SurveyResponse))}


def copy(tmp_path: Path, name: str, edit=lambda text: text, encoding: str = "utf-8") -> Path:
    target = tmp_path / name
    target.write_bytes(edit((EXPORTS / name).read_text(encoding)).encode(encoding))
    return target


def test_typeform_export_imports_through_its_mapping_in_utc_and_again_is_harmless(runner, stores, saved):
    saved("typeform-nps", "surveys", TYPEFORM, source="typeform")
    first = import_file(runner, "surveys", EXPORTS / "typeform.csv", "--mapping", "typeform-nps")
    assert first.exit_code == 0, first.output
    assert "3 rows, 3 new, 0 already imported" in first.output
    found = responses()
    good, bad = found["k3j9x2p7q1w8e5r4"], found["m8n2b6v4c9x1z7l3"]
    assert (good.source, good.channel, good.nps, good.csat, good.comment) == (
        "typeform",
        "web",
        10,
        5,
        "Accueil parfait, conseils précis",
    )
    assert good.answered_at.replace(tzinfo=UTC) == datetime(2026, 11, 3, 8, 14, 2, tzinfo=UTC)
    # 23:05 UTC on 4 November is already 5 November in Paris
    assert found["q5w1e9r3t7y2u6i4"].local_date == date(2026, 11, 5)
    assert bad.contact_consent and db.session.scalar(sa.select(ResponseContact.customer_name)) == "Jeanne Martin"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowUpCase)) == 1
    assert not good.contact_consent  # "0"
    again = import_file(runner, "surveys", EXPORTS / "typeform.csv", "--mapping", "typeform-nps")
    assert again.exit_code == 0, again.output
    assert "3 rows, 0 new, 3 already imported" in again.output
    assert len(responses()) == 3


def test_surveymonkey_two_header_rows_labels_and_us_dates_are_read(runner, stores, saved):
    saved("surveymonkey", "surveys", SURVEYMONKEY)
    result = import_file(runner, "surveys", EXPORTS / "surveymonkey.csv", "--mapping", "surveymonkey")
    assert result.exit_code == 0, result.output
    found = responses()
    assert set(found) == {"118273645501", "118273645502", "118273645503"}
    assert {k: (r.store.code, r.nps, r.csat) for k, r in found.items()} == {
        "118273645501": ("PAR01", 9, 5),
        "118273645502": ("LYO02", 6, 2),
        "118273645503": ("PAR01", 10, 4),
    }
    # 02:06:10 PM in company time (Paris, UTC+1 in November)
    assert found["118273645502"].answered_at.replace(tzinfo=UTC) == datetime(2026, 11, 3, 13, 6, 10, tzinfo=UTC)
    assert {r.source for r in found.values()} == {"import"}  # no source on the mapping or the command line


def test_google_forms_locale_timestamps_and_oui_non_consent(runner, stores, saved):
    saved("google-forms", "surveys", GOOGLE_FORMS, source="google-forms")
    result = import_file(runner, "surveys", EXPORTS / "google_forms.csv", "--mapping", "google-forms")
    assert result.exit_code == 0, result.output
    found = responses()
    first = found["03/11/2026 10:05:31"]
    assert first.answered_at.replace(tzinfo=UTC) == datetime(2026, 11, 3, 10, 5, 31, tzinfo=PARIS).astimezone(UTC)
    assert (first.nps, first.csat, first.contact_consent) == (2, 1, True)
    assert not found["03/11/2026 18:47:02"].contact_consent
    assert db.session.scalar(sa.select(ResponseContact.customer_contact)) == "06 12 34 56 78"
    assert "1 follow-up case(s) opened" in result.output


def test_qualtrics_three_header_rows_number_rows_as_the_file_does(runner, stores, saved, tmp_path):
    saved("qualtrics", "surveys", QUALTRICS, source="qualtrics")
    result = import_file(runner, "surveys", EXPORTS / "qualtrics.csv", "--mapping", "qualtrics")
    assert result.exit_code == 0, result.output
    found = responses()
    assert found["R_9h8G7f6E5d4C3b2"].channel == "email"
    assert found["R_9h8G7f6E5d4C3b2"].local_date == date(2026, 11, 4)  # 23:10 UTC = 00:10 in Paris
    bad = copy(tmp_path, "qualtrics.csv", lambda t: t.replace(",anonymous,FR,9,4,", ",anonymous,FR,9,7,"))
    rejected = import_file(runner, "surveys", bad, "--mapping", "qualtrics", "--source", "qualtrics-2")
    assert rejected.exit_code == 1
    assert "row 4, Q2: 7 is out of range (1 to 5)" in rejected.output
    assert len(responses()) == 2


def test_errors_name_the_files_rows_and_columns_and_nothing_is_written(runner, stores, saved, tmp_path):
    saved("google-forms", "surveys", GOOGLE_FORMS)

    def spoil(text: str) -> str:
        text = text.replace("03/11/2026 18:47:02", "03/11/26 18:47")
        return text.replace("04/11/2026 09:00:15,LYO02", "04/11/2026 09:00:15,NOPE")

    result = import_file(runner, "surveys", copy(tmp_path, "google_forms.csv", spoil), "--mapping", "google-forms")
    assert result.exit_code == 1
    assert "row 3, Timestamp: '03/11/26 18:47' does not match the date format dd/mm/yyyy HH:MM:SS" in result.output
    assert "row 4, Dans quel magasin êtes-vous venu(e) ?: unknown store 'NOPE'" in result.output
    assert not responses()


def test_a_mapped_column_missing_from_the_file_is_named(runner, stores, saved, tmp_path):
    saved("typeform-nps", "surveys", TYPEFORM)
    renamed = copy(tmp_path, "typeform.csv", lambda t: t.replace("Submitted At", "Submit Date (UTC)"))
    result = import_file(runner, "surveys", renamed, "--mapping", "typeform-nps")
    assert result.exit_code == 1
    assert "row 1, Submitted At: column missing from the header" in result.output


def test_unknown_mapping_name_is_refused(runner, stores):
    result = import_file(runner, "surveys", EXPORTS / "typeform.csv", "--mapping", "nope")
    assert result.exit_code == 1
    assert "No surveys mapping named nope" in result.output


def test_hris_export_in_windows_1252_with_semicolons_imports_and_again_changes_nothing(runner, stores, saved):
    saved("sirh", "employees", HRIS)
    first = import_file(runner, "employees", EXPORTS / "hris_fr.csv", "--mapping", "sirh")
    assert first.exit_code == 0, first.output
    assert "3 new, 0 changed, 0 unchanged" in first.output
    db.session.expire_all()
    people = {e.number: e for e in db.session.scalars(sa.select(Employee))}
    helene = people["00127"]
    assert (helene.first_name, helene.last_name, helene.job_role) == ("Hélène", "Lefèvre", "sales_associate")
    assert helene.hire_date == date(2024, 9, 1) and helene.language == "fr"
    assert people["00342"].annual_base_salary == Decimal("41250.50")
    assert people["00518"].fte == Decimal("0.8") and people["00342"].job_role == "store_manager"
    again = import_file(runner, "employees", EXPORTS / "hris_fr.csv", "--mapping", "sirh")
    assert "0 new, 0 changed, 3 unchanged" in again.output


def test_hris_errors_name_the_french_columns(runner, stores, saved, tmp_path):
    saved("sirh", "employees", HRIS)
    bad = copy(tmp_path, "hris_fr.csv", lambda t: t.replace(";Vendeuse;", ";Caissière;"), "cp1252")
    result = import_file(runner, "employees", bad, "--mapping", "sirh")
    assert result.exit_code == 1
    assert "row 2, Emploi: 'Caissière' is not one of" in result.output
    assert not db.session.scalars(sa.select(Employee)).all()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (Mapping(columns=(*TYPEFORM.columns, ("Network ID", "network"))), "Column Network ID: unknown field network"),
        (Mapping(columns=TYPEFORM.columns[1:]), "Required field external_id is neither mapped"),
        (
            Mapping(columns=(*TYPEFORM.columns, ("Start Date (UTC)", "answered_at"))),
            "Field answered_at is mapped from several columns: Submitted At, Start Date (UTC)",
        ),
        (Mapping(columns=TYPEFORM.columns, constants={"store_code": "PAR01"}), "Field store_code is both mapped"),
        (Mapping(columns=TYPEFORM.columns, timezone="Mars/Olympus"), "Unknown time zone Mars/Olympus"),
    ],
)
def test_a_mapping_is_refused_with_a_message_naming_the_field(app, spec, message):
    with pytest.raises(services.MappingInvalid) as refused:
        services.save_mapping("bad", "surveys", spec)
    assert any(message in p for p in refused.value.problems), refused.value.problems


def test_saving_a_mapping_is_audited_and_an_edit_keeps_the_before(app, saved):
    mapping = saved("qualtrics", "surveys", QUALTRICS, source="qualtrics")
    services.save_mapping(
        "qualtrics", "surveys", Mapping.from_dict({**QUALTRICS.as_dict(), "timezone": ""}), "q", mapping
    )
    db.session.commit()
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "imports.mapping_save").order_by(AuditEvent.id)
    ).all()
    assert len(events) == 2
    assert events[1].before["spec"]["timezone"] == "UTC" and events[1].after["spec"]["timezone"] == ""
    assert Mapping.from_dict(db.session.get(ImportMapping, mapping.id).spec).header_rows == 3


# --- the pages ---------------------------------------------------------------------------------------------


def draw(client, path: Path, kind: str, header_rows: int = 1) -> str:
    """Upload a tool's export on the mappings page; the editor's address."""
    token = csrf_token(client, "/import/mappings")
    with path.open("rb") as handle:
        response = client.post(
            "/import/mappings",
            data={"csrf_token": token, "kind": kind, "header_rows": header_rows, "file": (handle, path.name)},
            content_type="multipart/form-data",
        )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def editor_form(client, editor: str, spec: Mapping, name: str, action: str, **extra: str) -> dict:
    page = client.get(editor).get_data(as_text=True)
    columns = re.findall(r'name="column-(\d+)" value="([^"]*)"', page)
    fed: dict[str, list[str]] = {}
    for column, field in spec.columns:
        fed.setdefault(column, []).append(field)
    data: dict = {"csrf_token": csrf_token(client, editor), "columns": str(len(columns)), "action": action}
    for index, column in columns:
        data[f"column-{index}"] = html.unescape(column)
        data[f"field-{index}"] = fed.get(html.unescape(column), [])
    values = "\n".join(f"{f}: {k} = {v}" for f, pairs in spec.values.items() for k, v in pairs.items())
    constants = "\n".join(f"{f} = {v}" for f, v in spec.constants.items())
    return data | {
        "name": name,
        "header_rows": str(spec.header_rows),
        "date_format": spec.date_format,
        "timezone": spec.timezone,
        "values": values,
        "constants": constants,
        **extra,
    }


def test_the_editor_refuses_a_field_fed_twice_naming_it_and_saves_nothing(client_as, stores):
    hr = client_as("hr")
    editor = draw(hr, EXPORTS / "qualtrics.csv", "surveys", header_rows=3)
    twice = Mapping(columns=(*QUALTRICS.columns, ("StartDate", "answered_at")), header_rows=3)
    response = hr.post(editor, data=editor_form(hr, editor, twice, "qualtrics", "save"))
    assert response.status_code == 400
    assert "answered_at" in html.unescape(response.get_data(as_text=True))
    assert "StartDate" in html.unescape(response.get_data(as_text=True))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportMapping)) == 0


def test_the_editor_preview_lists_the_imports_errors_under_the_files_names(client_as, stores, tmp_path):
    hr = client_as("hr")
    bad = copy(tmp_path, "qualtrics.csv", lambda t: t.replace(",PAR01\n", ",ZZZ99\n"))
    editor = draw(hr, bad, "surveys", header_rows=3)
    response = hr.post(editor, data=editor_form(hr, editor, QUALTRICS, "qualtrics", "preview"))
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert re.search(r"<td>4</td><td>store</td><td>unknown store 'ZZZ99'</td>", page), page
    assert not responses()


def test_hr_maps_an_hris_export_on_the_page_and_imports_it_through_the_employee_import(client_as, stores):
    hr = client_as("hr")
    editor = draw(hr, EXPORTS / "hris_fr.csv", "employees")
    assert "Date d&#39;entrée" in hr.get(editor).get_data(as_text=True)  # decoded from Windows-1252
    saved = hr.post(editor, data=editor_form(hr, editor, HRIS, "sirh", "save"))
    assert saved.status_code == 200
    assert "3 nouveaux" in saved.get_data(as_text=True) or "3 new" in saved.get_data(as_text=True)
    token = re.search(r"/import/employees/([^/]+)/confirm", saved.get_data(as_text=True)).group(1)
    done = hr.post(f"/import/employees/{token}/confirm", data={"csrf_token": csrf_token(hr, "/import/employees")})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(Employee.first_name).where(Employee.number == "00127")) == "Hélène"
    # the same export again, with the saved mapping chosen on the employee import page: nothing changes
    with (EXPORTS / "hris_fr.csv").open("rb") as handle:
        again = hr.post(
            "/import/employees",
            data={"csrf_token": csrf_token(hr, "/import/employees"), "mapping": "sirh", "file": (handle, "x.csv")},
            content_type="multipart/form-data",
        )
    assert again.status_code == 200
    assert re.search(r"0 \w+, 0 \w+, 3 \w+", again.get_data(as_text=True))
