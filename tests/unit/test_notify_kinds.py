"""The notification kinds, who receives them, when a weekly digest is due and how long a retry waits."""

from datetime import date

import pytest

from app.notify.kinds import KINDS, Kind, Mode, digest_week_start, kinds_for, register, retry_delay


def test_each_role_sees_only_the_kinds_meant_for_it():
    assert [k.code for k in kinds_for({"hr"})] == ["run_awaiting_approval"]
    assert "case_overdue" in [k.code for k in kinds_for({"manager", "employee"})]
    assert kinds_for({"payroll"}) == []


def test_a_kind_cannot_be_registered_twice_differently():
    with pytest.raises(ValueError):
        register(Kind("points_awarded", ("hr",)))
    assert register(KINDS["points_awarded"]) is KINDS["points_awarded"]


@pytest.mark.parametrize(
    ("day", "monday"),
    [
        (date(2026, 11, 23), date(2026, 11, 23)),
        (date(2026, 11, 29), date(2026, 11, 23)),
        (date(2026, 11, 22), date(2026, 11, 16)),
    ],
)
def test_a_digest_covers_what_arrived_before_the_monday_of_its_week(day, monday):
    assert digest_week_start(day) == monday


def test_retries_wait_longer_each_time_then_give_up():
    delays = [retry_delay(n) for n in range(1, 6)]
    assert delays[:4] == sorted(delays[:4]) and delays[0] == 60
    assert delays[4] is None
    assert Mode("digest") is Mode.DIGEST
