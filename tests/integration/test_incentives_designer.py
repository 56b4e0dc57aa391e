"""The scheme designer: a fieldset per part, curve previews, errors under the field they name, versions, JSON."""

from __future__ import annotations

import io
import json
import re

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.extensions import db
from app.incentives.models import Scheme, SchemeVersion
from app.incentives.schemes import freeze, get_version
from tests.conftest import csrf_token


@pytest.fixture
def hr(app, make_user, make_store, client_for):
    make_store("S1", region="West")
    make_store("S2", region="East")
    make_user("hr1@test.example", "hr")
    return client_for("hr1@test.example")


def scheme_form(**changes: str) -> dict[str, object]:
    """The worked example as the designer posts it: NPS linear in slot 0, CSAT steps in slot 1, slot 2 unused."""
    data: dict[str, object] = {
        "code": "DESIGNED",
        "name": "Prime satisfaction",
        "description": "Une prime trimestrielle.",
        "period_type": "quarter",
        "valid_from": "2026-01-01",
        "valid_to": "",
        "pay_code": "PRIME",
        "target_kind": "percent_of_base",
        "target_value": "5",
        "cap": "",
        "pool": "",
        "min_tenure_days": "0",
        "components-0-kpi": "nps",
        "components-0-direction": "higher",
        "components-0-scope": "store",
        "components-0-weight": "60",
        "components-0-measure": "value",
        "components-0-min_responses": "30",
        "components-0-fallback": "zero",
        "components-0-curve_type": "linear",
        "components-0-threshold": "30",
        "components-0-floor": "50",
        "components-0-target": "50",
        "components-0-maximum": "70",
        "components-0-ceiling": "150",
        "components-1-kpi": "csat",
        "components-1-direction": "higher",
        "components-1-scope": "store",
        "components-1-weight": "40",
        "components-1-measure": "value",
        "components-1-min_responses": "30",
        "components-1-fallback": "zero",
        "components-1-curve_type": "steps",
        "components-1-steps-0-threshold": "80",
        "components-1-steps-0-achievement": "50",
        "components-1-steps-1-threshold": "85",
        "components-1-steps-1-achievement": "100",
        "components-1-steps-2-threshold": "90",
        "components-1-steps-2-achievement": "120",
        "components-2-kpi": "",
        "components-2-curve_type": "linear",
    }
    data.update(changes)
    return data


@pytest.fixture
def save(post):
    """save(client, data, path="/schemes/new"): post the designer form from its own page."""
    return lambda client, data, path="/schemes/new": post(client, path, data, page=path)


def field_errors(page: str, name: str) -> list[str]:
    return re.findall(rf'<p class="error" data-field="{re.escape(name)}">([^<]*)</p>', page)


def test_the_designer_has_a_fieldset_per_part_and_a_server_rendered_curve_preview(hr, text):
    page = text(hr.get("/schemes/new"))
    assert "1. General" in page or "1. Général" in page
    for slot in range(3):
        assert f'data-test="component-{slot}"' in page
        assert f'data-test="curve-preview-{slot}"' in page
    assert page.count('class="chart chart-curve"') == 3
    assert 'src="/static/incentives.js"' in page
    assert "<script>" not in page and "style=" not in page


def test_the_form_is_prefilled_when_editing_with_the_curve_drawn(hr, import_example, text):
    import_example()
    page = text(hr.get("/schemes/STORE-NPS-CSAT/edit"))
    assert 'name="components-0-threshold" type="text" value="30"' in page
    assert 'name="components-1-steps-2-achievement" type="text" value="120"' in page
    assert page.count('class="chart-line"') == 2  # the two components' curves, the third slot is empty


def test_saving_a_valid_scheme_creates_version_1_and_audits_it(hr, text, save):
    response = save(hr, scheme_form(**{"job_roles": ["sales_associate"], "stores": ["S1"]}))
    assert response.status_code == 302, text(response)
    assert response.headers["Location"].startswith("/schemes/DESIGNED")
    version = get_version("DESIGNED")
    assert version.version == 1 and not version.frozen
    assert version.document["eligibility"]["job_roles"] == ["sales_associate"]
    assert version.document["eligibility"]["stores"] == ["S1"]
    assert version.document["components"][1]["curve"]["steps"] == [["80", "50"], ["85", "100"], ["90", "120"]]
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "scheme.create")).actor == (
        "hr1@test.example"
    )


def test_decimal_commas_are_accepted(hr, text, save):
    response = save(hr, scheme_form(**{"components-0-weight": "62,5", "components-1-weight": "37,5"}))
    assert response.status_code == 302, text(response)
    assert get_version("DESIGNED").document["components"][0]["weight"] == "62.5"


def test_weights_that_do_not_add_up_are_shown_under_each_weight(hr, text, save):
    response = save(hr, scheme_form(**{"components-1-weight": "30"}))
    assert response.status_code == 400
    page = text(response)
    for slot in (0, 1):
        assert any("add up to exactly 100, not 90" in e for e in field_errors(page, f"components-{slot}-weight"))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Scheme)) == 0


def test_a_french_reader_gets_the_designers_problems_in_french(hr, text, save, post):
    assert post(hr, "/language", {"language": "fr", "next": "/schemes/new"}, page="/account").status_code == 302
    response = save(hr, scheme_form(**{"components-1-weight": "30", "components-0-target": "20"}))
    assert response.status_code == 400
    page = text(response)
    weights = field_errors(page, "components-0-weight")
    assert weights == ["la somme des poids des composantes doit faire exactement 100, et non 90"], weights
    target = field_errors(page, "components-0-target")
    assert target == ["doit être supérieur à seuil pour un indicateur où plus haut est mieux"], target
    assert "must be" not in page and "components[" not in page


def test_a_linear_curve_out_of_order_names_the_target_field(hr, text, save):
    response = save(hr, scheme_form(**{"components-0-target": "20"}))
    assert response.status_code == 400
    errors = field_errors(text(response), "components-0-target")
    assert errors and "above threshold" in errors[0]


def test_steps_out_of_order_name_the_step_row(hr, text, save):
    response = save(hr, scheme_form(**{"components-1-steps-1-threshold": "75"}))
    assert response.status_code == 400
    errors = field_errors(text(response), "components-1-steps-1-threshold")
    assert errors and "above step 1 · threshold" in errors[0]


def test_for_a_lower_is_better_kpi_thresholds_must_fall(hr, text, save):
    lower = {
        "components-1-direction": "lower",
        "components-1-kpi": "ces",
    }
    rising = save(hr, scheme_form(**lower))
    assert rising.status_code == 400
    errors = field_errors(text(rising), "components-1-steps-1-threshold")
    assert errors and "below step 1 · threshold" in errors[0] and "lower is better" in errors[0]
    falling = {
        **lower,
        "components-1-steps-0-threshold": "4",
        "components-1-steps-1-threshold": "3",
        "components-1-steps-2-threshold": "2",
    }
    assert save(hr, scheme_form(**falling)).status_code == 302


def test_step_rows_left_empty_are_skipped_so_errors_still_land_on_the_right_row(hr, text, save):
    response = save(
        hr,
        scheme_form(
            **{
                "components-1-steps-1-threshold": "",
                "components-1-steps-1-achievement": "",
                "components-1-steps-3-threshold": "70",
                "components-1-steps-3-achievement": "130",
            }
        ),
    )
    assert response.status_code == 400
    # Filled rows 0, 2 and 3 are steps[0], steps[1] and steps[2]: the bad one is row 3.
    assert field_errors(text(response), "components-1-steps-3-threshold")


def test_three_components_are_saved_with_a_warning(hr, text, save):
    third = {
        "components-0-weight": "50",
        "components-1-weight": "30",
        "components-2-kpi": "ces",
        "components-2-weight": "20",
        "components-2-min_responses": "30",
        "components-2-curve_type": "linear",
        "components-2-threshold": "4",
        "components-2-floor": "50",
        "components-2-target": "5",
        "components-2-maximum": "6",
        "components-2-ceiling": "120",
        "components-2-direction": "higher",
        "components-2-scope": "store",
        "components-2-measure": "value",
        "components-2-fallback": "zero",
    }
    response = save(hr, scheme_form(**third))
    assert response.status_code == 302, text(response)
    page = text(hr.get(response.headers["Location"]))
    assert "more than 2 make the bonus hard to follow" in page
    assert len(get_version("DESIGNED").document["components"]) == 3


def test_no_component_at_all_is_refused_on_the_first_kpi(hr, text, save):
    response = save(hr, scheme_form(**{"components-0-kpi": "", "components-1-kpi": ""}))
    assert response.status_code == 400
    assert field_errors(text(response), "components-0-kpi")


def test_other_fields_are_named_too(hr, text, save):
    response = save(hr, scheme_form(valid_to="2025-01-01", **{"components-0-min_responses": "lots"}))
    assert response.status_code == 400
    page = text(response)
    assert field_errors(page, "valid_to")
    assert field_errors(page, "components-0-min_responses")
    # The engine's own checks (once the document reads) land on their fields as well.
    page = text(save(hr, scheme_form(cap="-5", target_value="-1")))
    assert any("must be above 0" in e for e in field_errors(page, "cap"))
    assert any("must not be negative" in e for e in field_errors(page, "target_value"))


def test_a_new_scheme_cannot_take_an_existing_code(hr, import_example, text, save):
    import_example()
    response = save(hr, scheme_form(code="STORE-NPS-CSAT"))
    assert response.status_code == 400
    assert field_errors(text(response), "code")
    assert len(get_version("STORE-NPS-CSAT").scheme.versions) == 1


def test_editing_a_draft_version_changes_it_in_place(hr, import_example, text, save):
    import_example()
    data = scheme_form(code="STORE-NPS-CSAT", name="Nouveau nom")
    response = save(hr, data, path="/schemes/STORE-NPS-CSAT/edit")
    assert response.status_code == 302, text(response)
    scheme = get_version("STORE-NPS-CSAT").scheme
    assert [v.version for v in scheme.versions] == [1]
    assert scheme.latest.name == "Nouveau nom"


def test_editing_a_frozen_version_creates_the_next_one(hr, import_example, text, save):
    freeze(import_example())
    db.session.commit()
    page = text(hr.get("/schemes/STORE-NPS-CSAT/edit"))
    assert 'data-test="frozen-notice"' in page
    response = save(hr, scheme_form(code="STORE-NPS-CSAT", target_value="6"), path="/schemes/STORE-NPS-CSAT/edit")
    assert response.status_code == 302, text(response)
    versions = db.session.scalars(sa.select(SchemeVersion).order_by(SchemeVersion.version)).all()
    assert [(v.version, v.frozen, v.document["target"]["value"]) for v in versions] == [
        (1, True, "5"),
        (2, False, "6"),
    ]


def test_the_code_cannot_change_on_edit(hr, import_example, text, save):
    import_example()
    response = save(hr, scheme_form(code="OTHER"), path="/schemes/STORE-NPS-CSAT/edit")
    assert response.status_code == 400
    assert field_errors(text(response), "code")


def test_the_curve_preview_draws_from_the_fields(hr, text):
    linear = hr.get(
        "/schemes/curve-preview?kpi=nps&direction=higher&curve_type=linear&threshold=30&floor=50&target=50"
        "&maximum=70&ceiling=150"
    )
    assert linear.status_code == 200
    assert "<svg" in text(linear) and 'class="chart-line"' in text(linear)
    assert "curve-problems" not in text(linear)
    wrong = text(
        hr.get(
            "/schemes/curve-preview?kpi=nps&direction=higher&curve_type=linear&threshold=30&floor=50&target=20"
            "&maximum=70&ceiling=150"
        )
    )
    assert "curve-problems" in wrong and "target: must be above threshold" in wrong
    empty = text(hr.get("/schemes/curve-preview?curve_type=steps"))
    assert 'class="chart-empty"' in empty


def test_the_schemes_list_shows_versions_and_whether_they_are_frozen(hr, import_example, text, save):
    freeze(import_example())
    db.session.commit()
    save(hr, scheme_form(code="STORE-NPS-CSAT", target_value="6"), path="/schemes/STORE-NPS-CSAT/edit")
    page = text(hr.get("/schemes"))
    row = page.split('data-scheme="STORE-NPS-CSAT"')[1].split("</tr>")[0]
    assert 'class="version frozen" data-version="1"' in row
    assert 'class="version draft" data-version="2"' in row


def test_the_detail_page_explains_the_scheme_in_plain_french(hr, import_example, text):
    import_example()
    page = text(hr.get("/schemes/STORE-NPS-CSAT"))
    assert "Si le NPS de votre magasin atteint 50, cette part est versée à 100 %." in page
    assert page.count('class="chart chart-curve"') == 2


def test_export_downloads_the_json_document(hr, example_data, import_example):
    import_example()
    response = hr.get("/schemes/STORE-NPS-CSAT/export.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    exported = json.loads(response.get_data(as_text=True))
    assert exported["version"] == 1
    assert {k: v for k, v in exported.items() if k != "version"} == example_data()


def upload(client, content: bytes, name: str = "scheme.json"):
    return client.post(
        "/schemes/import",
        data={"csrf_token": _token(client), "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def _token(client) -> str:
    return csrf_token(client, "/schemes/import")


def test_import_uploads_a_document_and_an_identical_one_changes_nothing(hr, example_data, text):
    content = json.dumps(example_data()).encode()
    first = upload(hr, content)
    assert first.status_code == 302
    assert get_version("STORE-NPS-CSAT").version == 1
    again = upload(hr, content)
    assert again.status_code == 302
    assert "Nothing changed" in text(hr.get(again.headers["Location"])) or "Rien" in text(
        hr.get(again.headers["Location"])
    )
    assert len(get_version("STORE-NPS-CSAT").scheme.versions) == 1


def test_import_lists_every_bad_field_and_saves_nothing(hr, example_data, text):
    data = example_data()
    data["components"] = data["components"] * 2  # four components, two keys used twice
    response = upload(hr, json.dumps(data).encode())
    assert response.status_code == 400
    page = text(response)
    assert 'data-test="import-errors"' in page
    assert "is used twice" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Scheme)) == 0


def test_more_than_three_components_are_refused(hr, example_data, text):
    data = example_data()
    extra = [dict(data["components"][0], key=f"k{i}", weight="25") for i in range(4)]
    data["components"] = extra
    page = text(upload(hr, json.dumps(data).encode()))
    assert "components: must number 1 to 3, not 4" in page


def test_import_refuses_what_is_not_json(hr):
    response = upload(hr, b"not json at all")
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Scheme)) == 0


def test_the_import_page_offers_a_template_that_imports(hr, example_data):
    assert 'href="/schemes/import/template.json"' in hr.get("/schemes/import").get_data(as_text=True)
    response = hr.get("/schemes/import/template.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert json.loads(response.get_data()) == example_data()
    assert upload(hr, response.get_data()).status_code == 302
    assert get_version("STORE-NPS-CSAT").version == 1
