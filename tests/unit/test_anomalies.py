"""The anomaly rules on plain answers: bursts, repeated respondents, silent 10s against the store's habit, and
comments that mention being asked for a good score."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.feedback import anomalies
from app.feedback.anomalies import Answer

START = datetime(2026, 7, 14, 10, 0, tzinfo=UTC)


def spaced(minutes: list[float], first_id: int = 1, **fields) -> list[Answer]:
    return [Answer(first_id + i, START + timedelta(minutes=m), **fields) for i, m in enumerate(minutes)]


def test_eight_answers_within_ten_minutes_are_a_burst():
    answers = spaced([0, 1, 2, 3, 4, 5, 6, 9.5]) + spaced([300, 600], first_id=50)
    [finding] = anomalies.bursts(answers, count=8, minutes=10)
    assert finding.rule == "burst"
    assert finding.response_ids == tuple(range(1, 9))
    assert finding.evidence["answers"] == 8
    assert finding.evidence["first_at"] == START.isoformat()


def test_seven_answers_or_answers_spread_over_the_day_are_no_burst():
    assert anomalies.bursts(spaced([0, 1, 2, 3, 4, 5, 6]), count=8, minutes=10) == []
    assert anomalies.bursts(spaced([i * 2 for i in range(20)]), count=8, minutes=10) == []


def test_overlapping_bursts_make_one_finding_and_separate_ones_two():
    answers = spaced([i * 1.0 for i in range(12)]) + spaced([200 + i * 0.5 for i in range(8)], first_id=100)
    findings = anomalies.bursts(answers, count=8, minutes=10)
    assert [len(f.response_ids) for f in findings] == [12, 8]


@given(st.lists(st.integers(min_value=0, max_value=600), max_size=40), st.integers(min_value=2, max_value=10))
def test_a_burst_always_holds_at_least_n_answers_of_the_input(minutes, count):
    answers = spaced([float(m) for m in minutes])
    ids = {a.id for a in answers}
    for finding in anomalies.bursts(answers, count=count, minutes=10):
        assert len(finding.response_ids) >= count
        assert set(finding.response_ids) <= ids


def test_one_contact_answering_three_times_is_flagged_without_the_contact_in_the_evidence():
    answers = spaced([0, 600, 1200], contact="lea@example.net") + spaced([0, 10], first_id=9, contact="other@x.fr")
    [finding] = anomalies.repeated(answers, count=3)
    assert finding.rule == "same_contact" and finding.response_ids == (1, 2, 3)
    assert "lea@example.net" not in str(finding.evidence)


def test_one_device_answering_three_times_is_flagged():
    answers = spaced([0, 60, 120], fingerprint="abc") + spaced([0], first_id=7, fingerprint="def")
    assert [(f.rule, f.response_ids) for f in anomalies.repeated(answers, count=3)] == [("same_device", (1, 2, 3))]


def test_silent_tens_far_above_the_stores_habit_are_flagged():
    [finding] = anomalies.silent_tens(20, list(range(1, 13)), history_answers=200, history_silent_tens=20)
    assert finding.rule == "silent_tens" and finding.response_ids == tuple(range(1, 13))
    assert finding.evidence["share"] == "60.0" and finding.evidence["usual_share"] == "10.0"


def test_silent_tens_near_the_stores_habit_or_without_history_are_not_flagged():
    assert anomalies.silent_tens(20, [1, 2, 3], history_answers=200, history_silent_tens=20) == []
    assert anomalies.silent_tens(20, list(range(12)), history_answers=200, history_silent_tens=100) == []
    assert anomalies.silent_tens(20, list(range(12)), history_answers=10, history_silent_tens=1) == []
    assert anomalies.silent_tens(8, list(range(8)), history_answers=200, history_silent_tens=20) == []


@given(st.integers(min_value=10, max_value=400), st.integers(min_value=30, max_value=2000), st.data())
def test_more_silent_tens_in_a_month_never_lift_a_flag(answers, history, data):
    usual = data.draw(st.integers(min_value=0, max_value=history))
    silent = data.draw(st.integers(min_value=0, max_value=answers - 1))
    if anomalies.silent_tens_unusual(answers, silent, history, usual):
        assert anomalies.silent_tens_unusual(answers, silent + 1, history, usual)


def test_a_ten_with_a_comment_is_not_silent():
    assert not anomalies.is_silent_ten(Answer(1, START, nps=10, comment="Parfait"))
    assert anomalies.is_silent_ten(Answer(1, START, nps=10, comment="  "))


def test_comments_asking_for_a_good_score_are_found_in_french_and_english_whatever_the_accents():
    answers = [
        Answer(1, START, nps=10, comment="La vendeuse m’a DEMANDE de mettre 10 svp"),
        Answer(2, START, nps=10, comment="The clerk asked me to give a 10 for her bonus"),
        Answer(3, START, nps=9, comment="Très bonne notion du conseil, merci"),
        Answer(4, START, nps=10, comment=None),
    ]
    [finding] = anomalies.score_begging(answers, anomalies.DEFAULT_PHRASES)
    assert finding.response_ids == (1, 2)
    assert finding.evidence["matches"]["1"] == {"language": "fr", "phrase": "demandé de mettre"}
    assert finding.evidence["matches"]["2"]["language"] == "en"


def test_hr_phrases_replace_the_defaults():
    answers = [Answer(1, START, comment="On m'a offert un café pour noter")]
    assert anomalies.score_begging(answers, anomalies.DEFAULT_PHRASES) == []
    assert anomalies.score_begging(answers, {"fr": ["offert un cafe"]})[0].response_ids == (1,)


def test_phrase_lists_are_trimmed_and_deduplicated():
    assert anomalies.clean_phrases(["  bonne  note ", "", "Bonne note", "mettre 10"]) == ["bonne note", "mettre 10"]
