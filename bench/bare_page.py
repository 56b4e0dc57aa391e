"""The load bench's yardstick: a bare Flask + Jinja page of about the size of Primo's main pages (15 KB), no database.

gunicorn -w 1 -b 127.0.0.1:8001 --chdir bench bare_page:app
"""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><header><nav>{% for link in links %}<a href="/{{ link }}">{{ link|title }}</a> {% endfor %}</nav></header>
<main><h1>{{ title }}</h1>
<table><thead><tr><th>Period</th><th>Store</th><th>KPI</th><th>Value</th><th>Amount</th></tr></thead><tbody>
{% for row in rows %}<tr><td>{{ row.period }}</td><td>{{ row.store }}</td><td>{{ row.kpi }}</td>
<td>{{ "%.1f"|format(row.value) }}</td><td>{{ "%.2f"|format(row.amount) }} €</td></tr>
{% endfor %}</tbody></table></main></body></html>"""
ROWS = [
    {"period": f"2026-Q{i % 4 + 1}", "store": f"Store S{i % 12:02d}", "kpi": "NPS", "value": 30 + i / 7, "amount": i}
    for i in range(165)
]
LINKS = ["home", "my/bonus", "my/statements", "recognition", "dashboard", "cases", "runs"]
# Compiled once, as Flask's template loader caches a template file: `render_template_string` would compile the
# source on every request (about 10 ms here), which no real page pays.
TEMPLATE = app.jinja_env.from_string(PAGE)


@app.get("/")
def page():
    """One page rendered from its template, the way a view without queries would."""
    return TEMPLATE.render(title="A bare page", rows=ROWS, links=LINKS)
