"""The points ledger in the database: an employee's entries, appending postings, summaries, expiry and imports."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from app.audit.services import current_actor, record
from app.core import clock, memo
from app.core.tabular import CellError, ImportRejected, RowError, Table, missing_columns, parse_date
from app.core.tabular import lazy_text as _l
from app.extensions import db
from app.org.models import Employee
from app.recognition.account import (
    Leaving,
    Posting,
    account_summary,
    expiry_notices,
    plan_earn,
    plan_expiries,
)
from app.recognition.ledger import Entry, ExpiringPoints, Summary
from app.recognition.models import PointsEntry
from app.recognition.row_locks import lock_employees
from app.recognition.settings import RecognitionSettings, load_settings

IMPORT_COLUMNS = ("employee_number", "points", "earned_on", "reason")
REASON_MAX = 500


class PointsError(ValueError):
    """A points operation that cannot be done; the message says why."""


def entries_of(employee_id: int) -> list[Entry]:
    """Return every ledger entry of an employee, oldest first (read once per transaction: a page's balance, expiry
    notice and home card all ask)."""
    return list(memo.remembered(("points entries", employee_id), lambda: _read_entries(employee_id)))


def _read_entries(employee_id: int) -> tuple[Entry, ...]:
    rows = db.session.execute(
        sa.select(
            PointsEntry.id,
            PointsEntry.kind,
            PointsEntry.points,
            PointsEntry.on_date,
            PointsEntry.batch_id,
            PointsEntry.ref,
        )
        .where(PointsEntry.employee_id == employee_id)
        .order_by(PointsEntry.on_date, PointsEntry.id)
    )
    return tuple(Entry(r.id, r.kind, r.points, r.on_date, batch_id=r.batch_id, ref=r.ref) for r in rows)


def leaving_of(employee: Employee, settings: RecognitionSettings) -> Leaving:
    return Leaving(exit_date=employee.exit_date, forfeit=settings.forfeit_on_exit)


def summary_of(
    employee: Employee,
    as_of: date | None = None,
    settings: RecognitionSettings | None = None,
    entries: list[Entry] | None = None,
) -> Summary:
    """Return an employee's balance, held, lifetime, tier and upcoming expiries as of a date (default today)."""
    settings = settings or load_settings()
    return account_summary(
        entries_of(employee.id) if entries is None else entries,
        as_of or clock.today(),
        settings.expiry_months,
        settings.tier_list,
        leaving_of(employee, settings),
    )


def notices_of(
    employee: Employee,
    as_of: date | None = None,
    settings: RecognitionSettings | None = None,
    entries: list[Entry] | None = None,
) -> list[ExpiringPoints]:
    """Return the points of an employee that expire within 30 days."""
    settings = settings or load_settings()
    return expiry_notices(
        entries_of(employee.id) if entries is None else entries,
        as_of or clock.today(),
        settings.expiry_months,
        leaving_of(employee, settings),
    )


def append(
    employee_id: int,
    postings: Sequence[Posting],
    *,
    note: str = "",
    award_id: int | None = None,
    grant_id: int | None = None,
    redemption_id: int | None = None,
    store_id: int | None = None,
    import_key: str | None = None,
    rule_id: int | None = None,
    event: str | None = None,
    challenge_id: int | None = None,
    flush: bool = True,
) -> list[PointsEntry]:
    """Add postings to an employee's ledger (flushed, not committed); the caller holds the employee's lock."""
    _actor_id, actor = current_actor()
    rows = [
        PointsEntry(
            employee_id=employee_id,
            kind=posting.kind,
            points=posting.points,
            on_date=posting.on,
            batch_id=posting.batch_id,
            ref=posting.ref,
            note=note[:REASON_MAX],
            award_id=award_id,
            grant_id=grant_id,
            redemption_id=redemption_id,
            store_id=store_id,
            import_key=import_key,
            rule_id=rule_id,
            event=event,
            challenge_id=challenge_id,
            created_by=actor,
        )
        for posting in postings
    ]
    db.session.add_all(rows)
    if flush:
        db.session.flush()
    return rows


def earn(employee_id: int, points: int, on: date, **links: object) -> PointsEntry:
    """Credit points earned on a date (a new batch)."""
    return append(employee_id, plan_earn(points, on), **links)[0]  # type: ignore[arg-type]


# --- expiry ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpiryRun:
    employees: int
    entries: int
    points: int


def expire_points(as_of: date | None = None) -> ExpiryRun:
    """Write every expiry due by `as_of` (default today), dated when the points went; leavers per the policy.

    Idempotent: what was written before is not written again.
    """
    settings = load_settings()
    as_of = as_of or clock.today()
    if as_of > clock.today():
        raise PointsError(_("cannot expire points as of %(day)s: that day has not come yet", day=as_of.isoformat()))
    employee_ids = list(db.session.scalars(sa.select(PointsEntry.employee_id).distinct().order_by("employee_id")))
    touched = written = points = 0
    for employee_id in employee_ids:
        lock_employees([employee_id])
        employee = db.session.get(Employee, employee_id)
        assert employee is not None
        postings = plan_expiries(entries_of(employee_id), as_of, settings.expiry_months, leaving_of(employee, settings))
        if not postings:
            continue
        forfeited = employee.exit_date is not None and any(p.on >= employee.exit_date for p in postings)
        append(employee_id, postings, note="forfeited on leaving" if forfeited else "expired")
        touched += 1
        written += len(postings)
        points -= sum(p.points for p in postings)
    if written:
        record(
            "points.expire",
            "points",
            as_of.isoformat(),
            summary=f"{points} points expired for {touched} employees as of {as_of.isoformat()}",
            after={"employees": touched, "entries": written, "points": points},
        )
    return ExpiryRun(touched, written, points)


# --- opening balances -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    imported: int
    already: int
    points: int


def import_key(number: str, points: int, earned_on: date, reason: str, occurrence: int) -> str:
    """Identify a row of an opening-balance file, so that the same file imported again adds nothing."""
    text = "\x1f".join([number, str(points), earned_on.isoformat(), reason, str(occurrence)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


EMPTY = _l("empty")


def import_opening_balances(table: Table, as_of: date | None = None) -> ImportResult:
    """Credit the rows of an `employee_number,points,earned_on,reason` file, all or nothing.

    Raises ImportRejected naming every bad row; rows already imported (same content, same occurrence) are skipped.
    """
    as_of = as_of or clock.today()
    errors: list[RowError] = list(missing_columns(table, IMPORT_COLUMNS))
    if errors:
        raise ImportRejected(errors)
    numbers = {cells.get("employee_number", "") for _row, cells in table.rows}
    employees = {
        e.number: e for e in db.session.scalars(sa.select(Employee).where(Employee.number.in_(numbers or {""})))
    }
    seen: Counter[tuple[str, int, date, str]] = Counter()
    planned: list[tuple[Employee, int, date, str, str]] = []
    for row, cells in table.rows:
        number = cells.get("employee_number", "")
        employee = employees.get(number)
        if not number:
            errors.append(RowError(row, "employee_number", EMPTY))
        elif employee is None:
            errors.append(RowError(row, "employee_number", _l("no employee %(number)s", number=repr(number))))
        raw_points = cells.get("points", "")
        points = int(raw_points) if raw_points.isdigit() else 0
        if points <= 0:
            errors.append(RowError(row, "points", _l("%(text)s is not a positive whole number", text=repr(raw_points))))
        earned_on = None
        try:
            earned_on = parse_date(cells.get("earned_on", ""))
        except CellError as exc:
            errors.append(RowError(row, "earned_on", exc.message))
        if earned_on is not None and earned_on > as_of:
            errors.append(RowError(row, "earned_on", _l("%(day)s is in the future", day=earned_on.isoformat())))
            earned_on = None
        reason = cells.get("reason", "").strip()
        if not reason:
            errors.append(RowError(row, "reason", EMPTY))
        elif len(reason) > REASON_MAX:
            errors.append(RowError(row, "reason", _l("longer than %(n)d characters", n=REASON_MAX)))
        if employee is None or points <= 0 or earned_on is None or not reason or len(reason) > REASON_MAX:
            continue
        seen[(number, points, earned_on, reason)] += 1
        key = import_key(number, points, earned_on, reason, seen[(number, points, earned_on, reason)])
        planned.append((employee, points, earned_on, reason, key))
    if errors:
        raise ImportRejected(errors)
    keys = [key for *_rest, key in planned]
    existing = set(db.session.scalars(sa.select(PointsEntry.import_key).where(PointsEntry.import_key.in_(keys))))
    imported = total = 0
    for employee, points, earned_on, reason, key in planned:
        if key in existing:
            continue
        append(employee.id, plan_earn(points, earned_on), note=reason, import_key=key)
        imported += 1
        total += points
    if imported:
        record(
            "points.import",
            "points",
            "opening-balances",
            summary=f"{imported} opening balances imported ({total} points)",
            after={"rows": imported, "points": total},
        )
    return ImportResult(imported, len(planned) - imported, total)
