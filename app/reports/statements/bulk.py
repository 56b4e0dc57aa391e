"""Render many statements at once: a pool of worker processes that keep fonts and parsed CSS warm.

The parent builds each statement's HTML (templates and the message catalogue live there) and hands the text to the
pool as soon as it is built, so layout starts while the next statements are still being prepared; workers only turn
HTML into PDF bytes and never touch the database. Results come back in order, a bounded number in flight.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import threading
import zipfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from app.core import pdf
from app.reports.statements.pdf import STYLESHEETS

Progress = Callable[[int], None]

_lock = threading.Lock()
_pools: dict[int, ProcessPoolExecutor] = {}


def pool_size() -> int:
    """Worker processes per rendering process: PRIMO_RENDER_WORKERS, else one per CPU."""
    configured = os.environ.get("PRIMO_RENDER_WORKERS", "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return os.cpu_count() or 1


def _warm(stylesheets: tuple[str, ...]) -> None:
    """Worker start-up: parse the stylesheets and load the fonts once, by rendering a tiny document."""
    pdf.render_pdf("<p>Primo</p>", stylesheets)


def _render(html: str, stylesheets: tuple[str, ...]) -> bytes:
    return pdf.render_pdf(html, stylesheets)


def get_pool(size: int | None = None) -> ProcessPoolExecutor:
    """The process's pool of `size` warm workers, started on first use and kept for the life of the process.

    Workers are spawned, not forked: the web server and the queue consumer run threads, and a fork taken while
    another thread holds a lock (fontconfig, logging) can hang the child.
    """
    size = size or pool_size()
    with _lock:
        pool = _pools.get(size)
        if pool is None:
            pool = ProcessPoolExecutor(
                max_workers=size,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_warm,
                initargs=(STYLESHEETS,),
            )
            _pools[size] = pool
        return pool


def shutdown_pools() -> None:
    """Stop every pool this process started (tests and benchmarks call it; the process exit does otherwise)."""
    with _lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.shutdown(wait=True, cancel_futures=True)


def render_ordered(
    htmls: Iterable[str], *, size: int | None = None, progress: Progress | None = None
) -> Iterator[bytes]:
    """PDF bytes of each HTML document, in order, rendered by the pool with a bounded number in flight."""
    pool = get_pool(size)
    window = 4 * (size or pool_size())
    pending: deque[Future[bytes]] = deque()
    done = 0
    for html in htmls:
        pending.append(pool.submit(_render, html, STYLESHEETS))
        if len(pending) >= window:
            yield pending.popleft().result()
            done += 1
            if progress:
                progress(done)
    while pending:
        yield pending.popleft().result()
        done += 1
        if progress:
            progress(done)


def zip_documents(named: Iterable[tuple[str, bytes]]) -> bytes:
    """A ZIP of the named files, stored without recompression (PDFs are compressed already)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, content in named:
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def merge_html(htmls: Iterable[str], progress: Progress | None = None) -> bytes:
    """One PDF of every document's pages, laid out in this process (WeasyPrint merges laid-out pages only)."""
    documents = []
    for index, html in enumerate(htmls, start=1):
        documents.append(pdf.render_document(html, STYLESHEETS))
        if progress:
            progress(index)
    return pdf.merge_documents(documents)
