"""Render HTML to PDF bytes with WeasyPrint, fetching nothing but the app's own static files.

One FontConfiguration and the parsed stylesheets are reused across documents (parsing CSS and loading fonts
dominate the cost of a one-page statement). Builders pass HTML in and get bytes out; they know nothing of HTTP.
"""

from __future__ import annotations

import mimetypes
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

STATIC = Path(__file__).resolve().parents[1] / "static"  # app/static
BASE_URL = STATIC.as_uri() + "/"  # relative URLs in documents resolve into app/static


class BlockedFetch(ValueError):
    """A document asked for something outside the app's static files; it is not fetched."""


class StaticOnlyFetcher(URLFetcher):
    """Serve file URLs inside app/static from disk; refuse every other URL (http, data, other files).

    WeasyPrint 70 needs a URLFetcher subclass here: a plain function is refused.
    """

    def __init__(self) -> None:
        super().__init__(allowed_protocols=())
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:  # type: ignore[override]
        path = self._local_path(url)
        if path is None:
            self.refused.append(url)
            raise BlockedFetch(f"not fetched: {url}")
        mime, _ = mimetypes.guess_type(path.name)
        return URLFetcherResponse(
            url, body=path.read_bytes(), headers={"Content-Type": mime or "application/octet-stream"}
        )

    @staticmethod
    def _local_path(url: str) -> Path | None:
        if not url.startswith("file://"):
            return None
        candidate = Path(unquote(urlsplit(url).path)).resolve()
        if STATIC not in candidate.parents or not candidate.is_file():
            return None
        return candidate


_local = threading.local()


def _font_config() -> FontConfiguration:
    if not hasattr(_local, "fonts"):
        _local.fonts = FontConfiguration()
        _local.stylesheets = {}
    return _local.fonts


def stylesheet(name: str) -> CSS:
    """A stylesheet from app/static, parsed once per thread (or process) and reused."""
    fonts = _font_config()
    if name not in _local.stylesheets:
        _local.stylesheets[name] = CSS(
            string=(STATIC / name).read_text(encoding="utf-8"),
            base_url=BASE_URL,
            url_fetcher=StaticOnlyFetcher(),
            font_config=fonts,
        )
    return _local.stylesheets[name]


def render_pdf(html: str, stylesheets: tuple[str, ...] = (), fetcher: StaticOnlyFetcher | None = None) -> bytes:
    """Turn a document's HTML into PDF bytes; images and styles may only come from app/static."""
    fonts = _font_config()
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher or StaticOnlyFetcher())
    return document.write_pdf(stylesheets=[stylesheet(name) for name in stylesheets], font_config=fonts)


def render_document(html: str, stylesheets: tuple[str, ...] = (), fetcher: StaticOnlyFetcher | None = None):
    """Lay a document out without writing it, so that several can be merged into one PDF."""
    fonts = _font_config()
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher or StaticOnlyFetcher())
    return document.render(stylesheets=[stylesheet(name) for name in stylesheets], font_config=fonts)


def merge_documents(documents: list) -> bytes:
    """Write the pages of several laid-out documents as one PDF (each keeps its own page numbering)."""
    if not documents:
        raise ValueError("nothing to merge")
    pages = [page for document in documents for page in document.pages]
    return documents[0].copy(pages).write_pdf()
