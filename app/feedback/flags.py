"""Anomaly flags on survey responses: computed when responses arrive, stored with their evidence, listed for HR
and the store's managers, and turned into exclusions only by HR, in bulk, through the ordinary exclusion rules.

The rules themselves are in anomalies.py (pure). A store's flags for a month are recomputed whole whenever
responses arrive there (a file import, a webhook answer), so recomputing is idempotent.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.core.company import save_setting, saved_setting
from app.extensions import db
from app.feedback import aggregate, anomalies
from app.feedback.exclusions import ExclusionError, exclude_response, reason_text
from app.feedback.kpi import figure_from_ces, figure_from_csat, figure_from_nps
from app.feedback.models import ResponseContact, ResponseFingerprint, ResponseFlag, SurveyResponse
from app.org.models import Store
from app.periods import Period

PHRASES_KEY = "flag_phrases"
HISTORY_MONTHS = 12
SURVEY_KPIS = ("nps", "csat", "ces")
# What a webhook may carry about the respondent's device or address (generic keys, Typeform's metadata).
FINGERPRINT_KEYS = ("device_id", "ip", "ip_address", "network_id")


# --- settings ----------------------------------------------------------------------------------------------


def phrases() -> dict[str, list[str]]:
    """The score-begging phrases per language: HR's saved lists, else the defaults."""
    saved = saved_setting(PHRASES_KEY) or {}
    return {lang: list(saved.get(lang, default)) for lang, default in anomalies.DEFAULT_PHRASES.items()}


def save_phrases(lists: Mapping[str, Iterable[str]]) -> bool:
    """Save HR's phrase lists (one phrase a line); audited, flush only. Flags already stored stay as they are."""
    value = {lang: anomalies.clean_phrases(lists.get(lang, ())) for lang in anomalies.DEFAULT_PHRASES}
    return save_setting(PHRASES_KEY, value, action="flags.phrases", summary="score-begging phrases changed")


def _limits() -> tuple[int, int, int]:
    config = current_app.config
    return (
        int(config.get("PRIMO_FLAG_BURST_COUNT", 8)),
        int(config.get("PRIMO_FLAG_BURST_MINUTES", 10)),
        int(config.get("PRIMO_FLAG_REPEAT_COUNT", 3)),
    )


# --- arrival -----------------------------------------------------------------------------------------------


def fingerprint_of(payload: Mapping[str, Any]) -> str | None:
    """A keyed hash of the device id or address a webhook payload names (generic keys or Typeform metadata).

    Keyed with the app's secret so that a stored hash cannot be turned back into an address by trying them all.
    """
    metadata = payload.get("metadata")
    form = payload.get("form_response")
    if not isinstance(metadata, Mapping) and isinstance(form, Mapping):
        metadata = form.get("metadata")
    places = [m for m in (metadata, payload) if isinstance(m, Mapping)]
    for key in FINGERPRINT_KEYS:
        for place in places:
            value = place.get(key)
            if isinstance(value, str | int) and str(value).strip():
                secret = str(current_app.config["SECRET_KEY"]).encode()
                text = f"{key}:{str(value).strip().lower()}".encode()
                return hmac.new(secret, text, hashlib.sha256).hexdigest()
    return None


def after_webhook(response_id: int, payload: Mapping[str, Any]) -> None:
    """Keep the device fingerprint of a response that just arrived, then recompute its store's month (flush)."""
    response = db.session.get(SurveyResponse, response_id)
    if response is None:
        return
    fingerprint = fingerprint_of(payload)
    if fingerprint:
        db.session.merge(ResponseFingerprint(response_id=response_id, fingerprint=fingerprint))
        db.session.flush()
    recompute([(response.store_id, response.local_month)])


def months_between(first: date | None, last: date | None) -> list[int]:
    """The yyyymm keys of the months from `first` to `last`."""
    if first is None or last is None:
        return []
    months = []
    month = Period.containing(first, "month")
    while month.start <= last:
        months.append(month.month_key)
        month = month.shifted(1)
    return months


def after_import(store_ids: Iterable[int], first: date | None, last: date | None) -> int:
    """Recompute the flags of the stores and months an import touched (flush only); the number of flags."""
    months = months_between(first, last)
    return recompute([(store_id, month) for store_id in store_ids for month in months])


def after_undo() -> int:
    """Recompute the store-months of flags that name responses no longer stored (an import undone); flush only."""
    listed = db.session.execute(sa.select(ResponseFlag.store_id, ResponseFlag.month, ResponseFlag.response_ids)).all()
    ids = {i for row in listed for i in row.response_ids}
    if not ids:
        return 0
    kept = set(db.session.scalars(sa.select(SurveyResponse.id).where(SurveyResponse.id.in_(ids))))
    stale = {(row.store_id, row.month) for row in listed if not set(row.response_ids) <= kept}
    return recompute(stale) if stale else 0


def _shift(month: int, step: int) -> int:
    return Period.from_month_key(month).shifted(step).month_key


@lru_cache(maxsize=512)
def _history(month: int) -> tuple[int, ...]:
    """The yyyymm keys of the HISTORY_MONTHS months before `month` (asked for every store-month of an import)."""
    return tuple(_shift(month, -step) for step in range(1, HISTORY_MONTHS + 1))


def _epoch() -> sa.ColumnElement[int]:
    """A response's instant in whole seconds since 1970 (UTC), on either database."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.cast(sa.func.floor(sa.extract("epoch", SurveyResponse.answered_at)), sa.BigInteger)
    return sa.cast(sa.func.strftime("%s", SurveyResponse.answered_at), sa.BigInteger)


def _in(store_ids: set[int], low: int, high: int) -> sa.ColumnElement[bool]:
    return sa.and_(SurveyResponse.store_id.in_(store_ids), SurveyResponse.local_month.between(low, high))


def _burst_answers(
    store_ids: set[int], low: int, high: int, count: int, minutes: int
) -> dict[tuple[int, int], list[anomalies.Answer]]:
    """The answers that may belong to a burst, found by the database rather than by loading every answer.

    Time is cut into buckets of `minutes`: a window of that length overlaps two buckets at most, so one of them
    holds at least half its answers. One GROUP BY finds those buckets; only the answers of such a bucket and its
    two neighbours are loaded, and the exact rule runs on them.
    """
    width = minutes * 60
    epoch = _epoch()
    bucket = (epoch // sa.literal_column(str(width))).label("bucket")
    query = (
        sa.select(SurveyResponse.store_id, bucket)
        .where(_in(store_ids, low, high))
        .group_by(SurveyResponse.store_id, bucket)
        .having(sa.func.count() >= (count + 1) // 2)
    )
    ranges = {
        (store_id, (int(number) - 1) * width, (int(number) + 2) * width)
        for store_id, number in db.session.execute(query)
    }
    found: dict[tuple[int, int], dict[int, anomalies.Answer]] = defaultdict(dict)
    for store_id, start, end in sorted(ranges):
        rows = db.session.execute(
            sa.select(SurveyResponse.id, SurveyResponse.local_month, SurveyResponse.answered_at).where(
                _in({store_id}, low, high), epoch >= start, epoch < end
            )
        )
        for row in rows:
            found[(store_id, row.local_month)][row.id] = anomalies.Answer(row.id, row.answered_at)
    return {key: list(answers.values()) for key, answers in found.items()}


def _telling_answers(
    store_ids: set[int], low: int, high: int
) -> Iterator[tuple[tuple[int, int], list[anomalies.Answer]]]:
    """The answers with a comment, a contact or a device fingerprint (what the other rules read), one store-month at
    a time in (store, month) order: streamed, so that memory holds one store-month however large the import."""
    query = (
        sa.select(
            SurveyResponse.id,
            SurveyResponse.store_id,
            SurveyResponse.local_month,
            SurveyResponse.comment,
            ResponseContact.customer_contact,
            ResponseFingerprint.fingerprint,
        )
        .outerjoin(ResponseContact, ResponseContact.response_id == SurveyResponse.id)
        .outerjoin(ResponseFingerprint, ResponseFingerprint.response_id == SurveyResponse.id)
        .where(
            _in(store_ids, low, high),
            sa.or_(
                sa.and_(SurveyResponse.comment.is_not(None), SurveyResponse.comment != ""),
                ResponseContact.customer_contact.is_not(None),
                ResponseFingerprint.fingerprint.is_not(None),
            ),
        )
        .order_by(SurveyResponse.store_id, SurveyResponse.local_month)
    )
    # Plain rows through the session's connection (in its transaction): an import reads back up to every row it
    # wrote, and the ORM's result handling would cost more than the rules themselves.
    rows = db.session.connection().execute(query, execution_options={"yield_per": 5000})  # this statement only
    try:
        yield from _grouped(rows)
    finally:
        rows.close()


def _grouped(rows: Iterable[Any]) -> Iterator[tuple[tuple[int, int], list[anomalies.Answer]]]:
    """(id, store, month, comment, contact, fingerprint) rows in (store, month) order as one list of answers per
    store-month; these rules do not read the time of an answer."""
    key, answers = None, []
    for response_id, store_id, month, comment, contact, fingerprint in rows:
        if (store_id, month) != key:
            if answers:
                yield key, answers
            key, answers = (store_id, month), []
        contact = "".join(contact.lower().split()) or None if contact else None
        answers.append(anomalies.Answer(response_id, None, None, comment, contact, fingerprint))
    if answers:
        yield key, answers


def _silent() -> sa.ColumnElement[bool]:
    return sa.and_(SurveyResponse.nps == 10, sa.func.coalesce(sa.func.trim(SurveyResponse.comment), "") == "")


def _counted_nps() -> sa.ColumnElement[bool]:
    return sa.and_(SurveyResponse.excluded.is_(False), SurveyResponse.nps.is_not(None))


def _silent_ten_counts(store_ids: set[int], low: int, high: int) -> dict[tuple[int, int], tuple[int, int]]:
    """Counted NPS answers and 10s without comment per store and month."""
    r = SurveyResponse
    rows = db.session.execute(
        sa.select(r.store_id, r.local_month, sa.func.count(), sa.func.sum(sa.case((_silent(), 1), else_=0)))
        .where(_in(store_ids, low, high), _counted_nps())
        .group_by(r.store_id, r.local_month)
    )
    return {(row[0], row[1]): (int(row[2]), int(row[3] or 0)) for row in rows}


def _silent_tens(store_id: int, month: int, counts: dict[tuple[int, int], tuple[int, int]]) -> list[anomalies.Finding]:
    answers, silent = counts.get((store_id, month), (0, 0))
    past = [counts.get((store_id, earlier), (0, 0)) for earlier in _history(month)]
    history_answers, history_silent = sum(n for n, _k in past), sum(k for _n, k in past)
    if not anomalies.silent_tens_unusual(answers, silent, history_answers, history_silent):
        return []  # the usual case: no need to load the month's silent 10s
    ids = list(
        db.session.scalars(sa.select(SurveyResponse.id).where(_in({store_id}, month, month), _counted_nps(), _silent()))
    )
    return anomalies.silent_tens(answers, ids, history_answers, history_silent)


def recompute(pairs: Iterable[tuple[int, int]]) -> int:
    """Compute again every flag of these (store id, yyyymm month) pairs, replacing those stored (flush only)."""
    chosen = sorted(set(pairs))
    if not chosen:
        return 0
    store_ids = {s for s, _m in chosen}
    low, high = min(m for _s, m in chosen), max(m for _s, m in chosen)
    count, minutes, repeats = _limits()
    lists = phrases()
    burst_answers = _burst_answers(store_ids, low, high, count, minutes)
    counts = _silent_ten_counts(store_ids, _shift(low, -HISTORY_MONTHS), high)
    _forget(chosen)
    findings: list[tuple[int, int, anomalies.Finding]] = []
    # The streamed answers come in (store, month) order, as `chosen` is sorted; a pair without any gets none.
    stream = _telling_answers(store_ids, low, high)
    try:
        pending = next(stream, None)
        for key in chosen:
            while pending is not None and pending[0] < key:
                pending = next(stream, None)
            telling = pending[1] if pending is not None and pending[0] == key else []
            store_id, month = key
            found = (
                anomalies.bursts(burst_answers.get(key, []), count, minutes)
                + anomalies.repeated(telling, repeats)
                + _silent_tens(store_id, month, counts)
                + anomalies.score_begging(telling, lists)
            )
            findings += [(store_id, month, finding) for finding in found]
    finally:
        stream.close()
    for store_id, month, finding in findings:
        evidence = dict(finding.evidence, month=str(Period.from_month_key(month)))
        db.session.add(
            ResponseFlag(
                rule=finding.rule,
                store_id=store_id,
                month=month,
                response_ids=list(finding.response_ids),
                evidence=evidence,
            )
        )
    db.session.flush()
    return len(findings)


def _forget(pairs: list[tuple[int, int]]) -> None:
    """Delete the stored flags of these store-months: one statement per set of months, so one for an import."""
    by_store: dict[int, list[int]] = defaultdict(list)
    for store_id, month in pairs:
        by_store[store_id].append(month)
    by_months: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for store_id, months in by_store.items():
        by_months[tuple(months)].append(store_id)
    for months, stores in by_months.items():
        db.session.execute(
            sa.delete(ResponseFlag).where(ResponseFlag.store_id.in_(stores), ResponseFlag.month.in_(months))
        )


# --- reading -----------------------------------------------------------------------------------------------


def flags_for(period: Period, store_ids: Iterable[int] | None = None) -> list[ResponseFlag]:
    """The flags of a period's months (of all stores, or of these), by store, month and rule."""
    low, high = aggregate.month_range(period)
    query = (
        sa.select(ResponseFlag)
        .join(Store, Store.id == ResponseFlag.store_id)
        .where(ResponseFlag.month.between(low, high))
        .order_by(Store.code, ResponseFlag.month, ResponseFlag.rule, ResponseFlag.id)
    )
    if store_ids is not None:
        query = query.where(ResponseFlag.store_id.in_(set(store_ids) or {-1}))
    return list(db.session.scalars(query))


def as_json(flag: ResponseFlag) -> dict[str, Any]:
    """A flag as `flask feedback flags --json` prints it."""
    return {
        "rule": flag.rule,
        "store": flag.store.code,
        "response_ids": list(flag.response_ids),
        "evidence": flag.evidence,
    }


def still_counted(flag_list: Iterable[ResponseFlag]) -> set[int]:
    """The flagged responses that are still counted in the KPIs (not excluded, not deleted)."""
    ids = {i for flag in flag_list for i in flag.response_ids}
    if not ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(SurveyResponse.id).where(SurveyResponse.id.in_(ids), SurveyResponse.excluded.is_(False))
        )
    )


# --- bulk exclusion ----------------------------------------------------------------------------------------


class FlagError(ExclusionError):
    """A bulk exclusion that cannot be done; the message is safe to show."""


def exclude_flagged(flag_ids: Iterable[int], code: str, details: str | None = None) -> int:
    """Exclude every still-counted response of these flags, with one reason, each audited (flush only).

    All or nothing: a response of a paid month refuses the whole lot (MonthPaidError), and the caller rolls back.
    """
    reason_text(code, details)  # a bad reason is refused before anything is looked at
    chosen = list(db.session.scalars(sa.select(ResponseFlag).where(ResponseFlag.id.in_(set(flag_ids) or {-1}))))
    if not chosen:
        raise FlagError(_("Choose at least one flag."))
    ids = sorted(still_counted(chosen))
    for response in db.session.scalars(sa.select(SurveyResponse).where(SurveyResponse.id.in_(ids or [-1]))):
        exclude_response(response, code, details)
    return len(ids)


# --- the run's review page ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlagWarning:
    """A store whose KPI would cross a scheme threshold if its flagged responses were excluded."""

    store_code: str
    kpi_code: str
    value: Decimal
    without_flagged: Decimal
    thresholds: tuple[Decimal, ...]
    flagged: int


def _figure(kpi: str, tally: aggregate.Tally) -> Any:
    summary = tally.summary()
    return {"nps": figure_from_nps, "csat": figure_from_csat, "ces": figure_from_ces}[kpi](getattr(summary, kpi))


def run_flag_warnings(document: Any, period: Period) -> list[FlagWarning]:
    """Stores of a scheme whose own survey KPI would cross a threshold of its curve without the flagged responses."""
    from app.incentives.thresholds import DRAWN_MEASURES, admits, thresholds_between

    components = [
        c
        for c in document.components
        if c.kpi_code in SURVEY_KPIS and c.scope == "store" and c.measure in DRAWN_MEASURES
    ]
    if not components:
        return []
    flag_list = flags_for(period)
    flagged_by_store: dict[int, set[int]] = defaultdict(set)
    counted = still_counted(flag_list)
    for flag in flag_list:
        flagged_by_store[flag.store_id] |= set(flag.response_ids) & counted
    flagged_by_store = {s: ids for s, ids in flagged_by_store.items() if ids}
    if not flagged_by_store:
        return []
    stores = {s.id: s for s in db.session.scalars(sa.select(Store).where(Store.id.in_(flagged_by_store)))}
    now = aggregate.tallies_by_store(period, flagged_by_store)
    all_flagged = set().union(*flagged_by_store.values())
    without = aggregate.tallies_by_store(period, flagged_by_store, without=all_flagged)
    warnings = []
    for store_id, ids in sorted(flagged_by_store.items(), key=lambda item: stores[item[0]].code):
        store = stores[store_id]
        if not admits(document, store):
            continue
        for component in components:
            before = _figure(component.kpi_code, now.get(store_id, aggregate.EMPTY))
            after = _figure(component.kpi_code, without.get(store_id, aggregate.EMPTY))
            crossed = thresholds_between(component, before, after)
            if crossed:
                warnings.append(
                    FlagWarning(store.code, component.kpi_code, before.value, after.value, crossed, len(ids))
                )
    return warnings
