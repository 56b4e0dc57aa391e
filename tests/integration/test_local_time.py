"""One stored instant reads the same company-local clock time on a page, in the statement PDF and in the Excel
export, in French and English, just before and just after both daylight-saving changes of Europe/Paris.

Instants are stored in UTC; the company zone is applied once. Applying it twice (as `fmt.moment` once did) shows
every time an hour late in winter and two in summer, which these cases would catch.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from openpyxl import load_workbook

from app.core import clock
from app.extensions import db
from app.feedback.cases import FOLLOW_UP_DELAY, add_note, note_entries, open_case_for_response
from app.reports.statements import documents
from tests.conftest import login

SPACES = re.compile(r"[\u00a0\u202f ]+")

# (stored instant in UTC, the company's wall clock then): last Sunday of October 2026 (25th, 03:00 CEST → 02:00 CET)
# and of March 2027 (28th, 02:00 CET → 03:00 CEST), both after 2026-Q3 has ended, so its run can be approved then.
INSTANTS = {
    "before-spring": (datetime(2027, 3, 28, 0, 45, tzinfo=UTC), datetime(2027, 3, 28, 1, 45)),
    "after-spring": (datetime(2027, 3, 28, 1, 15, tzinfo=UTC), datetime(2027, 3, 28, 3, 15)),
    "before-autumn": (datetime(2026, 10, 25, 0, 45, tzinfo=UTC), datetime(2026, 10, 25, 2, 45)),
    "after-autumn": (datetime(2026, 10, 25, 1, 15, tzinfo=UTC), datetime(2026, 10, 25, 2, 15)),
}
CASES = [pytest.param(key, language, id=f"{key}-{language}") for key in INSTANTS for language in ("fr", "en")]


def clock_text(local: datetime, language: str) -> str:
    """How the wall-clock hour and minute read in `language` (French 24 h, English 12 h with AM/PM)."""
    if language == "fr":
        return f"{local:%H:%M}"
    return f"{local.hour % 12 or 12}:{local:%M}"


def folded(text: str) -> str:
    return SPACES.sub(" ", text)


def test_the_clock_converts_across_both_changes():
    for instant, wall in INSTANTS.values():
        assert clock.wall_clock(instant, "Europe/Paris") == wall
        assert clock.local(instant.replace(tzinfo=None), "Europe/Paris").replace(tzinfo=None) == wall


@pytest.mark.parametrize(("key", "language"), CASES)
def test_an_approval_reads_the_same_local_time_on_the_run_page_the_statement_pdf_and_excel(
    key, language, app, build_paid_world, make_run, pdf_text
):
    instant, wall = INSTANTS[key]
    world = build_paid_world()
    employee = world["whole"] if language == "fr" else world["hired"]
    assert employee.language == language
    with time_machine.travel(instant, tick=False):
        run = make_run("approved")
    assert run.approved_at == instant
    expected = clock_text(wall, language)
    twice = clock_text(wall + clock.local(instant, "Europe/Paris").utcoffset(), language)  # the old bug

    hr = app.test_client()
    assert login(hr, "hr1@test.example").status_code == 302
    page = folded(hr.get(f"/runs/{run.id}", headers={"Accept-Language": language}).get_data(as_text=True))
    approved = re.search(r"hr2@test\.example · ([^<]+)</dd>", page)
    assert approved, page
    assert expected in approved.group(1) and twice not in approved.group(1)
    assert str(wall.day) in approved.group(1)

    person = app.test_client()
    assert login(person, _email(world, employee)).status_code == 302
    statement = folded(person.get(f"/runs/{run.id}/statement/{employee.id}").get_data(as_text=True))
    shown = re.search(r'data-test="approved-at">([^<]+)<', statement)
    assert shown and expected in shown.group(1) and str(wall.day) in shown.group(1)

    pdf = pdf_text(documents.obtain(run, employee, "pdf").content)
    assert expected in pdf.split("Approved on" if language == "en" else "Validée le", 1)[1][:80]

    workbook = load_workbook(io.BytesIO(documents.obtain(run, employee, "xlsx").content))
    cells = {row[0]: row[1:] for row in workbook.active.iter_rows(values_only=True) if row[0]}
    approved_cell = cells["Approved on" if language == "en" else "Validée le"]
    assert approved_cell[0] == wall
    assert approved_cell[1] == "Europe/Paris"  # Excel has no zone: the file says which one its times are in


def _email(world: dict, employee) -> str:
    return next(u.email for u in world["users"].values() if u.employee_id == employee.id)


@pytest.mark.parametrize(("key", "language"), CASES)
def test_a_case_due_time_and_its_note_read_local_time_on_the_case_page(key, language, app, world, add_response):
    instant, wall = INSTANTS[key]
    world["manager_emp"].language = language  # a page is in its reader's language
    response = add_response(world["north"], nps=1, answered_at=instant - FOLLOW_UP_DELAY)
    case = open_case_for_response(response)
    db.session.flush()
    add_note(case, "Called, left a message.", now=instant)
    db.session.commit()
    assert case.due_at == instant
    assert note_entries(case.notes)[0].at == instant
    assert f"{instant:%H:%M} UTC" in case.notes  # stored unambiguously, shown locally

    manager = app.test_client()
    assert login(manager, "manager@test.example").status_code == 302
    page = folded(manager.get(f"/cases/{case.id}").get_data(as_text=True))
    due = re.search(r"<dt>%s</dt><dd>([^<]+)</dd>" % ("Due" if language == "en" else "Échéance"), page)
    assert due and clock_text(wall, language) in due.group(1)
    note_at = re.search(r'data-test="note-at">([^<]+)<', page)
    assert note_at and clock_text(wall, language) in note_at.group(1)
    assert " UTC" not in page


def test_case_notes_split_into_dated_entries_and_keep_undated_text():
    first = datetime(2026, 3, 29, 0, 45, tzinfo=UTC)
    notes = (
        "Written before notes were dated.\n\n"
        "[2026-03-29 00:45 UTC, a@example.com] First line\n\nstill the first note [x]\n\n"
        "[2026-03-29 01:15 UTC, b@example.com] Second"
    )
    entries = note_entries(notes)
    assert [(e.at, e.actor, e.text) for e in entries] == [
        (None, "", "Written before notes were dated."),
        (first, "a@example.com", "First line\n\nstill the first note [x]"),
        (first + timedelta(minutes=30), "b@example.com", "Second"),
    ]
    assert note_entries("Plain demo note.") == [type(entries[0])(None, "", "Plain demo note.")]
    assert note_entries(None) == []
