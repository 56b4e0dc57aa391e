"""Plain words: the objectives and a paid line read as sentences anyone can check, in French and in English."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from app.incentives import engine, wording
from app.incentives.engine import AssignmentFact, EmployeeFacts, KpiFigure
from app.incentives.scheme_format import read_document
from app.periods import Period

EXAMPLE = Path(__file__).parents[2] / "examples" / "schemes" / "store-nps-csat.json"
Q3 = Period.parse("2026-Q3")


def plain(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def document(**changes):
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data.update(changes)
    return read_document(data)


def objectives(lang: str, doc=None, **kwargs) -> list[str]:
    text = wording.objectives_text(doc or document(), "2026-Q3", 3, lang, "EUR", **kwargs)
    sentences = [text.title, *text.general, *text.rules]
    for part in text.parts:
        sentences += [part.title, *part.sentences]
    return [plain(s) for s in sentences]


def test_the_objectives_say_each_curve_point_in_french():
    sentences = objectives("fr")
    assert "Si le NPS de votre magasin atteint 30, cette part est versée à 50 %." in sentences
    assert "Si le NPS de votre magasin atteint 50, cette part est versée à 100 %." in sentences
    assert "Si le NPS de votre magasin atteint 70 ou plus, cette part est versée à 150 % (le maximum)." in sentences
    assert "Si la satisfaction client (CSAT) de votre magasin atteint 85 %, cette part est versée à 100 %." in sentences
    assert "En dessous de 80 %, cette part n'est pas versée." in sentences
    assert "Cette part compte pour 60 % de votre prime." in sentences
    assert any(s.startswith("Cet indicateur ne compte qu'avec au moins 30 réponses") for s in sentences)
    assert any("5 % de votre salaire de base de la période" in s for s in sentences)


def test_the_objectives_in_english():
    sentences = objectives("en")
    assert "If your store's NPS reaches 50, this part is paid at 100 %." in sentences
    assert "If your store's customer satisfaction (CSAT) reaches 90 % or more, this part is paid at 120 %." in sentences


def test_an_unknown_language_falls_back_to_french():
    assert objectives("de")[0].startswith("Vos objectifs pour 2026-Q3")


def test_personal_figures_give_the_employee_their_own_target():
    personal = wording.PersonalFigures(Decimal("7500.00"), Decimal("375.00"), Decimal("1"))
    sentences = objectives("fr", personal=personal)
    assert any("7 500,00 €" in s and "375,00 €" in s for s in sentences)


def test_a_lower_is_better_kpi_speaks_of_falling_values():
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["components"][1] = {
        "key": "returns",
        "kpi": "return_rate",
        "direction": "lower",
        "scope": "region",
        "weight": "40",
        "measure": "value",
        "min_responses": 0,
        "fallback": "full",
        "curve": {"type": "steps", "steps": [["5", "50"], ["3", "100"]]},
    }
    sentences = objectives("fr", read_document(data), custom={"return_rate": ("Taux de retour", "%")})
    assert (
        "Si l'indicateur « Taux de retour » de votre région descend à 3 % ou moins, cette part est versée à 100 %."
        in (sentences)
    )
    assert "Au-dessus de 5 %, cette part n'est pas versée." in sentences


def test_change_and_interval_measures_are_named():
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["components"][0]["measure"] = "change_previous"
    data["components"][0]["curve"] = {"type": "steps", "steps": [["0", "50"], ["5", "100"]]}
    data["components"][1]["measure"] = "interval_bound"
    sentences = objectives("fr", read_document(data))
    assert (
        "Si la progression du NPS de votre magasin par rapport à la période précédente atteint +5 points ou plus, "
        "cette part est versée à 100 %." in sentences
    )
    assert any("la borne basse (prudente) de l'intervalle de confiance à 95 %" in s for s in sentences)


def test_eligibility_cap_and_pool_are_spelt_out():
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["cap"] = "500.00"
    data["pool"] = "10000.00"
    data["eligibility"] = {
        "job_roles": ["sales_associate"],
        "stores": None,
        "regions": ["West"],
        "min_tenure_days": 90,
        "employed_at_period_end": True,
    }
    sentences = objectives("fr", read_document(data))
    assert "Postes concernés : conseiller·ère de vente." in sentences
    assert "Régions concernées : West." in sentences
    assert "Il faut au moins 90 jours d'ancienneté à la fin de la période." in sentences
    assert "Votre prime est plafonnée à 500,00 € par trimestre." in sentences
    assert any(s.startswith("Le total des primes de tous ne peut dépasser 10 000,00 €") for s in sentences)


def worked_line(hire: date = date(2020, 1, 1)) -> dict:
    spec = document().spec(1)
    figures = {
        ("nps", "store", "S1", "2026-Q3"): KpiFigure(Decimal("35.0"), 120, Decimal("14.2")),
        ("csat", "store", "S1", "2026-Q3"): KpiFigure(Decimal("86.25"), 80, Decimal("7.55")),
    }
    employee = EmployeeFacts(
        "H1", "sales_associate", Decimal(1), Decimal("30000.00"), hire, None, (AssignmentFact("S1", "West", hire),)
    )
    result = engine.compute_run(spec, Q3, [employee], figures)
    return engine.trace_to_dict(result.lines[0])


def explained(trace: dict, lang: str = "fr", **kwargs) -> list[str]:
    explanation = wording.explain_line(trace, lang, "EUR", **kwargs)
    return [plain(s) for _title, sentences in explanation.components for s in sentences] + [
        plain(s) for s in explanation.steps
    ]


def test_a_line_is_explained_so_the_sum_can_be_redone_by_hand():
    sentences = explained(worked_line(date(2026, 8, 1)))
    assert "Le NPS de votre magasin (S1), 2026-Q3 : 35,0 (n = 120, marge ± 14,2)." in sentences
    assert "Sur la courbe, 35 donne 62,5 %." in sentences
    assert "Poids 60 % : 62,5 % × 60 % = 37,5 points." in sentences
    assert "Réalisation pondérée : 77,5 %." in sentences
    assert (
        "Salaire de base de la période : 30 000,00 € × 3 / 12 = 7 500,00 € ; prime cible 5 % = 375,00 €." in sentences
    )
    assert any(
        s.startswith("Présence dans le magasin S1 : 61 jours sur 92, du 1 août 2026 au 30 septembre 2026")
        for s in sentences
    )
    assert "375,00 € × 77,5 % × 61 / 92 = 192,70 € (arrondi au centime)." in sentences
    assert "Montant de cette ligne : 192,70 €." in sentences


def test_the_whole_quarter_line_reads_290_63_in_english():
    sentences = explained(worked_line(), "en")
    assert "Amount of this line: €290.63." in sentences
    assert "Your store's NPS (S1), 2026-Q3: 35.0 (n = 120, margin ± 14.2)." in sentences


def test_a_fallback_is_explained():
    trace = worked_line()
    trace["components"][0].update(value="40.0", n=12, moe="30.1", measured=None, achievement="0", fallback_used="zero")
    sentences = explained(trace)
    assert "Moins de 30 réponses : cette part est versée à 0 %, comme prévu." in sentences


def test_adjustments_come_with_their_reason():
    sentences = explained(worked_line(), adjustments=[(Decimal("-2.70"), "arrondi convenu")])
    assert "Ajustement : -2,70 € (arrondi convenu)." in [s.replace("\u2212", "-") for s in sentences]


def test_numbers_are_rounded_half_up_before_babel():
    assert wording.number(Decimal("0.125"), "fr", 2) == "0,13"
    assert wording.money(Decimal("0.125"), "fr", "EUR").startswith("0,13")
    assert wording.as_printed(Decimal("35.0"), "fr") == "35,0"
