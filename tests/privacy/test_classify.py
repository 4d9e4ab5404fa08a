"""Column classification from a sample: each category found with its confidence, masked examples,
ambiguous columns left alone."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest

from civicflow.core import InputError
from civicflow.privacy import Category, ClassifyConfig, classify_table, classify_values, mask

FIRST = [
    "Anna",
    "Bram",
    "Cem",
    "Daan",
    "Eva",
    "Fleur",
    "Gijs",
    "Hana",
    "Ivo",
    "Joke",
    "Mary",
    "Tom",
]
LAST = ["Jansen", "de Vries", "Bakker", "Visser", "Smit", "Meijer", "O'Brien", "Kaya", "Smith"]


def _bsn(rng: random.Random) -> str:
    while True:
        d = f"{rng.randrange(10**8, 10**9)}"
        if (
            sum(int(x) * w for x, w in zip(d[:8], range(9, 1, -1), strict=True)) - int(d[8])
        ) % 11 == 0:
            return d


def _table(n: int = 3000) -> pa.Table:
    rng = random.Random(7)
    return pa.table(
        {
            "case_id": [f"c{i}" for i in range(n)],
            "activity": [
                rng.choice(["Register Application", "Check Documents", "Decide"]) for _ in range(n)
            ],
            "citizen": [
                f"{rng.choice(FIRST)} {rng.choice(LAST).split()[-1].capitalize()}" for _ in range(n)
            ],
            "bsn": [_bsn(rng) for _ in range(n)],
            "contact": [f"user{i}@example.nl" for i in range(n)],
            "telefoon": [f"06-{rng.randrange(10**7, 10**8)}" for _ in range(n)],
            "postcode": [
                f"{rng.randrange(1000, 9999)} {rng.choice('ABCDEFGH')}{rng.choice('ABCDEFGH')}"
                for _ in range(n)
            ],
            "date_of_birth": [
                f"19{rng.randrange(40, 99)}-0{rng.randrange(1, 9)}-1{rng.randrange(0, 9)}"
                for _ in range(n)
            ],
            "amount_ref": [str(rng.randrange(10**8, 10**9)) for _ in range(n)],
            "note": [
                f"Called {rng.choice(FIRST)} about the missing form number {i}, will follow up."
                for i in range(n)
            ],
            "iban": ["NL91ABNA0417164300"] * n,
            "channel": [rng.choice(["web", "paper", "phone"]) for _ in range(n)],
        }
    )


def test_each_category_found_with_masked_examples() -> None:
    result = classify_table(_table(), config=ClassifyConfig(sample_rows=1000))
    got = {c.column: c.category for c in result.columns}
    assert got == {
        "case_id": Category.NONE,
        "activity": Category.NONE,
        "citizen": Category.PERSON_NAME,
        "bsn": Category.NL_BSN,
        "contact": Category.EMAIL,
        "telefoon": Category.PHONE,
        "postcode": Category.POSTCODE,
        "date_of_birth": Category.DATE_OF_BIRTH,
        "amount_ref": Category.NONE,  # random 9-digit numbers: 1 in 11 passes the elfproef
        "note": Category.FREE_TEXT,
        "iban": Category.IBAN,
        "channel": Category.NONE,
    }
    assert result.rows == 3000 and result.rows_sampled == 1000
    bsn = result.column("bsn")
    assert bsn.confidence == 1.0 and bsn.header_hint and bsn.direct_identifier
    assert all(set(e[1:]) == {"#"} for e in bsn.examples)
    assert result.column("citizen").examples[0].count("*") >= 2
    assert set(result.direct_identifiers) == {"citizen", "bsn", "contact", "telefoon", "iban"}
    assert set(result.quasi_identifiers) == {"postcode", "date_of_birth"}
    data = result.to_dict()
    assert data["columns"][3]["category"] == "nl_bsn" and "NL91" not in str(data)


def test_weak_categories_need_a_header_hint() -> None:
    zips = [f"{n:05d}" for n in range(10000, 10500)]
    assert classify_values("zip", zips).category is Category.POSTCODE
    assert classify_values("count", zips).category is Category.NONE
    names = ["Register Application", "Send Reminder"] * 200
    assert classify_values("step", names).category is Category.NONE
    assert classify_values("applicant", names).category is Category.PERSON_NAME


def test_mask_keeps_the_shape_only() -> None:
    assert mask("Jan Jansen") == "J** J*****"
    assert mask("111222333") == "1########"
    assert mask("a@b.nl") == "a@b.n*"


def test_bad_config_names_the_field() -> None:
    with pytest.raises(InputError, match="threshold"):
        ClassifyConfig(threshold=0)
