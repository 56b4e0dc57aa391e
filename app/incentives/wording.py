"""Plain words for bonus schemes and lines: the objectives an employee is given, and how a paid line was reached.

Pure: no Flask, no database. French is the language of record (objectives must be set in French); English is the
translation given when the employee's language differs. The phrasing lives here, in both languages, rather than in
the message catalogue, so that the legal text never depends on a catalogue being up to date and can be tested
word for word. Numbers are rounded half-up before Babel formats them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from babel.dates import format_date

from app.core import numbers
from app.core.numbers import NBSP
from app.incentives.engine import ComponentSpec, LinearCurve, StepsCurve, curve_from_dict
from app.periods import Period

LANGUAGES = ("fr", "en")
DEFAULT = "fr"


def language_of(code: str | None) -> str:
    """A supported language code, French when unknown."""
    return code if code in LANGUAGES else DEFAULT


@dataclass(frozen=True)
class KpiName:
    """How to name a KPI in a sentence: French subject and "of" forms, English name, unit, printed decimals."""

    fr: str
    fr_of: str
    en: str
    unit: str = ""
    places: int | None = None


BUILTIN_NAMES = {
    "nps": KpiName("le NPS", "du NPS", "NPS", "", 1),
    "csat": KpiName(
        "la satisfaction client (CSAT)", "de la satisfaction client (CSAT)", "customer satisfaction (CSAT)", "%", 2
    ),
    "ces": KpiName("l'effort client (CES)", "de l'effort client (CES)", "customer effort score (CES)", "", 2),
    "followup_48h": KpiName(
        "la part des clients mécontents rappelés sous 48 h",
        "de la part des clients mécontents rappelés sous 48 h",
        "share of unhappy customers called back within 48 h",
        "%",
        2,
    ),
    "turnover": KpiName(
        "le taux de rotation du personnel", "du taux de rotation du personnel", "staff turnover", "%", 2
    ),
    "absenteeism": KpiName("le taux d'absentéisme", "du taux d'absentéisme", "absenteeism", "%", 2),
    "response_rate": KpiName(
        "le taux de réponse aux enquêtes", "du taux de réponse aux enquêtes", "survey response rate", "%", 2
    ),
}


def kpi_name(code: str, custom: Mapping[str, tuple[str, str]] | None = None) -> KpiName:
    """The wording of a KPI; `custom` maps other KPI codes to (name, unit) from HR's definitions."""
    if code in BUILTIN_NAMES:
        return BUILTIN_NAMES[code]
    name, unit = (custom or {}).get(code, (code, ""))
    return KpiName(f"l'indicateur « {name} »", f"de l'indicateur « {name} »", f"“{name}”", unit)


SCOPE_FR = {"store": "de votre magasin", "region": "de votre région", "company": "de l'entreprise"}
SCOPE_EN = {"store": "your store's", "region": "your region's", "company": "the company's"}
PERIOD_WORDS = {
    "fr": {"month": "mois", "quarter": "trimestre", "year": "an"},
    "en": {"month": "month", "quarter": "quarter", "year": "year"},
}
PREVIOUS_WORDS = {
    "fr": {"change_previous": "la période précédente", "change_last_year": "la même période l'an dernier"},
    "en": {"change_previous": "the previous period", "change_last_year": "the same period last year"},
}
JOB_ROLE_WORDS = {
    "fr": {
        "sales_associate": "conseiller·ère de vente",
        "store_manager": "responsable de magasin",
        "regional_manager": "responsable régional·e",
        "customer_service": "service client",
        "logistics": "logistique",
        "other": "autres postes",
    },
    "en": {
        "sales_associate": "sales associate",
        "store_manager": "store manager",
        "regional_manager": "regional manager",
        "customer_service": "customer service",
        "logistics": "logistics",
        "other": "other roles",
    },
}


# --- numbers ---------------------------------------------------------------------------------------------


def number(value: Decimal | int, lang: str, places: int | None = None, signed: bool = False) -> str:
    """A number in the language's style: `places` decimals, or as many as it has (at most 2, no trailing zeros)."""
    return numbers.number(value, lang, places, most=2, signed=signed).replace("-", "−")


def as_printed(value: Decimal, lang: str, signed: bool = False) -> str:
    """A figure with exactly the decimals it was printed with (a trace keeps "35.0")."""
    return numbers.printed(value, lang, signed=signed).replace("-", "−")


def percent(value: Decimal | int, lang: str) -> str:
    return numbers.percent(value, lang, most=2).replace("-", "−")


def money(value: Decimal, lang: str, currency: str) -> str:
    return numbers.money(value, currency, lang)


def day(value: date, lang: str) -> str:
    return format_date(value, "long", locale=lang)


def _colon(lang: str) -> str:
    return f"{NBSP}:" if lang == "fr" else ":"


def kpi_value(value: Decimal, name: KpiName, lang: str, signed: bool = False, printed: bool = False) -> str:
    """A KPI value with its unit ("86,25 %", "50")."""
    text = as_printed(value, lang, signed) if printed else number(value, lang, None, signed)
    if name.unit:
        text += f"{NBSP}{name.unit}" if name.unit == "%" or lang == "fr" else f" {name.unit}"
    elif signed:
        text += f"{NBSP}points" if lang == "fr" else " points"
    return text


# --- what is measured ------------------------------------------------------------------------------------


def subject(
    component: ComponentSpec | Mapping[str, Any], lang: str, custom: Mapping[str, tuple[str, str]] | None = None
) -> str:
    """What the curve reads, as the subject of a sentence: "le NPS de votre magasin"."""
    kpi, scope, measure, direction = _component_fields(component)
    name = kpi_name(kpi, custom)
    if lang == "fr":
        where = SCOPE_FR[scope]
        if measure in PREVIOUS_WORDS["fr"]:
            return f"la progression {name.fr_of} {where} par rapport à {PREVIOUS_WORDS['fr'][measure]}"
        if measure == "interval_bound":
            bound = "haute" if direction == "lower" else "basse"
            return f"la borne {bound} (prudente) de l'intervalle de confiance à 95 % {name.fr_of} {where}"
        return f"{name.fr} {where}"
    whose = SCOPE_EN[scope]
    if measure in PREVIOUS_WORDS["en"]:
        return f"the change in {whose} {name.en} since {PREVIOUS_WORDS['en'][measure]}"
    if measure == "interval_bound":
        bound = "upper" if direction == "lower" else "lower"
        return f"the cautious ({bound}) bound of the 95 % interval of {whose} {name.en}"
    return f"{whose} {name.en}"


def _component_fields(component: ComponentSpec | Mapping[str, Any]) -> tuple[str, str, str, str]:
    if isinstance(component, ComponentSpec):
        return component.kpi_code, component.scope, component.measure, component.direction
    return (
        component["kpi_code"],
        component["scope"],
        component["measure"],
        component.get("direction", "higher"),
    )


def _reaches(value: str, direction: str, lang: str, at_least: bool = False) -> str:
    if lang == "fr":
        if direction == "lower":
            return f"descend à {value} ou moins"
        return f"atteint {value}" + (" ou plus" if at_least else "")
    if direction == "lower":
        return f"is {value} or lower"
    return f"reaches {value}" + (" or more" if at_least else "")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def curve_sentences(
    component: ComponentSpec, lang: str, custom: Mapping[str, tuple[str, str]] | None = None
) -> list[str]:
    """The payout curve in plain words, one sentence per point that matters."""
    name = kpi_name(component.kpi_code, custom)
    signed = component.measure in ("change_previous", "change_last_year")
    who = subject(component, lang, custom)
    direction = component.direction
    curve = component.curve

    def value(x: Decimal) -> str:
        return kpi_value(x, name, lang, signed=signed)

    def paid(pct: Decimal, note: str = "") -> str:
        if lang == "fr":
            return f"cette part est versée à {percent(pct, lang)}{note}"
        return f"this part is paid at {percent(pct, lang)}{note}"

    sentences: list[str] = []
    if isinstance(curve, StepsCurve):
        for i, (threshold, pct) in enumerate(curve.steps):
            last = i == len(curve.steps) - 1
            sentences.append(
                ("Si " if lang == "fr" else "If ")
                + f"{who} {_reaches(value(threshold), direction, lang, last and direction == 'higher')}, {paid(pct)}."
            )
        first = curve.steps[0][0]
        below = "au-dessus de" if direction == "lower" else "en dessous de"
        below_en = "above" if direction == "lower" else "below"
        if curve.steps[0][1] > 0:
            sentences.append(
                f"{_capital(below)} {value(first)}, cette part n'est pas versée."
                if lang == "fr"
                else f"{_capital(below_en)} {value(first)}, this part is not paid."
            )
        return sentences
    assert isinstance(curve, LinearCurve)
    maximum_note = " (le maximum)" if lang == "fr" else " (the most it pays)"
    for x, pct, note, at_least in (
        (curve.threshold, curve.floor, "", False),
        (curve.target, Decimal(100), "", False),
        (curve.maximum, curve.ceiling, maximum_note, direction == "higher"),
    ):
        sentences.append(
            ("Si " if lang == "fr" else "If ")
            + f"{who} {_reaches(value(x), direction, lang, at_least)}, {paid(pct, note)}."
        )
    if lang == "fr":
        below = "au-dessus de" if direction == "lower" else "en dessous de"
        sentences.append(
            f"Entre ces valeurs, le pourcentage évolue en ligne droite ; {below} {value(curve.threshold)}, "
            "cette part n'est pas versée."
        )
    else:
        below = "above" if direction == "lower" else "below"
        sentences.append(
            f"Between these values the percentage moves in a straight line; {below} {value(curve.threshold)}, "
            "this part is not paid."
        )
    return sentences


def fallback_sentence(component: ComponentSpec, lang: str) -> str | None:
    """What happens when too few customers answered."""
    if component.min_responses <= 0:
        return None
    n = component.min_responses
    if lang == "fr":
        outcome = {
            "zero": "cette part n'est pas versée",
            "full": "cette part est versée à 100 %",
            "pool_previous": "on regroupe les réponses de la période précédente et de celle-ci "
            "(et si ce n'est toujours pas assez, cette part n'est pas versée)",
        }[component.fallback]
        return f"Cet indicateur ne compte qu'avec au moins {n} réponses sur la période ; en dessous, {outcome}."
    outcome = {
        "zero": "this part is not paid",
        "full": "this part is paid at 100 %",
        "pool_previous": "the answers of the previous period and this one are pooled "
        "(and if that is still not enough, this part is not paid)",
    }[component.fallback]
    return f"This KPI only counts with at least {n} answers in the period; below that, {outcome}."


def weight_sentence(component: ComponentSpec, lang: str) -> str:
    if lang == "fr":
        return f"Cette part compte pour {percent(component.weight, lang)} de votre prime."
    return f"This part counts for {percent(component.weight, lang)} of your bonus."


# --- the objectives --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectivesPart:
    """One component of the objectives, ready to print: a title and its sentences."""

    key: str
    kpi_code: str
    title: str
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class ObjectivesText:
    """The whole objectives document in one language."""

    lang: str
    title: str
    general: tuple[str, ...]
    parts: tuple[ObjectivesPart, ...]
    rules: tuple[str, ...]


@dataclass(frozen=True)
class PersonalFigures:
    """The employee's own numbers, when the objectives are addressed to someone."""

    period_base: Decimal
    target: Decimal
    fte: Decimal


def objectives_text(
    document: Any,
    period_label: str,
    period_months: int,
    lang: str,
    currency: str,
    *,
    personal: PersonalFigures | None = None,
    custom: Mapping[str, tuple[str, str]] | None = None,
) -> ObjectivesText:
    """Explain a scheme document's objectives for one period in plain words (`document` is a SchemeDocument)."""
    lang = language_of(lang)
    c = _colon(lang)
    period_word = PERIOD_WORDS[lang][document.period_type]
    if lang == "fr":
        title = f"Vos objectifs pour {period_label}{c} {document.name}"
    else:
        title = f"Your objectives for {period_label}: {document.name}"
    general: list[str] = []
    if document.target_kind == "percent_of_base":
        if lang == "fr":
            general.append(
                f"Votre prime cible est de {percent(document.target_value, lang)} de votre salaire de base "
                f"de la période (salaire annuel de base × {period_months} / 12)."
            )
        else:
            general.append(
                f"Your target bonus is {percent(document.target_value, lang)} of your base salary for the period "
                f"(annual base salary × {period_months} / 12)."
            )
    else:
        amount = money(document.target_value, lang, currency)
        if lang == "fr":
            general.append(
                f"Votre prime cible est de {amount} par {period_word} pour un temps plein, "
                "proportionnellement à votre temps de travail."
            )
        else:
            general.append(
                f"Your target bonus is {amount} per {period_word} for full-time work, "
                "in proportion to your working time."
            )
    if personal is not None:
        base, target = money(personal.period_base, lang, currency), money(personal.target, lang, currency)
        if lang == "fr":
            general.append(f"Pour vous{c} salaire de base de la période {base}, soit une prime cible de {target}.")
        else:
            general.append(f"For you: a base salary of {base} for the period, so a target bonus of {target}.")
    if lang == "fr":
        general.append(
            "Votre prime = prime cible × réalisation pondérée des objectifs ci-dessous × jours de présence dans le "
            "magasin / jours de la période."
        )
    else:
        general.append(
            "Your bonus = target bonus × weighted achievement of the objectives below × days present in the store / "
            "days in the period."
        )
    parts = []
    for component in document.components:
        name = kpi_name(component.kpi_code, custom)
        heading = _capital(subject(component, lang, custom))
        title_part = f"{heading} ({percent(component.weight, lang)})"
        sentences = [weight_sentence(component, lang), *curve_sentences(component, lang, custom)]
        if fallback := fallback_sentence(component, lang):
            sentences.append(fallback)
        if component.measure == "interval_bound":
            sentences.append(
                "La borne prudente tient compte de la marge d'erreur : un petit nombre de réponses ne peut pas "
                "vous favoriser par hasard."
                if lang == "fr"
                else "The cautious bound allows for the margin of error: a small number of answers cannot favour you "
                "by chance."
            )
        parts.append(ObjectivesPart(component.key, name.fr if lang == "fr" else name.en, title_part, tuple(sentences)))
    rules = _rules(document, lang, currency, period_word)
    return ObjectivesText(lang, title, tuple(general), tuple(parts), tuple(rules))


def _rules(document: Any, lang: str, currency: str, period_word: str) -> list[str]:
    rules: list[str] = []
    fr = lang == "fr"
    if document.job_roles:
        roles = ", ".join(JOB_ROLE_WORDS[lang].get(r, r) for r in document.job_roles)
        rules.append(f"Postes concernés{_colon(lang)} {roles}." if fr else f"Job roles covered: {roles}.")
    if document.store_codes:
        stores = ", ".join(document.store_codes)
        rules.append(f"Magasins concernés{_colon(lang)} {stores}." if fr else f"Stores covered: {stores}.")
    if document.regions:
        regions = ", ".join(document.regions)
        rules.append(f"Régions concernées{_colon(lang)} {regions}." if fr else f"Regions covered: {regions}.")
    if document.min_tenure_days:
        days = document.min_tenure_days
        rules.append(
            f"Il faut au moins {days} jours d'ancienneté à la fin de la période."
            if fr
            else f"You need at least {days} days of service at the end of the period."
        )
    if document.employed_at_period_end:
        rules.append(
            "Il faut être encore employé·e à la fin de la période."
            if fr
            else "You must still be employed at the end of the period."
        )
    if document.cap is not None:
        cap = money(document.cap, lang, currency)
        rules.append(
            f"Votre prime est plafonnée à {cap} par {period_word}."
            if fr
            else f"Your bonus is capped at {cap} per {period_word}."
        )
    if document.pool is not None:
        pool = money(document.pool, lang, currency)
        rules.append(
            f"Le total des primes de tous ne peut dépasser {pool} ; au-delà, chaque prime est réduite dans la même "
            "proportion."
            if fr
            else f"All bonuses together cannot exceed {pool}; beyond it, every bonus is reduced in the same proportion."
        )
    rules.append(
        "Si vous changez de magasin pendant la période, chaque magasin compte pour vos jours de présence, mesuré sur "
        "ses propres résultats."
        if fr
        else "If you change store during the period, each store counts for the days you spent there, measured on its "
        "own results."
    )
    return rules


# --- a paid line -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineExplanation:
    """How a line's amount was reached: sentences per component, then the money steps."""

    components: tuple[tuple[str, tuple[str, ...]], ...]
    steps: tuple[str, ...]


def _d(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def component_sentences(
    c: Mapping[str, Any], lang: str, custom: Mapping[str, tuple[str, str]] | None = None
) -> list[str]:
    """One component of a stored trace, in plain words."""
    fr = lang == "fr"
    col = _colon(lang)
    name = kpi_name(c["kpi_code"], custom)
    value, moe, n = _d(c.get("value")), _d(c.get("moe")), int(c.get("n") or 0)
    measured, ach, weight = _d(c.get("measured")), _d(c["achievement"]), _d(c["weight"])
    minimum = int(c.get("min_responses") or 0)
    base_subject = subject({**c, "measure": "value"}, lang, custom)
    where = f" ({c['scope_key']})" if c.get("scope") in ("store", "region") else ""
    sentences: list[str] = []
    if value is None:
        sentences.append(
            f"{_capital(base_subject)}{where}, {c.get('period_label', '')}{col} aucune réponse."
            if fr
            else f"{_capital(base_subject)}{where}, {c.get('period_label', '')}: no answers."
        )
    else:
        margin = f", {'marge' if fr else 'margin'} ± {as_printed(moe, lang)}" if moe is not None else ""
        sentences.append(
            f"{_capital(base_subject)}{where}, {c.get('period_label', '')}{col} "
            f"{kpi_value(value, name, lang, printed=True)} (n = {n}{margin})."
        )
    if c.get("previous_label"):
        previous = _d(c.get("previous_value"))
        if previous is None:
            sentences.append(
                f"{c['previous_label']}{col} aucune réponse." if fr else f"{c['previous_label']}: no answers."
            )
        else:
            sentences.append(
                f"{c['previous_label']}{col} {kpi_value(previous, name, lang, printed=True)} "
                f"(n = {c.get('previous_n')})."
            )
    fallback = c.get("fallback_used")
    if fallback is None and measured is not None:
        if c["measure"] in ("change_previous", "change_last_year"):
            sentences.append(
                f"Progression{col} {kpi_value(measured, name, lang, signed=True)}."
                if fr
                else f"Change: {kpi_value(measured, name, lang, signed=True)}."
            )
        elif c["measure"] == "interval_bound":
            sentences.append(
                f"Borne prudente de l'intervalle à 95 %{col} {kpi_value(measured, name, lang)}."
                if fr
                else f"Cautious bound of the 95 % interval: {kpi_value(measured, name, lang)}."
            )
    elif fallback in ("zero", "full"):
        paid = "0 %" if fallback == "zero" else "100 %"
        sentences.append(
            f"Moins de {minimum} réponses{col} cette part est versée à {paid.replace(' ', NBSP)}, comme prévu."
            if fr
            else f"Fewer than {minimum} answers: this part is paid at {paid}, as the scheme says."
        )
    elif fallback == "pool_previous":
        pooled = _d(c.get("pooled_value"))
        shown = kpi_value(pooled, name, lang, printed=True) if pooled is not None else "—"
        sentences.append(
            f"Moins de {minimum} réponses{col} on regroupe {c.get('pooled_label')}, soit {shown} "
            f"(n = {c.get('pooled_n')})."
            if fr
            else f"Fewer than {minimum} answers: {c.get('pooled_label')} pooled gives {shown} "
            f"(n = {c.get('pooled_n')})."
        )
    elif fallback == "pool_previous_zero":
        sentences.append(
            f"Moins de {minimum} réponses, même en regroupant {c.get('pooled_label')} (n = {c.get('pooled_n')})"
            f"{col} cette part n'est pas versée."
            if fr
            else f"Fewer than {minimum} answers even with {c.get('pooled_label')} pooled (n = {c.get('pooled_n')}): "
            "this part is not paid."
        )
    if measured is not None:
        shown = kpi_value(measured, name, lang, signed=c["measure"] in ("change_previous", "change_last_year"))
        sentences.append(
            f"Sur la courbe, {shown} donne {percent(ach, lang)}."
            if fr
            else f"On the curve, {shown} gives {percent(ach, lang)}."
        )
    points = weight * ach / 100 if weight is not None and ach is not None else Decimal(0)
    product = f"{percent(ach, lang)} × {percent(weight, lang)} = {number(points, lang)} points"
    sentences.append(
        f"Poids {percent(weight, lang)}{col} {product}." if fr else f"Weight {percent(weight, lang)}: {product}."
    )
    return sentences


_FRENCH_VOWELS = "aeiouyàâäéèêëîïôöûü"


def _days(count: int, lang: str) -> str:
    if lang == "fr":
        return f"{count} jour" + ("s" if count > 1 else "")
    return f"{count} day" + ("" if count == 1 else "s")


def _absence_term(count: int, label: str, lang: str) -> str:
    """ "5 days unpaid leave", "5 jours de congé sans solde", "3 jours d'arrêt maladie"."""
    if lang != "fr":
        return f"{_days(count, lang)} {label}"
    of = "d'" if label[:1].lower() in _FRENCH_VOWELS else "de "
    return f"{_days(count, lang)} {of}{label}"


def presence_sum(assigned_days: int, absences: Sequence[tuple[int, str]], period_days: int, lang: str) -> str:
    """Presence as the days assigned less one term per absence kind that does not count, over the period's days:
    "92 days − 5 days unpaid leave = 87/92" ("92 jours − 5 jours de congé sans solde = 87/92")."""
    lang = language_of(lang)
    terms = [_days(assigned_days, lang)] + [_absence_term(n, label, lang) for n, label in absences]
    present = assigned_days - sum(n for n, _label in absences)
    return f"{' − '.join(terms)} = {present}/{period_days}"


def absence_terms(trace_absences: Sequence[Mapping[str, Any]] | Sequence[Any], lang: str) -> list[tuple[int, str]]:
    """The (days, label) pairs of a line's absence deductions, in the language asked (the code when unnamed)."""
    pairs = []
    for a in trace_absences:
        get = a.get if isinstance(a, Mapping) else lambda name, obj=a: getattr(obj, name)
        label = get("label_fr") if language_of(lang) == "fr" else get("label_en")
        pairs.append((int(get("days")), label or get("kind")))
    return pairs


def explain_line(
    trace: Mapping[str, Any],
    lang: str,
    currency: str,
    *,
    adjustments: Sequence[tuple[Decimal, str]] = (),
    custom: Mapping[str, tuple[str, str]] | None = None,
) -> LineExplanation:
    """Explain a stored line (its trace) step by step, so anyone can redo the sum by hand."""
    if trace.get("kind") == "interessement":
        return explain_share(trace, lang, currency, adjustments=adjustments, custom=custom)
    lang = language_of(lang)
    fr = lang == "fr"
    col = _colon(lang)
    components = []
    for c in trace["components"]:
        title = _capital(subject(c, lang, custom))
        components.append((title, tuple(component_sentences(c, lang, custom))))
    weighted = Decimal(str(trace["weighted_achievement"]))
    target = Decimal(str(trace["target"]))
    period_base = Decimal(str(trace["period_base"]))
    days, period_days = int(trace["presence_days"]), int(trace["period_days"])
    start, end = date.fromisoformat(trace["presence_start"]), date.fromisoformat(trace["presence_end"])
    m = lambda v: money(Decimal(str(v)), lang, currency)  # noqa: E731
    steps: list[str] = [
        f"Réalisation pondérée{col} {percent(weighted, lang)}."
        if fr
        else f"Weighted achievement: {percent(weighted, lang)}."
    ]
    if trace.get("target_kind") == "fixed":
        fte = trace.get("fte")
        steps.append(
            f"Prime cible{col} {m(trace.get('target_value'))} × {number(Decimal(str(fte)), lang)} ETP = {m(target)}."
            if fr
            else f"Target bonus: {m(trace.get('target_value'))} × {number(Decimal(str(fte)), lang)} FTE = {m(target)}."
        )
    else:
        annual, tv = trace.get("annual_base"), trace.get("target_value")
        months = Period.parse(trace["period_label"]).months
        if annual is None or tv is None:
            steps.append(f"Prime cible{col} {m(target)}." if fr else f"Target bonus: {m(target)}.")
        elif fr:
            steps.append(
                f"Salaire de base de la période{col} {m(annual)} × {months} / 12 = {m(period_base)} ; "
                f"prime cible {percent(Decimal(str(tv)), lang)} = {m(target)}."
            )
        else:
            steps.append(
                f"Base salary for the period: {m(annual)} × {months} / 12 = {m(period_base)}; "
                f"target bonus {percent(Decimal(str(tv)), lang)} = {m(target)}."
            )
    absences = absence_terms(trace.get("absences") or (), lang)
    if absences:
        assigned = int(trace.get("assigned_days") or days + sum(n for n, _label in absences))
        presence = presence_sum(assigned, absences, period_days, lang)
        steps.append(
            f"Présence dans le magasin {trace['store_code']} du {day(start, lang)} au {day(end, lang)}{col} {presence}."
            if fr
            else f"Present in store {trace['store_code']} from {day(start, lang)} to {day(end, lang)}: {presence}."
        )
    else:
        steps.append(
            f"Présence dans le magasin {trace['store_code']}{col} {days} jours sur {period_days}, "
            f"du {day(start, lang)} au {day(end, lang)}."
            if fr
            else f"Present in store {trace['store_code']}: {days} of {period_days} days, from {day(start, lang)} to "
            f"{day(end, lang)}."
        )
    before_cap = Decimal(str(trace["amount_before_cap"]))
    steps.append(
        f"{m(target)} × {percent(weighted, lang)} × {days} / {period_days} = {m(before_cap)}"
        + (" (arrondi au centime)." if fr else " (rounded to the cent).")
    )
    if trace.get("cap_applied"):
        steps.append(
            f"Plafond de {m(trace['cap'])} atteint{col} montant ramené à {m(trace['amount_after_cap'])}."
            if fr
            else f"Cap of {m(trace['cap'])} reached: amount brought down to {m(trace['amount_after_cap'])}."
        )
    pool_factor = Decimal(str(trace.get("pool_factor", "1")))
    if pool_factor < 1:
        steps.append(
            f"Enveloppe dépassée{col} chaque prime est multipliée par {number(pool_factor * 100, lang)} %, soit "
            f"{m(trace['amount'])}."
            if fr
            else f"Pool exceeded: every bonus is multiplied by {number(pool_factor * 100, lang)} %, giving "
            f"{m(trace['amount'])}."
        )
    steps.append(
        f"Montant de cette ligne{col} {m(trace['amount'])}." if fr else f"Amount of this line: {m(trace['amount'])}."
    )
    for amount, reason in adjustments:
        signed = ("+" if amount > 0 else "") + m(amount)
        steps.append(f"Ajustement{col} {signed} ({reason})." if fr else f"Adjustment: {signed} ({reason}).")
    return LineExplanation(tuple(components), tuple(steps))


_BASES = {
    "fr": {"equal": "à parts égales", "salary": "selon le salaire brut", "presence": "selon la présence"},
    "en": {"equal": "equal shares", "salary": "in proportion to gross pay", "presence": "in proportion to presence"},
}


def explain_share(
    trace: Mapping[str, Any],
    lang: str,
    currency: str,
    *,
    adjustments: Sequence[tuple[Decimal, str]] = (),
    custom: Mapping[str, tuple[str, str]] | None = None,
) -> LineExplanation:
    """Explain a stored intéressement share step by step: the pool, its caps, the sub-pools and the person's share."""
    lang = language_of(lang)
    fr = lang == "fr"
    col = _colon(lang)
    pool, run = trace["pool"], trace["run"]
    d = lambda v: Decimal(str(v))  # noqa: E731
    m = lambda v: money(d(v), lang, currency)  # noqa: E731
    components = tuple(
        (_capital(subject(c, lang, custom)), tuple(component_sentences(c, lang, custom))) for c in pool["components"]
    )
    weighted = d(pool["weighted_achievement"])
    steps = [
        f"Réalisation pondérée{col} {percent(weighted, lang)}."
        if fr
        else f"Weighted achievement: {percent(weighted, lang)}."
    ]
    if pool["pool_kind"] == "amount":
        base = m(pool["pool_value"])
    else:
        base = f"{percent(d(pool['pool_value']), lang)} × {m(pool['payroll'])}"
    steps.append(
        f"Enveloppe{col} {base} × {percent(weighted, lang)} = {m(pool['formula_amount'])}."
        if fr
        else f"Pool: {base} × {percent(weighted, lang)} = {m(pool['formula_amount'])}."
    )
    if run["total_cap_applied"]:
        steps.append(
            f"Plafond global de 20 % de la masse salariale ({m(run['total_cap'])}) atteint{col} enveloppe ramenée à "
            f"{m(pool['amount'])}."
            if fr
            else f"Overall cap of 20 % of gross pay ({m(run['total_cap'])}) reached: pool brought down to "
            f"{m(pool['amount'])}."
        )
    parts = {p["basis"]: p for p in trace["parts"]}
    for sub in pool["subpools"]:
        part = parts[sub["basis"]]
        label = _BASES[lang][sub["basis"]]
        steps.append(
            f"{_capital(label)} ({percent(d(sub['share']), lang)}){col} {m(sub['amount'])} × "
            f"{number(d(part['base']), lang)} / {number(d(sub['basis_total']), lang)} = {m(part['amount'])}."
        )
    cap = m(trace["cap"])
    days = trace["presence_days"]
    steps.append(
        f"Plafond individuel{col} 75 % × {m(run['pass_amount'])} × {days} jours de présence / jours de l'année = {cap}."
        if fr
        else f"Individual cap: 75 % × {m(run['pass_amount'])} × {days} days of presence / days in the year = {cap}."
    )
    if trace["capped"]:
        kept = run["cap_redistribution"] == "keep"
        where = (
            ("conservé par l'entreprise" if kept else "réparti entre les autres bénéficiaires")
            if fr
            else ("kept by the company" if kept else "shared among the other beneficiaries")
        )
        steps.append(
            f"Plafond atteint{col} part ramenée de {m(trace['amount_before_cap'])} à {cap} ; l'excédent est {where}."
            if fr
            else f"Cap reached: share brought down from {m(trace['amount_before_cap'])} to {cap}; "
            f"the excess is {where}."
        )
    elif d(trace["redistributed"]) > 0:
        steps.append(
            f"Reçu de l'excédent des plafonds des autres{col} {m(trace['redistributed'])}."
            if fr
            else f"Received from the others' capped excess: {m(trace['redistributed'])}."
        )
    steps.append(
        f"Votre part d'intéressement{col} {m(trace['amount'])}."
        if fr
        else f"Your intéressement share: {m(trace['amount'])}."
    )
    for amount, reason in adjustments:
        signed = ("+" if amount > 0 else "") + m(amount)
        steps.append(f"Ajustement{col} {signed} ({reason})." if fr else f"Adjustment: {signed} ({reason}).")
    return LineExplanation(components, tuple(steps))


def curve_of_trace(c: Mapping[str, Any]):
    """The curve a trace component was measured on."""
    return curve_from_dict(c["curve"])
