"""Taxable benefits and days off from fulfilled redemptions, per period, for the payroll export.

A redemption counts in the period it was fulfilled in: a day off (amount = its euro value, or 0) and any other
reward with a euro value (a benefit in kind). A refund in a later period gives a negative row in that period (none
for a day off of no euro value); a redemption fulfilled and refunded within the same period gives no row at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import sqlalchemy as sa

from app.extensions import db
from app.periods import Period
from app.recognition.models import Redemption, RedemptionStatus, Reward
from app.recognition.settings import load_settings

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class BenefitRow:
    """One amount for payroll: who, which pay code, how much, and the redemption it comes from."""

    employee_id: int
    pay_code: str
    amount: Decimal
    kind: Literal["benefit", "day_off"]
    redemption_id: int


def benefits_for_period(period: Period) -> list[BenefitRow]:
    """Return the benefit and day-off rows of redemptions fulfilled (or refunded) in `period`."""
    settings = load_settings()
    start, end = period.start, period.end
    rows = db.session.execute(
        sa.select(Redemption, Reward.kind)
        .join(Reward, Reward.id == Redemption.reward_id)
        .where(
            Redemption.status.in_([RedemptionStatus.FULFILLED.value, RedemptionStatus.REFUNDED.value]),
            sa.or_(
                Redemption.fulfilled_on.between(start, end),
                Redemption.refunded_on.between(start, end),
            ),
        )
        .order_by(Redemption.employee_id, Redemption.id)
    ).all()
    result: list[BenefitRow] = []
    for redemption, kind in rows:
        day_off = kind == "day_off"
        amount = redemption.euro_value or ZERO
        if not day_off and amount <= 0:
            continue
        fulfilled_here = redemption.fulfilled_on is not None and start <= redemption.fulfilled_on <= end
        refunded_here = redemption.refunded_on is not None and start <= redemption.refunded_on <= end
        if fulfilled_here and refunded_here:
            continue
        if not fulfilled_here and amount <= 0:
            continue  # a refunded day off of no euro value: nothing to take back
        sign = 1 if fulfilled_here else -1
        result.append(
            BenefitRow(
                employee_id=redemption.employee_id,
                pay_code=settings.day_off_pay_code if day_off else settings.benefit_pay_code,
                amount=amount * sign if amount else ZERO,
                kind="day_off" if day_off else "benefit",
                redemption_id=redemption.id,
            )
        )
    return result
