"""Fixtures for real-browser tests: a live server for the test app and a headless Chromium driving it.

Every test in this folder is marked `browser`. The live server serves the same `app` the test holds,
so data a test creates (for instance with `seed-demo`) is what the browser sees.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BROWSER_DIR = Path(__file__).parent
DEMO_PASSWORD = "primo-demo"  # every user of `flask seed-demo`

__all__ = ["DEMO_PASSWORD", "log_in"]


def log_in(page, base_url: str, email: str, password: str = PASSWORD, next_path: str | None = None) -> None:
    """Log in through the login form (then land on `next_path` when given, which is checked)."""
    page.goto(f"{base_url}/login" + (f"?next={next_path}" if next_path else ""))
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', password)
    with page.expect_navigation():
        page.click('form:has(input[name="password"]) button[type="submit"]')
    if next_path:
        assert page.url == f"{base_url}{next_path}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test collected from this folder as a browser test."""
    for item in items:
        if BROWSER_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Serve `app` on a free local port in a background thread; yield its base URL (no trailing slash)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium (the system one) for the whole session."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    """A fresh page in its own context (no cookies shared between tests)."""
    context = browser.new_context()
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def console_errors(page) -> list[str]:
    """Console errors and uncaught page errors seen on `page` (CSP violations land here)."""
    errors: list[str] = []

    def on_console(message) -> None:
        if message.type != "error":
            return
        where = message.location.get("url", "")
        errors.append(f"{message.text} ({where})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    return errors


@pytest.fixture
def seeded(seed_demo) -> None:
    """The demo company and its six users (`flask seed-demo`)."""
    result = seed_demo()
    assert result.exit_code == 0, result.output + repr(result.exception)
