"""HR maps a Google Forms export on the import pages in a real browser: columns to fields, a value mapping and the
form's date format, a preview of the mapped rows, then saves the mapping and imports the file."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.feedback.models import SurveyResponse
from app.mappings.models import ImportMapping
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser
EXPORT = Path(__file__).parent.parent / "fixtures" / "exports" / "google_forms.csv"
FIELDS = {
    "Timestamp": ["external_id", "answered_at"],
    "Dans quel magasin êtes-vous venu(e) ?": ["store_code"],
    "De 0 à 10, recommanderiez-vous notre magasin ?": ["nps"],
    "Êtes-vous satisfait(e) de votre achat ? (1 = pas du tout, 5 = tout à fait)": ["csat"],
    "Acceptez-vous qu'un responsable vous rappelle ?": ["contact_consent"],
}


def test_hr_maps_a_google_forms_export_previews_saves_and_imports(
    live_server, page, console_errors, make_store, make_user
):
    make_store("PAR01"), make_store("LYO02")
    hr = make_user("mapper@example.com", "hr")
    log_in(page, live_server, hr.email, next_path="/feedback/import")
    with page.expect_navigation():
        page.click("text=Column mappings for other tools' exports")
    page.select_option('select[name="kind"]', "surveys")
    page.set_input_files('input[name="file"]', str(EXPORT))
    with page.expect_navigation():
        page.click("button:has-text('Read its columns')")
    assert "/import/mappings/new/" in page.url

    for column, fields in FIELDS.items():
        page.locator(f'select[data-column="{column}"]').select_option(fields)
    page.fill('input[name="name"]', "google-forms")
    page.fill('input[name="source"]', "google-forms")
    page.fill('input[name="date_format"]', "dd/mm/yyyy HH:MM:SS")
    page.fill('textarea[name="values"]', "contact_consent: Oui = yes\ncontact_consent: Non = no")
    page.fill('textarea[name="constants"]', "channel = web")
    with page.expect_navigation():
        page.click("button[value='preview']")
    assert page.locator('[data-test="summary"] [data-count="new"]').inner_text() == "3"
    mapped = page.locator('[data-test="mapped"] tbody tr')
    assert mapped.count() == 3
    first = mapped.first.inner_text()
    assert "2026-11-03T10:05:31" in first and "yes" in first and "web" in first
    assert not db.session.scalars(sa.select(SurveyResponse)).all()  # a preview writes nothing

    with page.expect_navigation():
        page.click("button[value='save']")
    assert "google-forms" in page.locator('[data-test="mapping"]').inner_text()
    assert page.locator('[data-test="summary"] [data-count="new"]').inner_text() == "3"
    with page.expect_navigation():
        page.click("button:has-text('Confirm the import')")
    assert page.url.endswith("/feedback/batches")
    db.session.expire_all()
    stored = db.session.scalars(sa.select(SurveyResponse)).all()
    assert {(r.source, r.channel) for r in stored} == {("google-forms", "web")} and len(stored) == 3
    assert db.session.scalar(sa.select(ImportMapping.name)) == "google-forms"

    # The next export of the same form is imported with the saved mapping chosen on the import page.
    page.goto(f"{live_server}/feedback/import")
    page.set_input_files('input[name="file"]', str(EXPORT))
    page.fill('input[name="source"]', "google-forms")
    page.select_option('select[name="mapping"]', "google-forms")
    with page.expect_navigation():
        page.click("button:has-text('Preview')")
    assert page.locator('[data-test="summary"] [data-count="skipped"]').inner_text() == "3"
    assert not console_errors
