"""Scheme documents: the worked example reads, every bad field is named, and write → read round-trips."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from app.incentives.engine import LinearCurve, StepsCurve
from app.incentives.scheme_format import SchemeFormatError, read_document, write_document

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "schemes" / "store-nps-csat.json"
SCHEMA = ROOT / "app" / "incentives" / "scheme.schema.json"


def example() -> dict:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def errors_of(data: dict) -> list[str]:
    with pytest.raises(SchemeFormatError) as info:
        read_document(data)
    return info.value.errors


def test_the_worked_example_scheme_reads_as_the_domain_describes_it():
    document = read_document(example())
    assert document.code == "STORE-NPS-CSAT"
    assert document.target_kind == "percent_of_base"
    assert document.target_value == Decimal("5")
    nps, csat = document.components
    assert (nps.kpi_code, nps.weight, nps.min_responses) == ("nps", Decimal("60"), 30)
    assert nps.curve == LinearCurve(Decimal(30), Decimal(50), Decimal(50), Decimal(70), Decimal(150))
    assert csat.curve == StepsCurve(
        ((Decimal(80), Decimal(50)), (Decimal(85), Decimal(100)), (Decimal(90), Decimal(120)))
    )
    assert document.warnings == ()


def test_write_then_read_gives_the_same_document():
    document = read_document(example())
    assert read_document(write_document(document)) == document
    assert write_document(document) == example()


def test_the_example_and_every_export_follow_the_json_schema():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(example(), schema)
    jsonschema.validate(write_document(read_document(example()), version=3), schema)


def test_weights_that_do_not_add_up_to_100_are_refused():
    data = example()
    data["components"][0]["weight"] = "50"
    assert any("weight" in e and "100" in e for e in errors_of(data))


def test_thresholds_out_of_order_name_the_field():
    data = example()
    data["components"][1]["curve"]["steps"] = [["85", "50"], ["80", "100"]]
    assert any("steps[1].threshold" in e for e in errors_of(data))


def test_more_than_three_components_are_refused_and_three_are_warned():
    data = example()
    third = copy.deepcopy(data["components"][1])
    third.update(key="csat2", weight="10")
    data["components"][1]["weight"] = "30"
    data["components"].append(third)
    assert any("component" in w for w in read_document(data).warnings)
    fourth = copy.deepcopy(third)
    fourth.update(key="csat3", weight="10")
    data["components"][0]["weight"] = "50"
    data["components"].append(fourth)
    assert any("3" in e for e in errors_of(data))


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        (("target", "kind"), "bonus", "target.kind"),
        (("period_type",), "week", "period_type"),
        (("valid_from",), "2026-13-01", "valid_from"),
        (("eligibility", "job_roles"), ["pilot"], "eligibility.job_roles"),
        (("components", 0, "scope"), "planet", "components[0].scope"),
        (("components", 0, "curve", "type"), "bezier", "components[0].curve.type"),
        (("components", 0, "curve", "target"), "high", "components[0].curve.target"),
        (("code",), "no spaces allowed", "code"),
    ],
)
def test_each_bad_field_is_named(path, value, named):
    data = example()
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert any(e.startswith(named) for e in errors_of(data)), errors_of(data)


def test_floats_are_refused_so_no_amount_is_ever_inexact():
    data = example()
    data["target"]["value"] = 5.5
    assert any(e.startswith("target.value") for e in errors_of(data))


def test_every_problem_is_listed_at_once():
    data = example()
    data["name"] = ""
    data["pay_code"] = ""
    data["components"][0]["measure"] = "vibes"
    assert len(errors_of(data)) == 3


COLLECTIVE = ROOT / "examples" / "schemes" / "interessement-nps.json"


def collective() -> dict:
    return json.loads(COLLECTIVE.read_text(encoding="utf-8"))


def test_an_old_document_without_a_kind_is_a_bonus_and_is_written_back_unchanged():
    document = read_document(example())
    assert document.kind == "bonus" and not document.is_interessement
    assert "kind" not in write_document(document)


def test_the_interessement_example_reads_writes_back_and_follows_the_schema():
    document = read_document(collective())
    assert document.is_interessement
    assert (document.code, document.name) == ("INT-NPS", "Intéressement trimestriel à la satisfaction client")
    terms = document.interessement
    assert (terms.pool_level, terms.pool_kind, terms.pool_value) == ("store", "amount", Decimal("1600.00"))
    assert [(s.basis, s.share) for s in terms.subpools] == [
        ("equal", Decimal(50)),
        ("salary", Decimal(25)),
        ("presence", Decimal(25)),
    ]
    assert (terms.seniority_months, terms.cap_redistribution) == (3, "redistribute")
    assert read_document(write_document(document)) == document
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(collective(), schema)
    jsonschema.validate(write_document(document, version=2), schema)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(period_type="month"), "period_type"),
        (lambda d: d["interessement"].update(seniority_months=6), "interessement.seniority_months"),
        (lambda d: d["interessement"]["subpools"][0].update(share="40"), "interessement.subpools"),
        (lambda d: d["interessement"].update(pool_level="country"), "interessement.pool_level"),
        (lambda d: d["interessement"].update(cap_redistribution="burn"), "interessement.cap_redistribution"),
        (lambda d: d["eligibility"].update(employed_at_period_end=True), "eligibility.employed_at_period_end"),
        (lambda d: d.update(target={"kind": "fixed", "value": "100"}), "target"),
        (lambda d: d.pop("interessement"), "interessement"),
        (lambda d: d["components"][0]["curve"].update(threshold="-100", floor="10"), "able to give zero"),
    ],
)
def test_an_interessement_document_the_law_refuses_names_its_field(change, field):
    data = collective()
    change(data)
    assert any(error.startswith(field) or field in error for error in errors_of(data)), errors_of(data)


def test_a_formula_that_cannot_give_zero_says_which_component_and_why():
    data = collective()
    data["components"][0]["curve"] = {"type": "steps", "steps": [["-100", "10"], ["40", "100"]]}
    (error,) = errors_of(data)
    assert error.startswith("components:") and "components[0].curve pays 10 % even at nps -100" in error
