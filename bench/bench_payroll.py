"""Benchmark: the payroll xlsx (sheets `data` and `control`, neutralised text, 2-decimal amount cells, date cells,
SHA-256 of the rows) against openpyxl's write-only mode writing the same rows bare (goal: ours ≤ 1.3× bare).

    .venv/bin/python bench/bench_payroll.py                   # 10 000 rows, 5 rounds each (best counts)
    .venv/bin/python bench/bench_payroll.py --rows 50000 --rounds 3
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from openpyxl import Workbook  # noqa: E402

from app.periods import Period  # noqa: E402
from app.reports.payroll import COLUMNS, PayrollFile, PayrollRow, build_payroll_xlsx  # noqa: E402

LAST = ["Garnier", "Martin", "=Morel", "Dubois", "Lefèvre", "Roux", "Fontaine", "Chevalier", "Girard", "Bonnet"]


def rows(count: int) -> tuple[PayrollRow, ...]:
    period = Period.parse("2026-Q3")
    return tuple(
        PayrollRow(
            f"P{n:06d}",
            f"E{n:06d}",
            LAST[n % 10],
            "Camille",
            "PRIME_SATISF",
            Decimal(n % 50_000) / 100,
            "EUR",
            period.start,
            period.end,
            f"CC{n % 40:02d}",
            42,
        )
        for n in range(count)
    )


def bare(data: tuple[PayrollRow, ...]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("data")
    sheet.append(COLUMNS)
    for r in data:
        sheet.append(
            (
                r.payroll_id,
                r.employee_number,
                r.last_name,
                r.first_name,
                r.pay_code,
                r.amount,
                r.currency,
                r.period_start,
                r.period_end,
                r.cost_center,
                r.run_id,
            )
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def timed(fn, *args) -> float:
    start = time.perf_counter()
    assert fn(*args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    data = rows(args.rows)
    payroll = PayrollFile("run", "2026-Q3", 42, data)
    bare_times, ours_times = [], []
    for _ in range(args.rounds):
        bare_times.append(timed(bare, data))
        ours_times.append(timed(build_payroll_xlsx, payroll))
    best_bare, best_ours = min(bare_times), min(ours_times)
    print(f"{args.rows} rows, {args.rounds} rounds each (best counts)")
    print(f"openpyxl write-only, bare : {best_bare:.3f} s")
    print(f"Primo payroll xlsx        : {best_ours:.3f} s")
    ratio = best_ours / best_bare
    print(f"ratio ours/bare time: {ratio:.2f}  (goal ≤ 1.30: {'met' if ratio <= 1.3 else 'NOT met'})")


if __name__ == "__main__":
    main()
