"""Bulk statements: a ZIP of PDFs or one merged PDF (all, or one store's), rendered by the warm process pool, as
a queued job with progress, and by a real Huey consumer storing an approved run's statements."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.reports import jobs, queue
from app.reports.models import RenderJob, StatementDocument
from app.reports.statements import bulk
from tests.conftest import csrf_token, login

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fresh_queue():
    queue.use(None)
    yield
    queue.use(None)


@pytest.fixture(scope="module", autouse=True)
def _stop_pools():
    yield
    bulk.shutdown_pools()


def _pages(content: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=content, capture_output=True, check=True).stdout.decode()
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def test_cli_bulk_writes_a_zip_of_every_statement_by_store(runner, paid_run, tmp_path: Path, pdf_text):
    out = tmp_path / "all.zip"
    result = runner.invoke(args=["statements", "bulk", str(paid_run.id), "--out", str(out)])
    assert result.exit_code == 0, result.output + result.stderr
    assert "3/3" in result.stderr  # progress
    with zipfile.ZipFile(out) as archive:
        names = sorted(archive.namelist())
        assert names == [
            f"S1/statement-{paid_run.id}-H1.pdf",
            f"S1/statement-{paid_run.id}-W1.pdf",
            f"S2/statement-{paid_run.id}-M1.pdf",
        ]
        assert "290,63" in pdf_text(archive.read(f"S1/statement-{paid_run.id}-W1.pdf"))


def test_cli_bulk_merges_one_pdf_and_filters_by_store(runner, paid_run, tmp_path: Path, pdf_text):
    merged = tmp_path / "all.pdf"
    result = runner.invoke(args=["statements", "bulk", str(paid_run.id), "--out", str(merged), "--format", "pdf"])
    assert result.exit_code == 0, result.stderr
    text = pdf_text(merged.read_bytes())
    assert "290,63" in text and "192.70" in text and "Mia Mover" in text
    assert _pages(merged.read_bytes()) >= 3
    one = tmp_path / "s2.zip"
    result = runner.invoke(args=["statements", "bulk", str(paid_run.id), "--out", str(one), "--store", "S2"])
    assert result.exit_code == 0
    assert zipfile.ZipFile(one).namelist() == [f"S2/statement-{paid_run.id}-M1.pdf"]
    result = runner.invoke(args=["statements", "bulk", str(paid_run.id), "--out", str(one), "--store", "ZZ"])
    assert result.exit_code == 1 and "no statement in store ZZ" in result.stderr


def test_bulk_of_an_approved_run_uses_the_stored_copies(runner, paid_run, paid_world, tmp_path: Path):
    from app.reports.statements import documents

    stored = documents.obtain(paid_run, paid_world["whole"], "pdf").content
    db.session.commit()
    out = tmp_path / "all.zip"
    assert runner.invoke(args=["statements", "bulk", str(paid_run.id), "--out", str(out)]).exit_code == 0
    assert zipfile.ZipFile(out).read(f"S1/statement-{paid_run.id}-W1.pdf") == stored


def test_a_bulk_job_queued_from_the_page_shows_progress_and_its_file(app, paid_run, paid_world, company_settings):
    client = app.test_client()
    login(client, "pay@test.example")
    page = f"/runs/{paid_run.id}/statements"
    assert client.get(page).status_code == 200
    response = client.post(f"{page}/bulk", data={"fmt": "zip", "store": "", "csrf_token": csrf_token(client, page)})
    assert response.status_code == 302, response.get_data(as_text=True)
    job = db.session.scalar(sa.select(RenderJob).where(RenderJob.kind != "store"))  # approval queued a "store" job too
    assert (job.kind, job.status, job.total, job.requested_by) == ("zip", "queued", 3, "pay@test.example")
    progress = client.get(f"/runs/{paid_run.id}/render-jobs").get_json()
    assert progress["jobs"][0]["status"] == "queued" and progress["jobs"][0]["download_url"] is None

    jobs.run_job(job.id)  # what the consumer does

    progress = client.get(f"/runs/{paid_run.id}/render-jobs").get_json()["jobs"][0]
    assert (progress["status"], progress["done"], progress["total"]) == ("done", 3, 3)
    download = client.get(progress["download_url"])
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert len(zipfile.ZipFile(io.BytesIO(download.data)).namelist()) == 3
    # Another user's job is not theirs to see, unless they see every run.
    login(boss := app.test_client(), "boss@test.example")
    assert boss.get(progress["download_url"]).status_code == 404
    assert boss.get(f"/runs/{paid_run.id}/render-jobs").status_code == 404  # managers read no statements yet
    company_settings(managers_read_statements=True)
    assert boss.get(progress["download_url"]).status_code == 404
    assert boss.get(f"/runs/{paid_run.id}/render-jobs").get_json()["jobs"] == []


def _bulk_jobs() -> list[RenderJob]:
    return list(db.session.scalars(sa.select(RenderJob).where(RenderJob.kind != "store").order_by(RenderJob.id)))


def test_a_manager_renders_only_their_stores(app, paid_run, company_settings):
    company_settings(managers_read_statements=True)
    client = app.test_client()
    login(client, "boss@test.example")
    page = f"/runs/{paid_run.id}/statements"
    body = client.get(page).get_data(as_text=True)
    assert "Mia" in body and "Wanda" not in body
    token = csrf_token(client, page)
    refused = client.post(f"{page}/bulk", data={"fmt": "zip", "store": "S1", "csrf_token": token})
    assert refused.status_code == 404 and _bulk_jobs() == []
    accepted = client.post(f"{page}/bulk", data={"fmt": "pdf", "store": "S2", "csrf_token": token})
    assert accepted.status_code == 302
    assert [(j.store_code, j.store_codes) for j in _bulk_jobs()] == [("S2", ["S2"])]


@pytest.mark.parametrize("store", ["", None, "  "])
def test_a_manager_asking_for_no_store_gets_their_stores_never_the_whole_company(
    app, paid_run, company_settings, store
):
    company_settings(managers_read_statements=True)
    client = app.test_client()
    login(client, "boss@test.example")  # manages S2, where only Mia (M1) has a line
    page = f"/runs/{paid_run.id}/statements"
    data = {"fmt": "zip", "csrf_token": csrf_token(client, page)} | ({"store": store} if store is not None else {})
    assert client.post(f"{page}/bulk", data=data).status_code == 302
    [job] = _bulk_jobs()
    assert (job.store_codes, job.total) == (["S2"], 1)
    jobs.run_job(job.id)
    download = client.get(f"/render-jobs/{job.id}/download")
    assert download.status_code == 200
    assert zipfile.ZipFile(io.BytesIO(download.data)).namelist() == [f"S2/statement-{paid_run.id}-M1.pdf"]


def test_a_manager_of_a_whole_region_gets_all_its_stores_for_no_store(
    app, paid_run, paid_world, make_employee, make_user, company_settings
):
    company_settings(managers_read_statements=True)
    regional = make_employee(paid_world["s1"], number="R1", manages=[paid_world["s1"].region])
    make_user("regional@test.example", "manager", employee=regional)
    client = app.test_client()
    login(client, "regional@test.example")
    page = f"/runs/{paid_run.id}/statements"
    assert "All my stores" in client.get(page).get_data(as_text=True)
    assert client.post(f"{page}/bulk", data={"fmt": "zip", "csrf_token": csrf_token(client, page)}).status_code == 302
    assert [(j.store_code, j.store_codes, j.total) for j in _bulk_jobs()] == [(None, ["S1", "S2"], 3)]


def test_a_manager_bulk_renders_nothing_while_the_company_keeps_statements_from_managers(app, paid_run):
    client = app.test_client()
    login(client, "boss@test.example")
    page = f"/runs/{paid_run.id}/statements"
    token = csrf_token(client, "/")
    for store in ("", "S2", "S1"):
        assert client.post(f"{page}/bulk", data={"fmt": "zip", "store": store, "csrf_token": token}).status_code == 404
    assert client.get(page).status_code == 404
    assert _bulk_jobs() == []


def test_a_managers_whole_run_job_made_before_the_fix_cannot_be_downloaded(app, paid_run, company_settings):
    company_settings(managers_read_statements=True)
    job = jobs.create_job(paid_run, "zip", requested_by="boss@test.example")  # what the old form let through
    db.session.commit()
    jobs.run_job(job.id)
    client = app.test_client()
    login(client, "boss@test.example")
    assert client.get(f"/render-jobs/{job.id}/download").status_code == 404


@pytest.mark.parametrize("who", ["hr1@test.example", "pay@test.example"])
def test_hr_and_payroll_asking_for_no_store_get_every_statement_of_the_run(app, paid_run, who):
    client = app.test_client()
    login(client, who)
    page = f"/runs/{paid_run.id}/statements"
    assert (
        client.post(
            f"{page}/bulk", data={"fmt": "zip", "store": "", "csrf_token": csrf_token(client, page)}
        ).status_code
        == 302
    )
    assert [(j.store_codes, j.total) for j in _bulk_jobs()] == [(None, 3)]


def test_a_failed_job_says_why(app, paid_run):
    job = jobs.create_job(paid_run, "zip", requested_by="hr1@test.example")
    db.session.commit()
    paid_run_id = paid_run.id
    db.session.execute(sa.update(RenderJob).where(RenderJob.id == job.id).values(kind="pdf", store_codes=["NOPE"]))
    db.session.commit()
    jobs.run_job(job.id)
    db.session.expire_all()
    failed = db.session.get(RenderJob, job.id)
    assert failed.status == "failed" and "NOPE" in failed.error and failed.run_id == paid_run_id


def test_queue_statements_for_refuses_an_unapproved_run(paid_world, runner, make_run):
    run = make_run("submitted")
    with pytest.raises(jobs.JobError, match="approved"):
        jobs.queue_statements_for(run)


def test_a_real_huey_worker_stores_the_statements_of_an_approved_run(
    app, paid_run, paid_world, tmp_path: Path, pdf_text
):
    """Approval queues the job; a huey_consumer process renders and stores both formats with their SHA-256."""
    url = "sqlite:///" + str(tmp_path / "queue.sqlite")
    queue.use(queue.make_huey(url), app)
    job = jobs.queue_statements_for(paid_run)
    assert job.total == 3
    db.session.commit()  # the job reaches the queue only now
    assert len(queue.get_huey()) == 1

    env = {
        **os.environ,
        "PRIMO_QUEUE_URL": url,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "test-secret",
        "PRIMO_INSTANCE_PATH": str(tmp_path / "instance"),
        "PRIMO_RENDER_WORKERS": "1",
    }
    consumer = subprocess.Popen(
        [sys.executable, "-m", "huey.bin.huey_consumer", "app.reports.queue.huey", "-w", "1", "-q"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        status = "queued"
        while time.monotonic() < deadline:
            db.session.rollback()  # end the read transaction so the worker can write (SQLite)
            status = db.session.scalar(sa.select(RenderJob.status).where(RenderJob.id == job.id))
            if status in ("done", "failed"):
                break
            time.sleep(0.3)
        finished = db.session.get(RenderJob, job.id)
        db.session.refresh(finished)
        assert finished.status == "done", (finished.status, finished.error)
        assert (finished.done, finished.total) == (3, 3)
    finally:
        consumer.send_signal(signal.SIGTERM)
        try:
            consumer.wait(timeout=30)
        except subprocess.TimeoutExpired:
            consumer.kill()
            consumer.wait()
        consumer.stderr.close()
    documents_ = db.session.scalars(sa.select(StatementDocument)).all()
    assert sorted(d.format for d in documents_) == ["pdf"] * 3 + ["xlsx"] * 3
    assert all(hashlib.sha256(d.content).hexdigest() == d.sha256 for d in documents_)
    whole_id = paid_world["whole"].id
    stored = next(d for d in documents_ if d.employee_id == whole_id and d.format == "pdf")
    assert "290,63" in pdf_text(stored.content)
    client = app.test_client()
    login(client, "whole@test.example")
    assert client.get(f"/runs/{paid_run.id}/statement/{whole_id}.pdf").data == stored.content
