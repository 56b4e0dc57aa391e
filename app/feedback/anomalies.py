"""Signs of gaming among one store's survey responses of a month: the rules and their evidence.

Pure: no Flask, no database. Each rule takes plain facts and returns findings (the responses concerned and the
evidence a person needs to judge them); nothing here decides to exclude anything.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from app.feedback.kpi import percent_of

RULES = ("burst", "same_contact", "same_device", "silent_tens", "score_begging")

# Phrases that say the customer was asked for a good score; HR edits them per language.
DEFAULT_PHRASES: dict[str, tuple[str, ...]] = {
    "fr": (
        "demandé de mettre",
        "demande de mettre",
        "demandé un 10",
        "demandé une bonne note",
        "demandé de bien noter",
        "mettre un 10",
        "mettre 10",
        "bonne note",
        "noter 10",
        "pour sa prime",
        "pour leur prime",
    ),
    "en": (
        "asked me to give",
        "asked me to rate",
        "asked for a 10",
        "asked for a good",
        "give a 10",
        "give them a 10",
        "good score",
        "good rating",
        "for their bonus",
        "for his bonus",
        "for her bonus",
    ),
}
# The share of silent 10s must exceed the store's habit by at least this much (percentage points), and by three
# standard errors of the month's share, before it is flagged; with too few answers nothing is said.
SILENT_TENS_MARGIN = Decimal(20)
SILENT_TENS_MIN_ANSWERS = 10
SILENT_TENS_MIN_HISTORY = 30


@dataclass(frozen=True)
class Answer:
    """What the rules know of one response."""

    id: int
    answered_at: datetime | None  # None where the rule at hand does not read it
    nps: int | None = None
    comment: str | None = None
    contact: str | None = None  # normalised (lower case, no spaces), only when the customer consented
    fingerprint: str | None = None  # a hash of the device or address, from webhook metadata


@dataclass(frozen=True)
class Finding:
    """One flag: the rule, the responses it concerns and the evidence (JSON-ready)."""

    rule: str
    response_ids: tuple[int, ...]
    evidence: dict[str, Any] = field(default_factory=dict)


def bursts(answers: Iterable[Answer], count: int, minutes: int) -> list[Finding]:
    """Runs of at least `count` answers within `minutes` minutes; overlapping runs make one finding."""
    ordered = sorted(answers, key=lambda a: (a.answered_at, a.id))
    if count < 2 or len(ordered) < count:
        return []
    window = timedelta(minutes=minutes)
    spans: list[list[int]] = []  # [first, last] positions of merged bursts
    for last in range(count - 1, len(ordered)):
        first = last - count + 1
        if ordered[last].answered_at - ordered[first].answered_at <= window:
            if spans and first <= spans[-1][1]:
                spans[-1][1] = last
            else:
                spans.append([first, last])
    findings = []
    for first, last in spans:
        chosen = ordered[first : last + 1]
        findings.append(
            Finding(
                "burst",
                tuple(sorted(a.id for a in chosen)),
                {
                    "answers": len(chosen),
                    "first_at": chosen[0].answered_at.isoformat(),
                    "last_at": chosen[-1].answered_at.isoformat(),
                    "rule": f"at least {count} answers within {minutes} minutes",
                },
            )
        )
    return findings


def repeated(answers: Iterable[Answer], count: int) -> list[Finding]:
    """One contact, or one device, answering at least `count` times (the contact itself is never evidence)."""
    findings = []
    for rule, key in (("same_contact", "contact"), ("same_device", "fingerprint")):
        groups: dict[str, list[int]] = defaultdict(list)
        for answer in answers:
            value = getattr(answer, key)
            if value:
                groups[value].append(answer.id)
        for ids in sorted(groups.values(), key=lambda ids: min(ids)):
            if len(ids) >= count:
                findings.append(
                    Finding(rule, tuple(sorted(ids)), {"answers": len(ids), "rule": f"at least {count} answers"})
                )
    return findings


def is_silent_ten(answer: Answer) -> bool:
    return answer.nps == 10 and not (answer.comment or "").strip()


def _share(part: int, whole: int) -> Decimal:
    return percent_of(part, whole, 1)


def silent_tens_unusual(answers: int, silent: int, history_answers: int, history_silent_tens: int) -> bool:
    """Whether a month's share of 10s without comment is far above the store's own habit (its previous months)."""
    if answers < SILENT_TENS_MIN_ANSWERS or history_answers < SILENT_TENS_MIN_HISTORY or not silent:
        return False
    usual = Decimal(history_silent_tens) / Decimal(history_answers)
    now = Decimal(silent) / Decimal(answers)
    # Three standard errors of a share of this month's size, around the store's usual share.
    spread = 3 * (usual * (1 - usual) / answers).sqrt()
    return (now - usual) * 100 >= max(SILENT_TENS_MARGIN, spread * 100)


def silent_tens(
    answers: int, silent_ids: Sequence[int], history_answers: int, history_silent_tens: int
) -> list[Finding]:
    """The month's silent 10s as one finding when their share is unusual (`answers`: the month's NPS answers)."""
    if not silent_tens_unusual(answers, len(silent_ids), history_answers, history_silent_tens):
        return []
    return [
        Finding(
            "silent_tens",
            tuple(sorted(silent_ids)),
            {
                "share": str(_share(len(silent_ids), answers)),
                "answers": answers,
                "usual_share": str(_share(history_silent_tens, history_answers)),
                "usual_answers": history_answers,
                "rule": f"10s without comment at least {SILENT_TENS_MARGIN} points above the store's past months",
            },
        )
    ]


def normalised(text: str) -> str:
    """Lower case, without accents, one kind of apostrophe and single spaces: how comments and phrases compare."""
    text = text.replace("’", "'").replace("`", "'")
    if not text.isascii():
        # Accents come apart under NFKD and go with the other non-ASCII characters, in C rather than letter by letter.
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(text.lower().split())


@lru_cache(maxsize=32)
def _matcher(phrases: tuple[tuple[str, str], ...]) -> tuple[re.Pattern[str], dict[str, tuple[str, str]]]:
    """One pattern for every phrase (longest first), and which language and phrase each normalised form is."""
    found: dict[str, tuple[str, str]] = {}
    for lang, phrase in phrases:
        found.setdefault(normalised(phrase), (lang, phrase))
    alternatives = "|".join(re.escape(p) for p in sorted(found, key=len, reverse=True) if p)
    return re.compile(r"(?<!\w)(" + (alternatives or "(?!)") + r")(?!\w)"), found


def score_begging(answers: Iterable[Answer], phrases: Mapping[str, Iterable[str]]) -> list[Finding]:
    """Comments that contain a phrase of any language's list (one finding for the month, each match as evidence)."""
    pattern, forms = _matcher(tuple((lang, p) for lang, listed in phrases.items() for p in listed if p))
    matches: dict[int, dict[str, str]] = {}
    for answer in answers:
        if not answer.comment:
            continue
        hit = pattern.search(normalised(answer.comment))
        if hit:
            lang, phrase = forms[hit.group(1)]
            matches[answer.id] = {"language": lang, "phrase": phrase}
    if not matches:
        return []
    ids = tuple(sorted(matches))
    return [Finding("score_begging", ids, {"matches": {str(i): matches[i] for i in ids}})]


def clean_phrases(lines: Iterable[str]) -> list[str]:
    """HR's phrases, one a line: trimmed, blank and repeated lines dropped, order kept."""
    kept: list[str] = []
    for line in lines:
        phrase = " ".join(line.split())
        if phrase and normalised(phrase) not in {normalised(p) for p in kept}:
            kept.append(phrase[:100])
    return kept
