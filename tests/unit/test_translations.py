"""The French catalogue is complete and keeps every placeholder of the English text."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

PO = Path(__file__).parents[2] / "app" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%")


def _catalog():
    with PO.open("rb") as handle:
        return read_po(handle)


def test_every_message_has_a_french_translation():
    missing = [m.id for m in _catalog() if m.id and not m.string]
    assert missing == []


def test_no_translation_is_fuzzy():
    assert [m.id for m in _catalog() if m.id and m.fuzzy] == []


def _forms(text: str | tuple[str, ...]) -> tuple[str, ...]:
    return (text,) if isinstance(text, str) else tuple(text)


def test_translations_keep_the_placeholders():
    for message in _catalog():
        if message.id and message.string:
            wanted = sorted(PLACEHOLDER.findall(_forms(message.id)[-1]))
            for form in _forms(message.string):
                assert sorted(PLACEHOLDER.findall(form)) == wanted, message.id


def test_french_puts_a_space_before_a_colon_or_question_mark():
    tight = []
    for message in _catalog():
        if not message.id or not message.string:
            continue
        for form in _forms(message.string):
            form = form.replace("Authorization: Bearer", "")  # an HTTP header, written as HTTP has it
            if re.search(r"[^\s\u00a0\u202f%(][:;?!](\s|$)", form):
                tight.append(form)
    assert tight == []


def test_french_addresses_the_reader_as_vous():
    familiar = re.compile(r"\b(tu|toi|ton|ta|tes|t’|t')\b", re.IGNORECASE)
    found = [form for m in _catalog() if m.id and m.string for form in _forms(m.string) if familiar.search(form)]
    assert found == []


def test_templates_let_the_language_set_the_colon_after_a_label():
    """`{{ _('Total') }}:` is "Total:" in French too; `{{ fmt.colon() }}` gives "Total :"."""
    templates = Path(__file__).parents[2] / "app" / "templates"
    tight = [str(p) for p in templates.rglob("*.html") if re.search(r"\) \}\}[:;]", p.read_text())]
    assert tight == []


def test_every_audit_action_written_has_a_label():
    from app.core.labels import AUDIT_ACTIONS, AUDIT_OBJECTS

    app_dir = Path(__file__).parents[2] / "app"
    written = re.compile(r"record\(\s*\"([a-z_]+\.[a-z_]+)\",\s*\"([a-z_]+)\"")
    actions, objects = set(), set()
    for source in app_dir.rglob("*.py"):
        for action, object_type in written.findall(source.read_text()):
            actions.add(action)
            objects.add(object_type)
    assert len(actions) > 40
    assert sorted(actions - AUDIT_ACTIONS.keys()) == []
    assert sorted(objects - AUDIT_OBJECTS.keys()) == []


def _import_checks() -> list[Path]:
    """The modules whose checks say what is wrong with an imported file's rows, columns or cells."""
    app_dir = Path(__file__).parents[2] / "app"
    return [p for p in sorted(app_dir.rglob("*.py")) if re.search(r"\b(RowError|CellError)\(", p.read_text())]


def test_import_problems_are_never_fixed_english_text():
    """A row, column or cell problem is built from a translatable message, never from a literal or an f-string."""
    import ast

    fixed = []
    for path in _import_checks():
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) in {"RowError", "CellError"}):
                continue
            position = 2 if node.func.id == "RowError" else 0  # type: ignore[attr-defined]
            message = node.args[position] if len(node.args) > position else None
            message = next((k.value for k in node.keywords if k.arg == "message"), message)
            if isinstance(message, ast.JoinedStr) or (isinstance(message, ast.Constant) and message.value):
                fixed.append(f"{path.name}:{node.lineno}")
    assert len(_import_checks()) >= 10
    assert fixed == []


def test_every_import_problem_has_a_french_translation():
    from babel.messages.extract import extract_from_file

    keywords = {"_l": None, "_": None, "gettext": None}
    catalog = _catalog()
    found, untranslated = set(), []
    for path in _import_checks():
        for _line, message, _comments, _context in extract_from_file("python", str(path), keywords=keywords):
            found.add(message)
            if message not in catalog or not catalog[message].string:
                untranslated.append(message)
    assert {"required", "column missing from the header", "unknown store %(code)s"} <= found
    assert untranslated == []
