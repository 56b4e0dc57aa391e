"""Every role's pages read in French: a crawl of the demo in Chromium finds no English word and no raw code.

Each demo user switches to French on the login page, then the crawl follows the links of the pages it reaches
(navigation first, then the links inside pages, a few of each kind) and reads what a person sees: the page's
rendered text, the buttons' and fields' labels, the placeholders and tooltips. A word is English when it appears in
the English texts of the catalogue and in none of its French translations; a code is a lower-case word with an
underscore or a dot (`sales_associate`, `employee.update`). Names that read the same in both languages (NPS, PDF,
Excel) appear in the French translations and so are never flagged.
"""

from __future__ import annotations

import re
from collections import deque
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from babel.messages.pofile import read_po
from flask import Flask

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "primo-demo"
PO = Path(__file__).parents[2] / "app" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿœŒ]+(?:['’][A-Za-zÀ-ÖØ-öø-ÿ]+)?")
CODE = re.compile(r"(?<![\w@./-])[a-z]+(?:[_.][a-z]+)+(?![\w@/-])")
EMAIL_OR_URL = re.compile(r"\S+@\S+|https?://\S+|\b[\w-]+\.(?:com|fr|org|pdf|xlsx|csv|json)\b")
# Pages a person reads; downloads, state changes on links and the live feeds are not followed.
SKIPPED = re.compile(r"\.(pdf|xlsx|csv|json|svg|png)$|/download|/export|logout|/static/|/api/|template")
PAGES_PER_ROLE = 80  # HR's home links to the pages that need HR: enough budget to reach every page behind them too
LINKS_PER_PREFIX = 2  # /runs/1 and /runs/2 show the same texts: two of each are enough

# What the JavaScript-free browser shows besides the body's text.
VISIBLE_TEXT = """() => {
  // Names, comments, identifiers and file formats are not translated: pages mark them translate="no".
  for (const el of document.querySelectorAll('[translate="no"]')) el.remove();
  // A text marked as written in another language (each language's name, in itself) is that language's.
  for (const el of document.querySelectorAll('body [lang]')) {
    if (el.lang !== document.documentElement.lang) el.remove();
  }
  const parts = [document.title, document.body.innerText];
  for (const el of document.querySelectorAll('[placeholder], [title], [aria-label], input[type=submit]')) {
    for (const name of ['placeholder', 'title', 'aria-label', 'value']) {
      if (name === 'value' && el.type !== 'submit') continue;
      const value = el.getAttribute(name);
      if (value) parts.push(value);
    }
  }
  for (const option of document.querySelectorAll('option')) parts.push(option.textContent);
  return parts.join('\\n');
}"""


def _words(text: str) -> set[str]:
    """The words of `text`, lower-cased; an elided word counts whole and without its article ("d'adoption")."""
    words = {w.lower() for w in WORD.findall(text) if len(w) >= 3}
    return words | {w.replace("’", "'").split("'", 1)[-1] for w in words if "'" in w or "’" in w}


def _vocabulary() -> set[str]:
    """The words of the catalogue's English texts that none of its French texts uses."""
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    english: set[str] = set()
    french: set[str] = set()
    for message in catalog:
        if not message.id:
            continue
        ids = (message.id,) if isinstance(message.id, str) else message.id
        strings = (message.string,) if isinstance(message.string, str) else message.string
        for text in ids:
            english |= _words(re.sub(r"%\(\w+\)[sd]|\{\w+\}|<[^>]+>", " ", text))
        for text in strings:
            french |= _words(re.sub(r"%\(\w+\)[sd]|\{\w+\}|<[^>]+>", " ", text))
    return english - french


def _findings(text: str, english: set[str]) -> list[str]:
    """The English words and the codes in `text`, sorted."""
    text = EMAIL_OR_URL.sub(" ", text)
    found = sorted({w for w in WORD.findall(text) if len(w) >= 3 and w.lower() in english})
    return found + sorted(set(CODE.findall(text)))


def _in_context(text: str, found: list[str]) -> list[str]:
    """Each finding with the line it is on, so that a failure says where to look."""
    lines = EMAIL_OR_URL.sub(" ", text).splitlines()
    return [f"{word} «{next((line.strip()[:80] for line in lines if word in line), '')}»" for word in found]


def _same_site_links(page, base_url: str) -> list[str]:
    hrefs = page.locator("a[href]").evaluate_all("links => links.map(a => a.href)")
    links = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != base_url or SKIPPED.search(parts.path):
            continue
        links.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return links


def _prefix(path: str) -> str:
    """A link's kind: its path with the numbers folded (/runs/3/review → /runs/#/review)."""
    return re.sub(r"\d+", "#", path)


def _crawl(page, base_url: str, english: set[str], company: str) -> dict[str, list[str]]:
    """Visit the pages reachable from the home page; the English words and codes found on each (the company's
    name, in every page's title, is the company's to choose)."""
    queue: deque[str] = deque(["/"])
    seen: set[str] = {"/"}
    kinds: dict[str, int] = {}
    problems: dict[str, list[str]] = {}
    visited = 0
    while queue and visited < PAGES_PER_ROLE:
        path = queue.popleft()
        try:
            response = page.goto(base_url + path)
        except Exception:  # a download the link did not announce
            continue
        if response is None or response.status >= 400 or "text/html" not in response.headers.get("content-type", ""):
            continue
        visited += 1
        assert page.locator("html").get_attribute("lang") == "fr", path
        links = _same_site_links(page, base_url)
        text = page.evaluate(VISIBLE_TEXT).replace(company, "")  # after the links: it takes parts out of the page
        found = _findings(text, english)
        if found:
            problems[path] = _in_context(text, found)
        for link in links:
            kind = _prefix(link)
            if link in seen or kinds.get(kind, 0) >= LINKS_PER_PREFIX:
                continue
            seen.add(link)
            kinds[kind] = kinds.get(kind, 0) + 1
            queue.append(link)
    assert visited >= 5, f"the crawl reached only {visited} pages"
    return problems


@pytest.fixture
def seeded_in_french(app: Flask, monkeypatch: pytest.MonkeyPatch, seed_demo) -> None:
    """The demo company of a French employer: what the system writes by itself (badge reasons) is in French."""
    monkeypatch.setitem(app.config, "PRIMO_DEFAULT_LANGUAGE", "fr")
    result = seed_demo()
    assert result.exit_code == 0, result.output + repr(result.exception)


@pytest.mark.parametrize(
    "email",
    ["hr@example.com", "manager@example.com", "employee@example.com", "payroll@example.com"],
)
def test_every_page_of_the_walkthrough_is_in_french(app, live_server, seeded_in_french, page, email):
    page.goto(f"{live_server}/login")
    if page.locator('[data-test="language-switch"] button[value="fr"]').count():
        with page.expect_navigation():
            page.click('[data-test="language-switch"] button[value="fr"]')
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', DEMO_PASSWORD)
    with page.expect_navigation():
        page.click('form:has(input[name="password"]) button[type="submit"]')

    problems = _crawl(page, live_server, _vocabulary(), app.config["PRIMO_COMPANY_NAME"])
    assert problems == {}, "\n".join(f"{path}: {' · '.join(words)}" for path, words in problems.items())


def test_the_walkthrough_would_see_an_english_word_and_a_code():
    english = _vocabulary()
    assert _findings("Montant versé : 290,63 €", english) == []
    assert "Approved" in _findings("Statut : Approved", english)
    found = _findings("Poste : sales_associate, action employee.update", english)
    assert {"employee.update", "sales_associate"} <= set(found)
    assert _findings("écrivez à hr@example.com ou voyez bilan.pdf", english) == []
