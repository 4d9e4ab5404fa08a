"""Rules-as-code speed: a batch of 1,000,000 cases through a rule set of 30 rules with every
trace kept (target < 60 s), and one decision with its plain-language explanation (target < 10 ms).

    PYTHONPATH=src python bench/decisions_rules.py [--cases 1000000] [--runs 3]

No peer runs beside it: OpenFisca, the reference for vectorised rules-as-code, is AGPL-licensed
and is not installed in this project (used as a reference for behaviour only); Catala compiles to
OCaml/Python but is not packaged for this environment; DMN engines (Camunda) are JVM services.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

import numpy as np

from civicflow.decisions import EXAMPLES, load_ruleset, parse_ruleset

ON = dt.date(2026, 3, 1)


def thirty_rules() -> str:
    """A 30-rule benefit rule set: conditions, scale lookups, tapers, amounts, dated rules."""
    ref = "{act: Bench Act, article: art. %d}"
    rules: list[tuple[str, str]] = [
        ("limit", "income_limit[household_size]"),
        ("savings_cap", "savings_limit[household_size]"),
        ("adult", "age >= minimum_age"),
        ("pensioner", "age >= pension_age"),
        ("resident_ok", "resident and years_resident >= min_years"),
        ("income_ok", "income <= limit"),
        ("savings_ok", "savings <= savings_cap"),
        ("not_student", "not student or children > 0"),
        ("region_ok", "region in ['north', 'south', 'east', 'west']"),
        ("rent_share", "where(income > 0, rent / income, 1)"),
        ("high_rent", "rent_share > 0.35"),
        ("conditions", "adult and resident_ok and income_ok and savings_ok"),
        ("eligible", "conditions and not_student and region_ok"),
        ("base", "base_amount + where(pensioner, pension_supplement, 0)"),
        ("child_part", "children * child_supplement"),
        ("rent_part", "where(high_rent, min(rent * 0.2, rent_cap), 0)"),
        ("disability_part", "where(disabled, disability_supplement, 0)"),
        ("gross", "base + child_part + rent_part + disability_part"),
        ("taper_point", "0.8 * limit"),
        ("excess", "max(0, income - taper_point)"),
        ("deduction", "taper_rate * excess"),
        ("net", "max(0, gross - deduction)"),
        ("rounded", "round(net, 2)"),
        ("energy", "energy_supplement"),
        ("winter", "where(pensioner or children > 2, winter_supplement, 0)"),
        ("extras", "energy + winter"),
        ("total", "rounded + extras"),
        ("capped", "min(total, max_amount)"),
        ("benefit", "where(eligible, capped, 0)"),
        ("priority", "eligible and (high_rent or children >= 3 or disabled)"),
    ]
    assert len(rules) == 30
    scalars = {
        "minimum_age": 18,
        "pension_age": 67,
        "min_years": 1,
        "base_amount": 450,
        "pension_supplement": 60,
        "child_supplement": 81,
        "rent_cap": 250,
        "disability_supplement": 120,
        "taper_rate": 0.5,
        "energy_supplement": 35,
        "winter_supplement": 40,
        "max_amount": 1400,
    }
    lines = [
        "ruleset: bench",
        "title: Benchmark benefit",
        "outcome: eligible",
        "outputs: [eligible, benefit, priority]",
        "uncertain_when: abs(income - limit) < 25",
        "inputs:",
        "  age: {type: integer}",
        "  household_size: {type: integer}",
        "  children: {type: integer}",
        "  income: {type: number}",
        "  savings: {type: number}",
        "  rent: {type: number}",
        "  years_resident: {type: number}",
        "  resident: {type: boolean}",
        "  student: {type: boolean}",
        "  disabled: {type: boolean}",
        "  region: {type: text}",
        "parameters:",
        "  income_limit:",
        "    reference: " + ref % 12,
        "    values:",
        "      - {since: 2025-01-01, scale: {1: 1500, 2: 2050, 3: 2400, 4: 2700, 5: 2950}}",
        "      - {since: 2026-01-01, scale: {1: 1580, 2: 2150, 3: 2520, 4: 2840, 5: 3100}}",
        "  savings_limit:",
        "    reference: " + ref % 13,
        "    values:",
        "      - {since: 2025-01-01, scale: {1: 7500, 2: 10000, 4: 12500}}",
    ]
    for i, (name, value) in enumerate(scalars.items()):
        lines += [f"  {name}:", "    reference: " + ref % (20 + i), "    values:"]
        lines += [f"      - {{since: 2025-01-01, value: {value}}}"]
    lines.append("rules:")
    for i, (name, formula) in enumerate(rules):
        lines += [f"  {name}:", f'    formula: "{formula}"', "    reference: " + ref % (40 + i)]
        if name == "energy":
            lines.append("    since: 2026-01-01")
        if name == "income_ok":
            lines += [
                "    explain:",
                "      false: your income of {income} exceeds the limit of {limit} ({ref})",
            ]
    return "\n".join(lines) + "\n"


def cases(n: int, seed: int = 7) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "age": rng.integers(16, 95, n),
        "household_size": rng.integers(1, 7, n),
        "children": rng.integers(0, 5, n),
        "income": rng.uniform(0, 4000, n).round(2),
        "savings": rng.uniform(0, 15000, n).round(0),
        "rent": rng.uniform(200, 1500, n).round(2),
        "years_resident": rng.uniform(0, 30, n),
        "resident": rng.random(n) < 0.95,
        "student": rng.random(n) < 0.1,
        "disabled": rng.random(n) < 0.08,
        "region": rng.choice(np.array(["north", "south", "east", "west", "abroad"]), n),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    ruleset = parse_ruleset(thirty_rules(), file="bench.yaml")
    print(f"rule set: {len(ruleset.rules)} rules, {len(ruleset.parameters)} parameters")
    columns = cases(args.cases)
    times = []
    for run in range(args.runs):
        start = time.perf_counter()
        batch = ruleset.decide_batch(columns, on=ON)
        elapsed = time.perf_counter() - start
        times.append(elapsed)
        kept = sum(np.asarray(v).nbytes for v in batch.values.values())
        print(
            f"run {run + 1}: {args.cases:,} cases in {elapsed:.2f} s "
            f"({args.cases / elapsed:,.0f} cases/s); traces kept: {len(batch.values)} columns, "
            f"{kept / 2**20:,.0f} MiB; eligible {int(batch.positive.sum()):,}"
        )
    start = time.perf_counter()
    sample = [batch.decision(i) for i in range(0, args.cases, max(1, args.cases // 1000))]
    per_trace = (time.perf_counter() - start) / len(sample) * 1000
    print(f"batch median {statistics.median(times):.2f} s (target < 60 s)")
    print(f"a kept case's full trace and explanation, materialised: {per_trace:.2f} ms each")

    example = load_ruleset(EXAMPLES / "social_support.yaml")
    case = {"resident": True, "age": 41, "household_size": 2, "household_income": 2310}
    singles = []
    for _ in range(2000):
        start = time.perf_counter()
        decision = example.decide(case, on=ON)
        _ = decision.explanation
        singles.append(time.perf_counter() - start)
    singles.sort()
    print(
        f"one decision with explanation (social_support, {len(example.rules)} rules): "
        f"median {statistics.median(singles) * 1000:.2f} ms, "
        f"p99 {singles[int(len(singles) * 0.99)] * 1000:.2f} ms (target < 10 ms)"
    )
    start = time.perf_counter()
    for _ in range(500):
        ruleset.decide({k: v[0].item() for k, v in columns.items()}, on=ON).explanation  # noqa: B018
    print(
        f"one decision with explanation (30 rules): {(time.perf_counter() - start) / 500 * 1000:.2f} ms"
    )
    print("peer: none run - OpenFisca is AGPL (not a dependency); no permissive vectorised peer")


if __name__ == "__main__":
    main()
