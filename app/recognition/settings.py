"""Company settings of the recognition programme, kept as JSON `Setting` rows with safe defaults."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from flask_babel import gettext as _

from app.core.company import save_setting, saved_setting

KEY = "recognition"
LEAVER_POLICIES = ("forfeit", "keep")
TIER_NAMES = ("bronze", "silver", "gold")


@dataclass(frozen=True)
class RecognitionSettings:
    """What HR can change: award cap, expiry, leavers, tiers and the payroll codes of benefits."""

    max_award_points: int = 500
    expiry_months: int = 12
    leaver_policy: str = "forfeit"  # forfeit at the exit date, or keep until the points expire
    tiers: dict[str, int] = field(default_factory=lambda: {"bronze": 500, "silver": 2000, "gold": 5000})
    benefit_pay_code: str = "AVANTAGE_NATURE"
    day_off_pay_code: str = "CONGE_RECOMPENSE"
    compliment_points: int = 50  # pre-filled in the one-click thanks for a compliment
    # The company's monthly budget for automatic points rules (0: no limit); managers' budgets are never touched.
    automatic_points_per_month: int = 0

    @property
    def tier_list(self) -> list[tuple[str, int]]:
        return sorted(self.tiers.items(), key=lambda item: item[1])

    @property
    def forfeit_on_exit(self) -> bool:
        return self.leaver_policy == "forfeit"

    def problems(self) -> list[str]:
        """Return what is wrong with these values (empty when they can be saved)."""
        problems = []
        if self.max_award_points < 1:
            problems.append(_("the per-award maximum must be at least 1 point"))
        if not 1 <= self.expiry_months <= 120:
            problems.append(_("points must live between 1 and 120 months"))
        if self.leaver_policy not in LEAVER_POLICIES:
            problems.append(_("the leavers' policy must be one of %(values)s", values=", ".join(LEAVER_POLICIES)))
        thresholds = [self.tiers.get(name) for name in TIER_NAMES]
        if any(not isinstance(t, int) or t < 1 for t in thresholds) or thresholds != sorted(set(thresholds)):
            problems.append(_("tier thresholds must be whole numbers that rise from bronze to gold"))
        if not self.benefit_pay_code.strip() or not self.day_off_pay_code.strip():
            problems.append(_("pay codes cannot be empty"))
        if self.compliment_points < 0:
            problems.append(_("the points suggested for a compliment cannot be negative"))
        if self.automatic_points_per_month < 0:
            problems.append(_("the company's monthly budget for automatic points cannot be negative"))
        return problems


def _coerce(raw: dict[str, Any]) -> RecognitionSettings:
    defaults = RecognitionSettings()
    values: dict[str, Any] = {}
    for name, default in asdict(defaults).items():
        value = raw.get(name, default)
        if isinstance(default, int) and not (isinstance(value, int) and not isinstance(value, bool)):
            value = default
        if isinstance(default, str) and not isinstance(value, str):
            value = default
        if isinstance(default, dict):
            value = value if isinstance(value, dict) else default
        values[name] = value
    settings = RecognitionSettings(**values)
    return settings if not settings.problems() else defaults


def load_settings() -> RecognitionSettings:
    """Return the current settings (defaults for whatever is missing or unreadable)."""
    raw = saved_setting(KEY)
    return _coerce(raw if isinstance(raw, dict) else {})


class SettingsError(ValueError):
    """Settings that cannot be saved."""


def save_settings(new: RecognitionSettings) -> RecognitionSettings:
    """Store new settings (audited); raise SettingsError listing the problems."""
    problems = new.problems()
    if problems:
        raise SettingsError("; ".join(problems))
    before = asdict(load_settings())
    save_setting(KEY, asdict(new), action="recognition.settings", summary="recognition settings changed", before=before)
    return new
