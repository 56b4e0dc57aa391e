"""`flask schemes import/export`: versions, freezing, idempotence and named errors."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.extensions import db
from app.incentives.models import SchemeVersion
from app.incentives.schemes import freeze, get_version

EXAMPLE = Path(__file__).parents[2] / "examples" / "schemes" / "store-nps-csat.json"


def write(tmp_path: Path, data: dict, name: str = "scheme.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_importing_the_example_creates_version_1(runner):
    result = runner.invoke(args=["schemes", "import", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "STORE-NPS-CSAT version 1: created" in result.output
    assert get_version("STORE-NPS-CSAT").version == 1


def test_importing_the_same_file_again_changes_nothing(runner):
    runner.invoke(args=["schemes", "import", str(EXAMPLE)])
    events = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    result = runner.invoke(args=["schemes", "import", str(EXAMPLE)])
    assert "unchanged" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == events


def test_a_draft_version_is_edited_in_place(runner, tmp_path):
    runner.invoke(args=["schemes", "import", str(EXAMPLE)])
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["target"]["value"] = "6"
    result = runner.invoke(args=["schemes", "import", write(tmp_path, data)])
    assert "version 1: updated" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SchemeVersion)) == 1


def test_a_frozen_version_is_never_changed_an_edit_makes_the_next_version(runner, tmp_path):
    runner.invoke(args=["schemes", "import", str(EXAMPLE)])
    freeze(get_version("STORE-NPS-CSAT"))
    db.session.commit()
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["target"]["value"] = "6"
    result = runner.invoke(args=["schemes", "import", write(tmp_path, data)])
    assert "version 2: new version" in result.output
    assert get_version("STORE-NPS-CSAT", 1).document["target"]["value"] == "5"
    assert get_version("STORE-NPS-CSAT").document["target"]["value"] == "6"


def test_export_prints_the_document_with_its_version(runner, tmp_path):
    runner.invoke(args=["schemes", "import", str(EXAMPLE)])
    result = runner.invoke(args=["schemes", "export", "STORE-NPS-CSAT", "--version", "1"])
    assert result.exit_code == 0
    exported = json.loads(result.output)
    assert exported.pop("version") == 1
    assert exported == json.loads(EXAMPLE.read_text(encoding="utf-8"))


def test_export_then_import_round_trips(runner, tmp_path):
    runner.invoke(args=["schemes", "import", str(EXAMPLE)])
    exported = runner.invoke(args=["schemes", "export", "STORE-NPS-CSAT"]).output
    result = runner.invoke(args=["schemes", "import", write(tmp_path, json.loads(exported))])
    assert "unchanged" in result.output


def test_a_bad_document_is_refused_with_each_field_named(runner, tmp_path):
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["components"][0]["weight"] = "70"
    data["pay_code"] = ""
    result = runner.invoke(args=["schemes", "import", write(tmp_path, data)])
    assert result.exit_code == 1
    assert "pay_code: required" in result.stderr
    assert "nothing was imported" in result.stderr
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SchemeVersion)) == 0


def test_not_json_and_unknown_schemes_fail_cleanly(runner, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{nope", encoding="utf-8")
    assert runner.invoke(args=["schemes", "import", str(path)]).exit_code == 1
    result = runner.invoke(args=["schemes", "export", "NOPE"])
    assert result.exit_code == 1
    assert "no scheme NOPE" in result.stderr
