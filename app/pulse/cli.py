"""`flask pulse create|close|results|links`: eNPS pulse surveys from the command line."""

from __future__ import annotations

import csv
import io

import click
from flask import g
from flask.cli import AppGroup

from app.core import jsonout
from app.core.cli_support import fail
from app.extensions import db
from app.periods import PeriodError
from app.pulse import results as pulse_results
from app.pulse import services
from app.pulse.models import PulseError, PulseSurvey

pulse_cli = AppGroup("pulse", help="eNPS pulse surveys.")


def _survey(survey_id: int) -> PulseSurvey:
    survey = services.get_survey(survey_id)
    if survey is None:
        fail(f"no pulse survey {survey_id}")
    return survey


def _wording(text: str, what: str) -> services.Wording:
    french, sep, english = text.partition("::")
    if not sep:
        fail(f"{what}: write the French text, then ::, then the English text")
    return services.Wording(french, english)


@pulse_cli.command("create")
@click.option("--name", required=True)
@click.option("--period", required=True, help="YYYY-MM, YYYY-Qn or YYYY.")
@click.option("--store", "stores", multiple=True, help="A store code (repeat); none: the whole company.")
@click.option("--enps", "enps_text", help="The eNPS question as 'French::English' (default: the standard one).")
@click.option("--question", "questions", multiple=True, help="An optional 1–5 question, 'French::English' (≤ 5).")
def create(name: str, period: str, stores: tuple[str, ...], enps_text: str | None, questions: tuple[str, ...]) -> None:
    """Open a pulse survey; print its id last."""
    g.primo_actor_label = "cli"
    enps = _wording(enps_text, "--enps") if enps_text else None
    items = [_wording(q, f"--question {i}") for i, q in enumerate(questions, 1)]
    try:
        survey = services.create_survey(name, period, stores, enps=enps, items=items)
    except (PulseError, PeriodError) as exc:
        fail(str(exc))
    db.session.commit()
    click.echo(f"Pulse survey opened for {len(survey.stores)} store(s): {survey.name} ({survey.period}).")
    click.echo(survey.id)


@pulse_cli.command("close")
@click.argument("survey_id", type=int)
def close(survey_id: int) -> None:
    """Close a survey: answers can no longer be given or changed."""
    g.primo_actor_label = "cli"
    survey = _survey(survey_id)
    try:
        services.close_survey(survey)
    except PulseError as exc:
        fail(str(exc))
    db.session.commit()
    click.echo(f"Pulse survey {survey.id} closed.")


@pulse_cli.command("results")
@click.argument("survey_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def results(survey_id: int, as_json: bool) -> None:
    """Print a survey's eNPS with n and margin, per store; groups under 5 answers are hidden."""
    res = pulse_results.results(_survey(survey_id))
    data = pulse_results.as_json(res)
    if as_json:
        click.echo(jsonout.dumps(data))
        return
    click.echo(f"{res.survey.name} ({res.survey.period}, {res.survey.status})")
    rows = [("company", res.company)]
    for region in res.regions:
        rows.append((f"  {region.key}", region))
        rows += [(f"    {f.key}", f) for r, f in res.stores if r == region.key]
    click.echo(f"{'group':36} {'eNPS':>7} {'±95 %':>7} {'n':>5}")
    for label, figure in rows:
        r = figure.result
        if r is None:
            click.echo(f"{label:36} {'not enough answers':>21}")
        else:
            click.echo(f"{label:36} {r.nps!s:>7} {r.moe!s:>7} {r.n:>5}")


@pulse_cli.command("links")
@click.argument("survey_id", type=int)
@click.option("--base-url", default="", help="Prefix for the links, e.g. https://primo.example.com")
def links(survey_id: int, base_url: str) -> None:
    """Print each invited employee's personal link (CSV: employee_number,email,link) for a mail merge."""
    survey = _survey(survey_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["employee_number", "email", "link"])
    for employee in services.invited(survey):
        token = services.personal_token(survey, employee)
        writer.writerow([employee.number, employee.email or "", f"{base_url.rstrip('/')}/pulse/link/{token}"])
    click.echo(out.getvalue(), nl=False)
