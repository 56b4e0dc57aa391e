"""The API reference page in Chromium: the operations are read from the OpenAPI document by the local script,
under the site's CSP (no CDN, no inline script)."""

from __future__ import annotations


def test_api_docs_page_lists_every_operation_from_local_files(live_server, page, console_errors):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server}/api/v1/docs")
    operations = page.locator('[data-test="api-operation"]')
    operations.first.wait_for()
    titles = operations.locator("h2").all_inner_texts()
    spec = page.request.get(f"{live_server}/api/v1/openapi.json").json()
    methods = {"get", "post", "put", "patch", "delete"}
    expected = sum(len(methods.intersection(item)) for item in spec["paths"].values())
    assert len(titles) == expected
    assert "POST /api/v1/employees/bulk" in titles
    assert all(url.startswith(live_server) for url in requested), requested
    assert console_errors == []
