"""Benchmark: bulk statement rendering against bare WeasyPrint rendering the same HTML in a process pool of the
same size (goal: ours ≥ 0.9× the bare throughput).

Ours is the whole bulk path from statement data to a ZIP: each statement's HTML built in this process (templates,
French/English formatting) and handed to the warm pool as soon as it is ready, PDFs collected in order and zipped.
The bare side is `HTML(string=…).write_pdf(stylesheets=[CSS(filename=…)])` per document in a plain
ProcessPoolExecutor. Both pools are started and warmed before timing; rounds alternate and the best of each counts.

    .venv/bin/python bench/bench_statements.py                    # 120 statements, one worker per CPU
    .venv/bin/python bench/bench_statements.py --statements 300 --workers 2 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.core.pdf import BASE_URL, STATIC  # noqa: E402
from app.incentives import engine  # noqa: E402
from app.incentives.scheme_format import read_document  # noqa: E402
from app.periods import Period  # noqa: E402
from app.reports.statements import bulk  # noqa: E402
from app.reports.statements.data import (  # noqa: E402
    AdjustmentView,
    EmployeeFacts,
    LineFacts,
    RunFacts,
    StatementData,
    build_statement_data,
)
from app.reports.statements.html import build_statement_html  # noqa: E402

EXAMPLE = ROOT / "examples" / "schemes" / "store-nps-csat.json"
FIRST = ["Inès", "Lucas", "Paul", "Camille", "Jade", "Hugo", "Léa", "Noah", "Zoé", "Louis"]
LAST = ["Garnier", "Martin", "Morel", "Dubois", "Lefèvre", "Roux", "Fontaine", "Chevalier", "Girard", "Bonnet"]


def statements(count: int) -> list[StatementData]:
    """`count` statements of the worked example over 12 stores: hires, a transfer every tenth, fr and en."""
    spec = read_document(json.loads(EXAMPLE.read_text(encoding="utf-8"))).spec(1)
    period = Period.parse("2026-Q3")
    codes = [f"S{i:02d}" for i in range(1, 13)]
    figures = {}
    for i, code in enumerate(codes):
        figures[("nps", "store", code, "2026-Q3")] = engine.KpiFigure(Decimal(f"{25 + i}.0"), 100 + i, Decimal("14.2"))
        figures[("csat", "store", code, "2026-Q3")] = engine.KpiFigure(Decimal(f"8{i % 10}.25"), 80, Decimal("7.55"))
    people = []
    for n in range(count):
        code = codes[n % len(codes)]
        hired = date(2026, 8, 1) if n % 7 == 0 else date(2020, 1, 1)
        stays = (engine.AssignmentFact(code, "West", hired),)
        if n % 10 == 9:
            other = codes[(n + 1) % len(codes)]
            stays = (
                engine.AssignmentFact(code, "West", hired, date(2026, 8, 16)),
                engine.AssignmentFact(other, "West", date(2026, 8, 17)),
            )
        people.append(
            engine.EmployeeFacts(
                f"E{n:05d}", "sales_associate", Decimal(1), Decimal(28000 + n * 10), hired, None, stays
            )
        )
    result = engine.compute_run(spec, period, people, figures)
    by_employee: dict[str, list[engine.LineResult]] = {}
    for line in result.lines:
        by_employee.setdefault(line.employee_number, []).append(line)
    run = RunFacts(
        42,
        "approved",
        spec.code,
        "Prime trimestrielle satisfaction client",
        1,
        "",
        "PRIME",
        "2026-Q3",
        period.start,
        period.end,
    )
    moment = datetime(2026, 10, 5, 9, 30, tzinfo=UTC)
    data = []
    for n, (number, lines) in enumerate(sorted(by_employee.items())):
        person = EmployeeFacts(n, number, f"P{n:05d}", FIRST[n % 10], LAST[(n // 10) % 10], "fr" if n % 3 else "en")
        adjustments = [AdjustmentView(Decimal("12.50"), "prime de tutorat")] if n % 11 == 0 else []
        data.append(
            build_statement_data(
                run,
                person,
                [
                    LineFacts(i, f"Magasin {line.store_code}", engine.trace_to_dict(line))
                    for i, line in enumerate(lines)
                ],
                adjustments,
                currency="EUR",
                company_name="Primo demo company",
                logo="logo.svg",
                question_hint="Une question ? Ouvrez « Ma prime » dans Primo.",
                generated_at=moment,
            )
        )
    return data


def _bare(html: str) -> bytes:
    from weasyprint import CSS, HTML

    return HTML(string=html, base_url=BASE_URL).write_pdf(stylesheets=[CSS(filename=str(STATIC / "statement.css"))])


def _noop() -> None:
    import weasyprint  # noqa: F401


def bare_round(pool: ProcessPoolExecutor, htmls: list[str]) -> float:
    start = time.perf_counter()
    sizes = sum(len(pdf) for pdf in pool.map(_bare, htmls))
    assert sizes > 0
    return time.perf_counter() - start


def ours_round(app, datas: list[StatementData], workers: int) -> float:
    start = time.perf_counter()
    with app.app_context():
        htmls = (build_statement_html(d) for d in datas)
        pdfs = bulk.render_ordered(htmls, size=workers)
        content = bulk.zip_documents((f"{d.filename_stem}.pdf", pdf) for d, pdf in zip(datas, pdfs, strict=True))
    assert content
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--statements", type=int, default=120)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    datas = statements(args.statements)
    with app.app_context():
        htmls = [build_statement_html(d) for d in datas]
    print(f"{len(datas)} statements, {args.workers} worker processes, {args.rounds} rounds each (best counts)")
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))

    bare_pool = ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn"))
    list(bare_pool.map(_bare, htmls[: args.workers]))  # start and warm the bare pool too
    ours_pool = bulk.get_pool(args.workers)
    list(bulk.render_ordered(htmls[: args.workers], size=args.workers))
    assert ours_pool is bulk.get_pool(args.workers)

    bare_times, ours_times = [], []
    for _ in range(args.rounds):
        bare_times.append(bare_round(bare_pool, htmls))
        ours_times.append(ours_round(app, datas, args.workers))
    bare_pool.shutdown()
    bulk.shutdown_pools()

    bare_rate = len(datas) / min(bare_times)
    ours_rate = len(datas) / min(ours_times)
    print(
        f"bare WeasyPrint pool : {bare_rate:6.2f} statements/s  (rounds: {', '.join(f'{t:.2f}s' for t in bare_times)})"
    )
    print(
        f"Primo bulk to ZIP    : {ours_rate:6.2f} statements/s  (rounds: {', '.join(f'{t:.2f}s' for t in ours_times)})"
    )
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    ratio = ours_rate / bare_rate
    print(f"ratio ours/bare throughput: {ratio:.2f}  (goal ≥ 0.90: {'met' if ratio >= 0.9 else 'NOT met'})")


if __name__ == "__main__":
    main()
