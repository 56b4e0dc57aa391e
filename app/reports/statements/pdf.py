"""The statement as PDF bytes: its HTML document through the static-only WeasyPrint renderer."""

from __future__ import annotations

from app.core.pdf import StaticOnlyFetcher, render_pdf
from app.reports.statements.data import StatementData
from app.reports.statements.html import build_statement_html

STYLESHEETS = ("statement.css",)


def build_statement_pdf(data: StatementData, fetcher: StaticOnlyFetcher | None = None) -> bytes:
    """The statement as PDF bytes; the logo and styles may only come from app/static."""
    return render_pdf(build_statement_html(data), stylesheets=STYLESHEETS, fetcher=fetcher)
