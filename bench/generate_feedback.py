"""Write a large survey file for the import benchmark: 500 stores, N responses over 24 months, plus the stores.

    python bench/generate_feedback.py [--rows 1000000] [--stores 500] [--out DIR] [--seed 7]

Writes DIR/stores.csv (for `flask stores import`), DIR/employees.csv (one sales associate per store, for
`flask employees import`) and DIR/surveys-<rows>.csv in the columns of `flask surveys import`. Answers mix local
times and UTC times with a `Z`, about a quarter consent to contact (with a name and an e-mail), one in ten names the
employee who served, one in five leaves a comment (some with commas, quotes and accents).
"""

from __future__ import annotations

import argparse
import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

COLUMNS = (
    "external_id,store_code,answered_at,channel,nps,csat,ces,comment,employee_number,contact_consent,"
    "customer_name,customer_contact"
).split(",")
CHANNELS = ("email", "sms", "web", "kiosk", "receipt")
COMMENTS = (
    "Très bon accueil",
    "Long wait at the till, but friendly staff",
    'Le vendeur m\'a dit "revenez demain"',
    "Rayon vide, encore",
    "Parfait, merci !",
    "Prix trop élevés; qualité moyenne",
)
NAMES = ("Jean Martin", "Marie Dubois", "Luc Bernard", "Chloé Petit", "Hugo Robert", "Léa Richard")
START = datetime(2024, 11, 1)
SPAN_SECONDS = 730 * 24 * 3600


def store_code(number: int) -> str:
    return f"S{number:03d}"


def write_stores(out: Path, stores: int) -> Path:
    path = out / "stores.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["store_code", "name", "region", "opened_on"])
        for n in range(1, stores + 1):
            writer.writerow([store_code(n), f"Bench store {n}", f"Region {(n - 1) % 10 + 1:02d}", "2015-01-01"])
    return path


def write_employees(out: Path, stores: int) -> Path:
    path = out / "employees.csv"
    columns = (
        "employee_number,payroll_id,first_name,last_name,email,job_role,store_code,store_since,hire_date,"
        "exit_date,fte,annual_base_salary,cost_center,language,manages"
    ).split(",")
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for n in range(1, stores + 1):
            writer.writerow(
                [f"E{n:04d}", f"P{n:04d}", "Alex", f"Bench{n}", "", "sales_associate", store_code(n), "2020-01-01"]
                + ["2020-01-01", "", "1", "30000.00", "CC1", "fr", ""]
            )
    return path


def nps_score(rng: random.Random, store_bias: float) -> int:
    roll = rng.random() + store_bias
    if roll < 0.18:
        return rng.randint(0, 6)
    if roll < 0.45:
        return rng.randint(7, 8)
    return rng.randint(9, 10)


def write_surveys(out: Path, rows: int, stores: int, seed: int) -> Path:
    rng = random.Random(seed)
    biases = [rng.uniform(-0.1, 0.1) for _ in range(stores)]
    # Store sizes vary: some stores get many more answers than others.
    weights = [rng.choice((1, 1, 2, 3, 5)) for _ in range(stores)]
    path = out / f"surveys-{rows}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        store_numbers = rng.choices(range(1, stores + 1), weights=weights, k=min(rows, 100_000))
        for i in range(rows):
            store = store_numbers[i % len(store_numbers)]
            moment = START + timedelta(seconds=rng.randrange(SPAN_SECONDS))
            answered = moment.strftime("%Y-%m-%dT%H:%M:%S") + ("Z" if i % 4 == 0 else "")
            has_nps = rng.random() < 0.95
            nps = nps_score(rng, biases[store - 1]) if has_nps else ""
            csat = rng.choice((1, 2, 3, 4, 4, 5, 5, 5)) if (not has_nps or rng.random() < 0.6) else ""
            ces = rng.randint(1, 7) if rng.random() < 0.3 else ""
            comment = rng.choice(COMMENTS) if rng.random() < 0.2 else ""
            employee = f"E{store:04d}" if rng.random() < 0.1 else ""
            consent = rng.random() < 0.25
            name = rng.choice(NAMES) if consent else ""
            contact = f"client{i}@example.com" if consent else ""
            writer.writerow(
                [f"R{i + 1:08d}", store_code(store), answered, rng.choice(CHANNELS), nps, csat, ces, comment]
                + [employee, "yes" if consent else "no", name, contact]
            )
    return path


def generate(out: Path, rows: int, stores: int = 500, seed: int = 7) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    return {
        "stores": write_stores(out, stores),
        "employees": write_employees(out, stores),
        "surveys": write_surveys(out, rows, stores, seed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--stores", type=int, default=500)
    parser.add_argument("--out", type=Path, default=Path("bench/data"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    for kind, path in generate(args.out, args.rows, args.stores, args.seed).items():
        print(f"{kind}: {path}")


if __name__ == "__main__":
    main()
