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
