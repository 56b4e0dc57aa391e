"""Team challenges: a store or region, some days, a goal on a KPI, points per member or a team reward.

A challenge is settled once its last day is over (`flask challenges settle`, daily): its KPI over its days is judged
with the rules a bonus uses (enough answers first, then the measured value; a figure within its margin of the goal
is flagged), and if met each member gets the points pro-rata of the days they were in the team. Settling again
changes nothing: the status moves from running only once, and a unique key pays each member once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from app.audit.services import current_actor, record
from app.core import clock
from app.extensions import db
from app.org.models import Employee, Region, Store
from app.recognition import points
from app.recognition.goals import Verdict, judge, progress
from app.recognition.models import CHALLENGE_KPIS, Challenge, PointsEntry, Reward
from app.recognition.row_locks import lock_employees
from app.recognition.rules import KPI_LABELS, RuleError, parse_decimal
from app.recognition.teams import Figure, measure, store_ids_of, team_shares

MAX_DAYS = 366


class ChallengeError(ValueError):
    """A challenge that cannot be created or settled; `field` names the option or form field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def challenge_dict(challenge: Challenge) -> dict[str, object]:
    """Return a challenge as the command line prints it."""
    return {
        "id": challenge.id,
        "name": challenge.name,
        "store": challenge.store.code if challenge.store else None,
        "region": challenge.region.name if challenge.region else None,
        "kpi": challenge.kpi,
        "goal": challenge.goal,
        "min_answers": challenge.min_answers,
        "from": challenge.starts_on.isoformat(),
        "to": challenge.ends_on.isoformat(),
        "points": challenge.points,
        "reward": challenge.reward.name if challenge.reward else None,
        "status": challenge.status,
        "result": challenge.result,
        "result_n": challenge.result_n,
        "settled_on": challenge.settled_on.isoformat() if challenge.settled_on else None,
    }


def default_name(kpi: str, goal: object, team: str) -> str:
    sign = "≤" if kpi == "ces" else "≥"
    return f"{team}: {KPI_LABELS[kpi]} {sign} {goal}"


def create_challenge(
    *,
    store_code: str | None = None,
    region_name: str | None = None,
    kpi: str,
    goal: str,
    starts_on: date,
    ends_on: date,
    points_per_member: int | None = None,
    reward_id: int | None = None,
    min_answers: int = 30,
    name: str = "",
) -> Challenge:
    """Create a running challenge (audited); raise ChallengeError naming the field at fault."""
    if bool(store_code) == bool(region_name):
        raise ChallengeError(_("name either a store or a region"), "store")
    store = region = None
    if store_code:
        store = db.session.scalar(sa.select(Store).where(Store.code == store_code.strip()))
        if store is None:
            raise ChallengeError(_("no store %(code)s", code=repr(store_code)), "store")
    else:
        region = db.session.scalar(sa.select(Region).where(Region.name == (region_name or "").strip()))
        if region is None:
            raise ChallengeError(_("no region %(name)s", name=repr(region_name)), "region")
    if kpi not in CHALLENGE_KPIS:
        raise ChallengeError(_("the KPI is one of %(kpis)s", kpis=", ".join(CHALLENGE_KPIS)), "kpi")
    try:
        value = parse_decimal(goal, "goal")
    except RuleError as exc:
        raise ChallengeError(str(exc), "goal") from None
    if value is None:
        raise ChallengeError(_("a challenge needs a goal"), "goal")
    if ends_on < starts_on:
        raise ChallengeError(_("the challenge ends before it starts"), "to")
    if (ends_on - starts_on).days >= MAX_DAYS:
        raise ChallengeError(_("a challenge lasts at most %(days)d days", days=MAX_DAYS), "to")
    if points_per_member is not None and points_per_member <= 0:
        raise ChallengeError(_("points must be a positive whole number"), "points")
    reward = None
    if reward_id is not None:
        reward = db.session.get(Reward, reward_id)
        if reward is None or not reward.active:
            raise ChallengeError(_("no such reward in the catalogue"), "reward")
    if points_per_member is None and reward is None:
        raise ChallengeError(_("a challenge rewards points per member or a team reward"), "points")
    if min_answers < 0:
        raise ChallengeError(_("the answers needed cannot be negative"), "min_answers")
    team = store.code if store else region.name  # type: ignore[union-attr]
    challenge = Challenge(
        name=(name.strip() or default_name(kpi, value, team))[:200],
        store_id=store.id if store else None,
        region_id=region.id if region else None,
        kpi=kpi,
        goal=value,
        min_answers=min_answers,
        starts_on=starts_on,
        ends_on=ends_on,
        points=points_per_member,
        reward_id=reward.id if reward else None,
        created_by=current_actor()[1][:254],
    )
    db.session.add(challenge)
    db.session.flush()
    record("challenge.create", "challenge", challenge.id, summary=challenge.name, after=challenge_dict(challenge))
    return challenge


# --- progress -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """Where a challenge stands: its figure so far (or as settled), the bar's percent and the verdict."""

    challenge: Challenge
    figure: Figure
    percent: int
    verdict: Verdict
    days_left: int


def progress_of(challenge: Challenge, today: date | None = None) -> Progress:
    """Measure a challenge from its first day to today (or its last), or read what settlement measured."""
    today = today or clock.today()
    if challenge.status != "running":
        figure = Figure(challenge.result, challenge.result_n or 0, challenge.result_moe)
    else:
        last = min(today, challenge.ends_on)
        figure = (
            measure(challenge.kpi, challenge.store_id, challenge.region_id, challenge.starts_on, last)
            if last >= challenge.starts_on
            else Figure(None, 0, None)
        )
    verdict = judge(challenge.kpi, figure.value, figure.n, figure.moe, challenge.goal, challenge.min_answers)
    return Progress(
        challenge,
        figure,
        progress(challenge.kpi, figure.value, challenge.goal),
        verdict,
        max(0, (challenge.ends_on - today).days + 1) if challenge.status == "running" else 0,
    )


def challenges_of_stores(
    store_ids: set[int] | None, today: date | None = None, settled_days: int = 60
) -> list[Challenge]:
    """Return the challenges of these stores (or all, for None) that run now or ended lately, newest first."""
    today = today or clock.today()
    query = sa.select(Challenge).where(
        Challenge.starts_on <= today,
        sa.or_(Challenge.status == "running", Challenge.ends_on >= today - timedelta(days=settled_days)),
    )
    if store_ids is not None:
        regions = sa.select(Store.region_id).where(Store.id.in_(store_ids or {-1}))
        query = query.where(sa.or_(Challenge.store_id.in_(store_ids or {-1}), Challenge.region_id.in_(regions)))
    return list(db.session.scalars(query.order_by(Challenge.ends_on.desc(), Challenge.id.desc())))


def team_challenges(store_ids: set[int] | None, today: date | None = None) -> list[Progress]:
    """Return the progress of the challenges of these stores (all, for None) that run now or ended lately."""
    today = today or clock.today()
    return [progress_of(challenge, today) for challenge in challenges_of_stores(store_ids, today)]


def employee_store_ids(employee: Employee, on: date) -> set[int]:
    """Return the stores an employee works in on a day."""
    return {a.store_id for a in employee.assignments if a.start_date <= on and (a.end_date is None or a.end_date >= on)}


def all_challenges() -> list[Challenge]:
    return list(db.session.scalars(sa.select(Challenge).order_by(Challenge.ends_on.desc(), Challenge.id.desc())))


# --- settlement -----------------------------------------------------------------------------------------------------


@dataclass
class Settlement:
    """What `settle` did: challenges met and missed, and the points it paid."""

    met: list[Challenge] = field(default_factory=list)
    missed: list[Challenge] = field(default_factory=list)
    points: int = 0


def settle(as_of: date | None = None) -> Settlement:
    """Settle every running challenge whose last day is before `as_of` (default today); idempotent."""
    as_of = as_of or clock.today()
    if as_of > clock.today():
        message = _("cannot settle as of %(day)s: that day has not come yet", day=as_of.isoformat())
        raise ChallengeError(message, "as_of")
    result = Settlement()
    due = db.session.scalars(
        sa.select(Challenge.id).where(Challenge.status == "running", Challenge.ends_on < as_of).order_by(Challenge.id)
    ).all()
    for challenge_id in due:
        challenge = db.session.get(Challenge, challenge_id)
        assert challenge is not None
        figure = measure(challenge.kpi, challenge.store_id, challenge.region_id, challenge.starts_on, challenge.ends_on)
        verdict = judge(challenge.kpi, figure.value, figure.n, figure.moe, challenge.goal, challenge.min_answers)
        status = "met" if verdict.met else "missed"
        # Only one settler moves a challenge off "running": a concurrent one finds nothing to update and moves on.
        claimed = db.session.execute(
            sa.update(Challenge)
            .where(Challenge.id == challenge.id, Challenge.status == "running")
            .values(status=status, result=figure.value, result_n=figure.n, result_moe=figure.moe, settled_on=as_of)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            continue
        db.session.refresh(challenge)
        paid = 0
        if verdict.met and challenge.points:
            shares = team_shares(
                store_ids_of(challenge.store_id, challenge.region_id),
                challenge.starts_on,
                challenge.ends_on,
                challenge.points,
            )
            lock_employees(share.employee_id for share in shares)
            for share in shares:
                points.earn(
                    share.employee_id,
                    share.points,
                    as_of,
                    note=f"challenge {challenge.id}: {challenge.name}",
                    store_id=share.store_id,
                    challenge_id=challenge.id,
                )
                paid += share.points
        (result.met if verdict.met else result.missed).append(challenge)
        result.points += paid
        record(
            "challenge.settle",
            "challenge",
            challenge.id,
            summary=f"{challenge.name}: {status} ({verdict.reason}), {paid} points paid",
            before={"status": "running"},
            after={"status": status, "result": figure.value, "n": figure.n, "moe": figure.moe, "points": paid},
        )
    return result


def points_paid(challenge: Challenge) -> int:
    """Return the points a settled challenge paid its team."""
    return int(
        db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(PointsEntry.points), 0)).where(
                PointsEntry.challenge_id == challenge.id
            )
        )
        or 0
    )
