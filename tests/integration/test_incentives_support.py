"""The shared set-up of the incentive page tests (the `build_worked_example` fixture) builds what they rely on."""

from __future__ import annotations


def test_the_worked_example_set_up_is_complete(build_worked_example):
    worked = build_worked_example()
    assert worked.store.code == "S1"
    assert {u.email for u in worked.users.values()} >= {"hr1@test.example", "hr2@test.example"}
