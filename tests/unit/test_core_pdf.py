"""The PDF renderer's own parts: the HTML parser it drives keeps its patterns cached."""

from __future__ import annotations

from tinyhtml5 import inputstream, parse

from app.core import pdf  # noqa: F401  (importing the renderer mends the parser's cache)


def test_the_html_parser_builds_each_search_pattern_once():
    parse("<p class='a'>Prime &amp; bonus</p>")
    text_stops = (("&", "<", "\u0000"), False)
    assert text_stops in inputstream.characters_until_regex
    pattern = inputstream.characters_until_regex[text_stops]
    parse("<p>second document</p>")
    assert inputstream.characters_until_regex[text_stops] is pattern
    assert pattern.match("Prime &amp;").group() == "Prime "


def test_the_parser_reads_a_document_the_same_with_the_mended_cache():
    tree = parse('<table><tr><th>KPI</th><td data-x="1">35,0 &lt; 50</td></tr></table>')
    cell = tree.find(".//{http://www.w3.org/1999/xhtml}td")
    assert cell.text == "35,0 < 50" and cell.get("data-x") == "1"
