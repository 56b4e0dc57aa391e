"""The background queue (Huey): statement rendering runs here, never in a web worker.

    huey_consumer app.reports.queue.huey -w 2        # what scripts/run starts beside the web server

`PRIMO_QUEUE_URL` picks the broker: unset → `SqliteHuey` in the instance folder (`instance/queue.sqlite`), one
machine; `redis://host:6379/0` → `RedisHuey`, so consumers on several machines share the work; `memory://` → an
in-process queue nothing consumes (the default for TESTING apps, so tests never write to a real queue).

The Huey instance is built on first use (module attribute `huey`), and each job opens the Flask application
(`create_app()`, the same settings as the web server) for its database work. `init_app` makes every session put
the render jobs it created on the queue once it commits.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey.exceptions import RetryTask
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.reports import jobs

QUEUE_NAME = "primo"
NOTIFY_PENDING_KEY = "primo_notifications"  # app.notify.services.PENDING_KEY: notifications to queue on commit
WEBHOOK_PENDING_KEY = "primo_webhook_deliveries"  # app.webhooks.services.PENDING_KEY: deliveries to queue on commit

_lock = threading.Lock()
_state: dict[str, Any] = {"huey": None, "app": None}


def instance_dir() -> Path:
    """The instance folder create_app uses (PRIMO_INSTANCE_PATH, else instance/ beside the app package)."""
    return Path(os.environ.get("PRIMO_INSTANCE_PATH") or Path(__file__).resolve().parents[2] / "instance")


def default_url() -> str:
    return "sqlite:///" + str(instance_dir() / "queue.sqlite")


def make_huey(url: str | None = None) -> Huey:
    """A Huey instance for a queue URL, with Primo's tasks registered on it."""
    url = (url or default_url()).strip()
    if url.startswith(("redis://", "rediss://", "unix://")):
        huey: Huey = RedisHuey(QUEUE_NAME, url=url, results=False)
    elif url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey(QUEUE_NAME, filename=str(path), results=False)
    elif url == "memory://":
        huey = MemoryHuey(QUEUE_NAME, results=False)
    else:
        raise ValueError(f"PRIMO_QUEUE_URL: redis://…, sqlite:///path or memory://, not {url!r}")
    _register(huey)
    return huey


def _register(huey: Huey) -> None:
    # Retries cover a job picked up a moment before its row is visible (it is enqueued after the commit).
    huey.primo_render_job = huey.task(retries=2, retry_delay=2, name="render_job")(run_render_job)  # type: ignore
    # A notification retries itself with growing delays (RetryTask); these retries cover a row not yet visible.
    huey.primo_notify = huey.task(retries=2, retry_delay=2, name="notify")(run_notification)  # type: ignore
    # A webhook delivery likewise retries itself after a failed POST (1 min, 5 min, 30 min, 2 h).
    huey.primo_webhook = huey.task(retries=2, retry_delay=2, name="webhook")(run_webhook_delivery)  # type: ignore


def get_huey() -> Huey:
    """The process's queue: the one `use()` installed, else the one PRIMO_QUEUE_URL (or the default) names."""
    with _lock:
        if _state["huey"] is None:
            _state["huey"] = make_huey(os.environ.get("PRIMO_QUEUE_URL"))
        return _state["huey"]


def app_huey() -> Huey:
    """The queue a web request or CLI command enqueues into (an unconsumed in-memory one for TESTING apps)."""
    with _lock:
        if _state["huey"] is None:
            url = os.environ.get("PRIMO_QUEUE_URL") or current_app.config.get("PRIMO_QUEUE_URL")
            if not url and current_app.testing:
                url = "memory://"
            _state["huey"] = make_huey(url)
        return _state["huey"]


def use(huey: Huey | None, app: Flask | None = None) -> None:
    """Install a queue (and the app its jobs run in) for this process; `use(None)` forgets them."""
    with _lock:
        _state["huey"] = huey
        _state["app"] = app


def _app() -> Flask:
    with _lock:
        if _state["app"] is None:
            from app import create_app

            _state["app"] = create_app()
        return _state["app"]


def enqueue(job_id: int) -> None:
    """Put a render job on the queue (call after the job's row is committed)."""
    app_huey().primo_render_job(job_id)  # type: ignore[attr-defined]


def init_app(app: Flask) -> None:
    """Enqueue the render jobs a session created once it commits; forget them when it rolls back."""
    if not event.contains(Session, "after_commit", _enqueue_committed):
        event.listen(Session, "after_commit", _enqueue_committed)
        event.listen(Session, "after_rollback", _forget_rolled_back)


def _enqueue_committed(session: Session) -> None:
    for job_id in session.info.pop(jobs.PENDING_KEY, []):
        try:
            enqueue(job_id)
        except Exception:  # the broker is down: the job stays queued and HR can queue it again
            logging.getLogger(__name__).exception("render job %s could not be queued", job_id)
    for notification_id in session.info.pop(NOTIFY_PENDING_KEY, []):
        try:
            app_huey().primo_notify(notification_id)  # type: ignore[attr-defined]
        except Exception:  # the broker is down: the row stays pending and `flask notify send-due` sends it
            logging.getLogger(__name__).exception("notification %s could not be queued", notification_id)
    for delivery_id in session.info.pop(WEBHOOK_PENDING_KEY, []):
        try:
            app_huey().primo_webhook(delivery_id)  # type: ignore[attr-defined]
        except Exception:  # the broker is down: the delivery stays pending and `flask webhooks send-due` sends it
            logging.getLogger(__name__).exception("webhook delivery %s could not be queued", delivery_id)


def _forget_rolled_back(session: Session) -> None:
    session.info.pop(jobs.PENDING_KEY, None)
    session.info.pop(NOTIFY_PENDING_KEY, None)
    session.info.pop(WEBHOOK_PENDING_KEY, None)


def run_render_job(job_id: int) -> None:
    """The queued task: render a job's statements inside the application."""
    with _app().app_context():
        jobs.run_job(job_id)


def run_notification(notification_id: int) -> None:
    """The queued task: e-mail one notification; a server failure comes back later, after a growing delay."""
    from app.notify.services import RetryLater, deliver

    with _app().app_context():
        try:
            deliver(notification_id)
        except RetryLater as exc:
            raise RetryTask(str(exc), delay=exc.delay) from exc


def run_webhook_delivery(delivery_id: int) -> None:
    """The queued task: POST one webhook delivery; a failure comes back later, after a growing delay."""
    from app.notify.services import RetryLater
    from app.webhooks.services import deliver

    with _app().app_context():
        try:
            deliver(delivery_id)
        except RetryLater as exc:
            raise RetryTask(str(exc), delay=exc.delay) from exc


def __getattr__(name: str) -> Any:
    if name == "huey":
        return get_huey()
    raise AttributeError(name)
