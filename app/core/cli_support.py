"""Helpers shared by the CLI commands: read a file, print problems on stderr, exit non-zero."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click
from flask import current_app
from flask_babel import force_locale

from app.core.tabular import ImportRejected
from app.extensions import db


def fail(message: str) -> NoReturn:
    """Print a message on stderr and stop with exit code 1, writing nothing."""
    db.session.rollback()
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def fail_import(exc: ImportRejected) -> NoReturn:
    """Print every problem of a rejected file, in the company's language, and stop with exit code 1."""
    db.session.rollback()
    with force_locale(current_app.config["PRIMO_DEFAULT_LANGUAGE"]):  # no user here: the company's language
        for error in exc.errors:
            click.echo(f"Error: {error}", err=True)
        click.echo(f"Error: {exc}", err=True)
    sys.exit(1)


def read_bytes(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")
