"""Primo: customer-satisfaction-indexed bonuses and recognition for store teams."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application: settings, extensions, blueprints, error handlers, commands."""
    # Imported here, so that the pure modules (app.money, app.periods…) load without Flask.
    from flask import Flask
    from werkzeug.middleware.proxy_fix import ProxyFix

    from app import config as settings

    # PRIMO_INSTANCE_PATH moves the instance folder (config.py, the SQLite file) out of the checkout.
    app = Flask(__name__, instance_relative_config=True, instance_path=os.environ.get("PRIMO_INSTANCE_PATH") or None)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    settings.load(app, config)
    if app.config["PRIMO_PROXY_COUNT"]:
        # Behind N reverse proxies, the client's address and scheme are what the Nth one from us reports.
        proxies = app.config["PRIMO_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    settings.compile_translations(app)
    register_extensions(app)
    register_blueprints(app)
    register_commands(app)
    from app.core.web import check_declared_access

    check_declared_access(app)
    return app


def register_extensions(app: Flask) -> None:
    from app import models  # noqa: F401  (every table known to Alembic and create_all)
    from app.core import web
    from app.extensions import csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    # Access checks run before CSRF, so strangers are sent to the login page rather than told about tokens.
    web.init_app(app)
    csrf.init_app(app)
    from app.auth import limiting, sessions
    from app.reports import queue

    sessions.init_app(app)
    limiting.init_app(app)
    queue.init_app(app)


def register_blueprints(app: Flask) -> None:
    from app.absences.routes import bp as absences_bp
    from app.audit.routes import bp as audit_bp
    from app.auth.routes import bp as auth_bp
    from app.core.routes import bp as core_bp
    from app.feedback.blueprint import bp as feedback_bp
    from app.incentives.blueprint import bp as incentives_bp
    from app.mappings.routes import bp as mappings_bp
    from app.notify.routes import bp as notify_bp
    from app.org.routes import bp as org_bp
    from app.pulse.routes import bp as pulse_bp
    from app.recognition.blueprint import bp as recognition_bp
    from app.reports.blueprint import bp as reports_bp
    from app.webhooks.routes import bp as webhooks_bp

    for blueprint in (
        core_bp,
        auth_bp,
        org_bp,
        absences_bp,
        feedback_bp,
        mappings_bp,
        incentives_bp,
        recognition_bp,
        reports_bp,
        audit_bp,
        pulse_bp,
        notify_bp,
        webhooks_bp,
    ):
        app.register_blueprint(blueprint)
    from app.api import spec

    spec.init_app(app)


def register_commands(app: Flask) -> None:
    from app.absences.cli import absences_cli
    from app.auth.cli import users_cli
    from app.core.seed import seed_demo
    from app.feedback import cli_ingest  # noqa: F401  (adds its commands to the surveys and feedback groups)
    from app.feedback.cli import feedback_cli, surveys_cli
    from app.feedback.cli_fairplay import engagement_cli, invitations_cli
    from app.feedback.cli_kpis import kpis_cli
    from app.incentives.cli import interessement_cli, runs_cli, schemes_cli
    from app.notify.cli import notify_cli
    from app.org.cli import employees_cli, stores_cli
    from app.pulse.cli import pulse_cli
    from app.recognition.cli import badges_cli, budgets_cli, points_cli
    from app.recognition.cli_rules import challenges_cli  # also adds `points rules` to the points group
    from app.reports.cli import payroll_cli, statements_cli
    from app.webhooks.cli import webhooks_cli

    for command in (
        users_cli,
        stores_cli,
        employees_cli,
        absences_cli,
        surveys_cli,
        feedback_cli,
        kpis_cli,
        engagement_cli,
        invitations_cli,
        schemes_cli,
        runs_cli,
        interessement_cli,
        budgets_cli,
        points_cli,
        badges_cli,
        challenges_cli,
        statements_cli,
        payroll_cli,
        pulse_cli,
        notify_cli,
        webhooks_cli,
        seed_demo,
    ):
        app.cli.add_command(command)
