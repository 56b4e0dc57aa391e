"""Locust scenario on the demo: employees, managers and HR each log in once, then walk their main pages.

`bench/bench_load.py` runs it headless against gunicorn and prints pages/s, p50 and p99. To run it by hand against
a seeded demo (paths with `{run}` etc. are filled from BENCH_PATHS, a JSON object `{role: [[name, path], …]}` that
bench_load.py writes; without it, from the database named by DATABASE_URL):

    locust -f bench/locustfile.py --headless -u 16 -r 16 -t 60s -H http://127.0.0.1:8000
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

from locust import HttpUser, between, task

sys.path.insert(0, str(Path(__file__).resolve().parent))
from journeys import DEMO_PASSWORD, JOURNEYS  # noqa: E402

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _paths() -> dict[str, list[tuple[str, str]]]:
    """Each role's pages with their placeholders filled."""
    if os.environ.get("BENCH_PATHS"):
        return {role: [tuple(page) for page in pages] for role, pages in json.loads(os.environ["BENCH_PATHS"]).items()}
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from journeys import resolve

    from app import create_app
    from app.extensions import db

    app = create_app({"SECRET_KEY": "bench"})
    with app.app_context():
        return {
            role: [(name, resolve(path, db.session, email)) for name, path in pages]
            for role, (email, pages) in JOURNEYS.items()
        }


PATHS = _paths()


class Journey(HttpUser):
    """One person: logs in once, then opens their role's pages, the first ones more often."""

    abstract = True
    role = ""
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        page = self.client.get("/login", name="login form")
        token = CSRF.search(page.text)
        email = JOURNEYS[self.role][0]
        data = {"email": email, "password": DEMO_PASSWORD, "csrf_token": token.group(1) if token else ""}
        with self.client.post("/login", data=data, name="log in", allow_redirects=False, catch_response=True) as r:
            if r.status_code != 302:
                r.failure(f"log in as {email}: {r.status_code}")

    @task
    def walk(self) -> None:
        for name, path in PATHS[self.role]:
            self.client.get(path, name=f"{self.role}: {name}")


class Employee(Journey):
    role = "employee"
    weight = 6


class Manager(Journey):
    role = "manager"
    weight = 2


class HR(Journey):
    role = "hr"
    weight = 1
