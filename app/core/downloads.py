"""File downloads: one response builder whose file name survives any character an employee number may hold."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from flask import Response

# Characters no file name should carry, whatever the system that saves it: path separators, quotes, controls.
UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\"]')
# RFC 5987 attr-char: what `filename*` may carry unescaped.
ATTR_CHARS = "!#$&+-.^_`|~"


def safe_filename(name: str) -> str:
    """The name with separators, quotes and control characters replaced by "_"."""
    return UNSAFE.sub("_", name).strip() or "download"


def ascii_filename(name: str) -> str:
    """An ASCII stand-in for old clients: accents dropped (é → e), every other non-ASCII letter as "_"."""
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c if c.isascii() else "_" for c in stripped)


def content_disposition(filename: str) -> str:
    """An `attachment` header value (RFC 6266): `filename` in ASCII, plus `filename*` in UTF-8 when needed."""
    name = safe_filename(filename)
    fallback = ascii_filename(name)
    value = f'attachment; filename="{fallback}"'
    if fallback != name:
        value += f"; filename*=UTF-8''{quote(name, safe=ATTR_CHARS)}"
    return value


def download(content: bytes | str, filename: str, mimetype: str, headers: dict[str, str] | None = None) -> Response:
    """A response that saves `content` as `filename` (headers are added as given)."""
    response = Response(content, mimetype=mimetype, headers=headers)
    response.headers["Content-Disposition"] = content_disposition(filename)
    return response
