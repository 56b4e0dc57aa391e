"""The follow-up case life cycle: every move between two statuses is either allowed or refused, and closing
needs an outcome that fits."""

from __future__ import annotations

import itertools

import pytest

from app.feedback.cases import (
    OUTCOMES,
    CaseOutcomeError,
    CaseStatus,
    CaseTransitionError,
    check_outcome,
    check_transition,
    next_statuses,
)

OPEN, CONTACTED, RESOLVED, UNREACHABLE = CaseStatus
ALLOWED = {
    (OPEN, CONTACTED),
    (OPEN, RESOLVED),
    (OPEN, UNREACHABLE),
    (CONTACTED, RESOLVED),
    (CONTACTED, UNREACHABLE),
}
PAIRS = list(itertools.product(CaseStatus, repeat=2))


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_allowed_moves_pass(current, target):
    check_transition(current, target)
    check_transition(current.value, target.value)  # plain strings, as stored


@pytest.mark.parametrize(("current", "target"), [pair for pair in PAIRS if pair not in ALLOWED])
def test_every_other_move_is_refused(current, target):
    with pytest.raises(CaseTransitionError):
        check_transition(current, target)


def test_sixteen_pairs_five_allowed():
    assert len(PAIRS) == 16 and len(ALLOWED) == 5


@pytest.mark.parametrize("closed", [RESOLVED, UNREACHABLE])
def test_a_closed_case_has_nowhere_to_go(closed):
    assert next_statuses(closed) == []


def test_next_statuses_follow_the_life_cycle_order():
    assert next_statuses(OPEN) == [CONTACTED, RESOLVED, UNREACHABLE]
    assert next_statuses("contacted") == [RESOLVED, UNREACHABLE]


def test_unknown_statuses_are_refused():
    with pytest.raises(CaseTransitionError):
        check_transition("open", "reopened")
    with pytest.raises(CaseTransitionError):
        check_transition("archived", "open")


@pytest.mark.parametrize("closed", [RESOLVED, UNREACHABLE])
def test_closing_needs_an_outcome(closed):
    for missing in (None, "", "  "):
        with pytest.raises(CaseOutcomeError):
            check_outcome(closed, missing)


@pytest.mark.parametrize(("closed", "code"), [(status, code) for status, codes in OUTCOMES.items() for code in codes])
def test_each_outcome_fits_its_closing_status_only(closed, code):
    assert check_outcome(closed, code) == code
    other = UNREACHABLE if closed is RESOLVED else RESOLVED
    with pytest.raises(CaseOutcomeError):
        check_outcome(other, code)


def test_outcome_codes_do_not_overlap():
    assert not set(OUTCOMES[RESOLVED]) & set(OUTCOMES[UNREACHABLE])


def test_contacting_takes_no_outcome():
    assert check_outcome(CONTACTED, None) is None
    with pytest.raises(CaseOutcomeError):
        check_outcome(CONTACTED, "apologised")


def test_an_unknown_outcome_is_refused():
    with pytest.raises(CaseOutcomeError):
        check_outcome(RESOLVED, "bribed")
