"""Demo recognition data for `flask seed-demo`: budgets, badges, a catalogue, a year of awards and redemptions,
automatic points rules and team challenges (one settled last month, two running).

Everything goes through the services (budgets, awards, badge rules, redemptions, expiry), dated in the past, in
date order, so the demo ledger obeys the same rules as real use. The demo employee (employee@example.com) ends with
a balance, points that expire within 30 days and a pending request; the survey answers, when already seeded, feed
the rule badges and a few one-click thanks for compliments.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.auth.models import User
from app.auth.services import find_user
from app.core import clock
from app.extensions import db
from app.feedback.aggregate import nps_category_condition
from app.feedback.models import SurveyResponse
from app.org.models import Employee
from app.org.scope import managed_store_ids
from app.periods import Period, month_add
from app.recognition.awards import AwardError, award_points, team_of
from app.recognition.badges import evaluate, save_badge
from app.recognition.budgets import budget_status, set_budget
from app.recognition.catalogue import RedemptionRefused, change_redemption, request_redemption, save_reward
from app.recognition.challenges import create_challenge, settle
from app.recognition.models import Award, Badge, Reward
from app.recognition.points import expire_points, summary_of
from app.recognition.rules import add_rule, apply

BADGES = [
    # code, name, icon, description, criteria, points, rule
    ("merci", "Merci !", "heart.svg", "Un grand merci de ton manager.", "Donné par un manager.", None, None),
    ("equipe", "Esprit d'équipe", "team.svg", "Toujours là pour les collègues.", "Donné par un manager.", None, None),
    ("client", "Coup de cœur client", "star.svg", "Un client s'en souviendra.", "Donné par un manager.", None, None),
    (
        "rappel",
        "Client reconquis",
        "phone.svg",
        "Cinq clients mécontents rappelés et satisfaits dans le mois.",
        "Au moins 5 dossiers de rappel résolus dans le mois.",
        50,
        "detractors_recovered",
    ),
    (
        "compliment",
        "Compliment nominatif",
        "quote.svg",
        "Un client promoteur t'a cité dans son commentaire.",
        "Cité par un client ayant donné 9 ou 10.",
        20,
        "promoter_compliment",
    ),
    (
        "progression",
        "Magasin en progrès",
        "chart-up.svg",
        "Ton magasin a le plus progressé de la région.",
        "Plus forte hausse du NPS de la région (30 réponses au moins).",
        30,
        "nps_progression",
    ),
]
REWARDS = [
    # name, kind, cost, stock, limit per year, euro value, icon, description
    ("Mug Primo", "goods", 60, 12, None, Decimal("6.00"), "coffee.svg", "Le mug de l'équipe."),
    ("Sac en toile", "goods", 80, 3, 1, Decimal("8.00"), "bag.svg", "Édition limitée."),
    ("Place de cinéma", "gift_card", 120, 40, None, Decimal("9.50"), "card.svg", "Valable dans tout le réseau."),
    ("Carte cadeau 20 €", "gift_card", 200, None, None, Decimal("20.00"), "gift.svg", "Enseignes partenaires."),
    ("Carte cadeau 50 €", "gift_card", 480, None, 4, Decimal("50.00"), "gift.svg", "Enseignes partenaires."),
    ("Demi-journée de repos", "day_off", 700, None, 2, None, "calendar.svg", "À poser avec ton manager."),
    ("Journée de repos", "day_off", 1300, None, 2, Decimal("110.00"), "calendar.svg", "À poser avec ton manager."),
    ("Don à une association", "donation", 100, None, None, None, "donation.svg", "Nous reversons 10 € en ton nom."),
    ("Petit-déjeuner d'équipe", "goods", 400, None, None, Decimal("60.00"), "coffee.svg", "Récompense d'équipe."),
]
# Automatic points rules: event, points, monthly cap, kpi, threshold, on.
RULES = [
    ("promoter_named", 20, 100, None, None, True),
    ("case_closed_fast", 15, 60, None, None, True),
    ("store_kpi", 50, None, "csat", "90", True),
    ("objectives_acknowledged", 10, None, None, None, True),
    ("work_anniversary", 100, None, None, None, True),
    ("pulse_answered", 5, 20, None, None, True),
]
MESSAGES = [
    "Merci pour ton aide précieuse pendant l'inventaire.",
    "Bravo pour l'accueil des clients samedi, l'équipe a adoré.",
    "Merci d'avoir remplacé au pied levé, ça a sauvé la journée.",
    "Super travail sur la vitrine de saison, les clients l'ont remarquée.",
    "Merci pour ta patience avec ce client difficile, bel exemple.",
    "Bravo pour la formation du nouvel arrivant, il est déjà autonome.",
    "Merci d'avoir rappelé les clients mécontents, deux sont revenus.",
    "Belle vente conseil, le client est reparti ravi.",
]
POINTS = (20, 30, 40, 50, 75, 100, 150)


def _month(day: date) -> str:
    return str(Period.containing(day, "month"))


def _award(
    rng: random.Random, user: User, on: date, badges: list[Badge], left: dict[str, int], teams: dict[tuple, list]
) -> Award | None:
    key = (user.id, _month(on))
    if key not in teams:  # the team as of the month's first day; someone gone by `on` is simply skipped
        teams[key] = team_of(user, Period.containing(on, "month").start)
    if not teams[key]:
        return None
    employee = rng.choice(teams[key])
    points = min(rng.choice(POINTS), left[_month(on)])
    badge = rng.choice(badges) if rng.random() < 0.25 else None
    if points <= 0 and badge is None:
        return None
    try:
        award = award_points(
            user, employee, points, rng.choice(MESSAGES), badge=badge, public=rng.random() < 0.85, on=on
        )
    except AwardError:  # not in the team on that very day (a transfer, a hire later in the month)
        return None
    left[_month(on)] -= points
    return award


def seed_recognition(rng: random.Random, today: date) -> dict[str, int]:
    """Create the demo's recognition programme ending with `today`; flush only (the caller commits)."""
    today = min(today, clock.today())  # nothing dated in the company's future
    manager, regional = find_user("manager@example.com"), find_user("regional@example.com")
    sophie_user = find_user("employee@example.com")
    if manager is None or regional is None or sophie_user is None or sophie_user.employee is None:
        return {"awards": 0, "redemptions": 0, "badges": 0}
    sophie = sophie_user.employee

    badges = [
        save_badge(None, code=c, name=n, icon=i, description=d, criteria=k, points_given=p, rule=r)
        for c, n, i, d, k, p, r in BADGES
    ]
    manual = [b for b in badges if b.rule is None]
    rewards = {
        name: save_reward(
            None,
            name=name,
            kind=kind,
            cost=cost,
            stock=stock,
            limit_per_year=limit,
            euro_value=value,
            icon=icon,
            description=text,
        )
        for name, kind, cost, stock, limit, value, icon, text in REWARDS
    }

    # Budgets: the store manager 600 points a month; the regional manager 1 000, rolling over.
    first_month = Period.containing(month_add(today, -12), "month")
    months = [first_month.shifted(i) for i in range(13)]
    left: dict[str, int] = {}
    for period in months:
        set_budget(manager.employee, str(period), 600)
        set_budget(regional.employee, str(period), 1000, rollover=True)
        left[str(period)] = 600
    regional_left = {str(p): 1000 for p in months}

    # A year of awards, in date order, within each month's budget.
    planned: list[tuple[date, User]] = []
    for period in months:
        last = min(period.end, today)
        span = (last - period.start).days + 1
        for user, count in ((manager, rng.randint(3, 6)), (regional, rng.randint(4, 7))):
            planned += [(period.start + timedelta(days=rng.randrange(span)), user) for _ in range(count)]
    # The demo employee's story: points earned about a year ago that expire within the month, and recent ones.
    expiring_on = month_add(today + timedelta(days=12), -12)
    story = [
        (expiring_on, 250, "Merci pour l'ouverture du dimanche, tu as assuré !"),
        (today - timedelta(days=9), 120, "Bravo pour la mise en place de la nouvelle collection."),
    ]
    awards = 0
    teams: dict[tuple, list] = {}
    for on, points, message in story:
        award_points(manager, sophie, points, message, badge=manual[0], on=on)
        left[_month(on)] -= points
        awards += 1
    for on, user in sorted(planned, key=lambda item: (item[0], item[1].id)):
        if _award(rng, user, on, manual, left if user is manager else regional_left, teams):
            awards += 1

    # One-click thanks for some recent named compliments in the store manager's stores.
    compliments = db.session.scalars(
        sa.select(SurveyResponse)
        .where(
            nps_category_condition("promoter"),
            SurveyResponse.employee_id.is_not(None),
            SurveyResponse.employee_id != manager.employee_id,
            SurveyResponse.store_id.in_(managed_store_ids(manager) or {-1}),
            SurveyResponse.local_date >= today - timedelta(days=60),
            SurveyResponse.local_date < today,
        )
        .order_by(SurveyResponse.local_date.desc())
        .limit(3)
    ).all()
    for response in compliments:
        employee = db.session.get(Employee, response.employee_id)
        if employee is None or employee not in team_of(manager, today):
            continue
        if budget_status(manager.employee_id, _month(today)).left < 30:
            break
        award_points(
            manager,
            employee,
            30,
            f"Un client a écrit : « {(response.comment or '')[:300]} » Merci !",
            on=today,
            response=response,
        )
        awards += 1

    # Rule badges for each month gone by, granted on the first day of the next month.
    granted = 0
    for period in months[:-1]:
        granted += len(evaluate(period, on=period.end + timedelta(days=1)).granted)

    # Redemptions in date order: most handed over, some rejected, a few still pending.
    redemptions = _redemptions(rng, today, rewards, sophie)
    _automatic(today, rewards)
    expire_points(today)
    db.session.flush()
    return {"awards": awards, "redemptions": redemptions, "badges": granted}


def _redemptions(rng: random.Random, today: date, rewards: dict[str, Reward], sophie: Employee) -> int:
    earners = list(
        db.session.scalars(
            sa.select(Employee).where(
                Employee.id.in_(sa.select(Award.employee_id).distinct()), Employee.id != sophie.id
            )
        )
    )
    cheap = [r for r in rewards.values() if r.cost <= 500]
    plans = [(today - timedelta(days=rng.randrange(2, 330)), rng.choice(earners), rng.choice(cheap)) for _ in range(45)]
    plans.append((today - timedelta(days=120), sophie, rewards["Don à une association"]))
    count = 0
    for on, employee, reward in sorted(plans, key=lambda plan: (plan[0], plan[1].id)):
        if summary_of(employee, on).balance < reward.cost:
            continue
        try:
            redemption = request_redemption(employee, reward, on=on)
        except RedemptionRefused:  # out of stock or yearly limit reached: refused before writing anything
            continue
        count += 1
        handled = on + timedelta(days=rng.randint(2, 9))
        fate = rng.random()
        if handled > today and employee is not sophie:
            continue  # recent: still waiting for HR
        if employee is sophie or fate < 0.85:
            change_redemption(redemption, "approve", on=min(handled, today))
            change_redemption(redemption, "fulfil", on=min(handled, today))
        else:
            change_redemption(redemption, "reject", note="Rupture chez le fournisseur, points rendus.", on=handled)
    # The demo employee's request waiting for HR.
    request_redemption(sophie, rewards["Mug Primo"], on=today)
    return count + 1


def _automatic(today: date, rewards: dict[str, Reward]) -> None:
    """Add the rules (paying what the last month owes) and challenges: last month's settled, this month's running."""
    for event, points_given, cap, kpi, threshold, active in RULES:
        add_rule(event, points_given, cap_per_month=cap, kpi=kpi, threshold=threshold, active=active)
    apply(today)
    last_month = Period.containing(today, "month").previous()
    create_challenge(
        store_code="S01",
        kpi="nps",
        goal="30",
        starts_on=last_month.start,
        ends_on=last_month.end,
        points_per_member=40,
        name="S01 : NPS ≥ 30 le mois dernier",
    )
    settle(today)
    create_challenge(
        store_code="S01",
        kpi="csat",
        goal="90",
        starts_on=today - timedelta(days=14),
        ends_on=today + timedelta(days=16),
        points_per_member=50,
        name="S01 : CSAT ≥ 90 % sur un mois",
    )
    create_challenge(
        region_name="Île-de-France",
        kpi="followup",
        goal="95",
        min_answers=10,
        starts_on=today - timedelta(days=7),
        ends_on=today + timedelta(days=23),
        reward_id=rewards["Petit-déjeuner d'équipe"].id,
        name="Île-de-France : 95 % des clients rappelés en 48 h",
    )
