"""Protection: keyed pseudonyms with rotation, the vault's sealing, generalisation, Safe Harbor,
k-anonymity and prefix uniqueness, and the pseudonymising ingest transform on a real ingest."""

from __future__ import annotations

import csv
import json
import os
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from civicflow.core import ConfigurationError, InputError
from civicflow.eventlog import ColumnMapping, EventStore, ingest
from civicflow.privacy import (
    KEEP,
    SAFE_HARBOR_SPARSE_ZIP3,
    Category,
    ColumnDecision,
    KeyRing,
    PseudonymiseTransform,
    age_band,
    generalise_date,
    k_anonymity,
    postcode_prefix,
    prefix_uniqueness,
    safe_harbor_age,
    safe_harbor_date,
    safe_harbor_zip,
)


def test_pseudonyms_are_keyed_stable_and_rotate(tmp_path: Path) -> None:
    ring = KeyRing.generate("k1")
    p = ring.pseudonym("111 222 333")
    assert p == ring.pseudonym("111222333") == ring.pseudonym(" 111-222-333 ")
    assert p.startswith("k1_") and len(p) == 29 and "111" not in p
    assert ring.pseudonym("Jan Jansen") == ring.pseudonym("jan  JANSEN")
    assert KeyRing.generate("k1").pseudonym("111222333") != p  # another key, another pseudonym
    path = tmp_path / "keys.json"
    ring.write(path)
    assert os.stat(path).st_mode & 0o777 == 0o600
    again = KeyRing.read(path)
    assert again.pseudonym("111222333") == p  # stable across runs and datasets
    rotated = again.rotated("k2")
    assert rotated.current == "k2" and rotated.pseudonym("111222333").startswith("k2_")
    assert rotated.matches("111222333", p) and not rotated.matches("111222334", p)
    with pytest.raises(ConfigurationError, match="already in the ring"):
        rotated.rotated("k1")
    path.write_text(json.dumps({"current": "k9", "keys": {}}))
    with pytest.raises(ConfigurationError) as err:
        KeyRing.read(path)
    assert err.value.where is not None and err.value.where.field == "privacy_key_file"


def test_vault_seals_with_aes_gcm_bound_to_the_pseudonym() -> None:
    ring = KeyRing.generate()
    p = ring.pseudonym("Jan Jansen")
    token = ring.seal("Jan Jansen", p)
    assert "Jan" not in token and token.startswith("k1:")
    assert ring.unseal(token, p) == "Jan Jansen"
    with pytest.raises(InputError, match="does not open"):
        ring.unseal(token, ring.pseudonym("Piet"))  # moved to another pseudonym
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(InputError, match="does not open"):
        ring.unseal(tampered, p)
    with pytest.raises(InputError, match="not in the ring"):
        KeyRing.generate("k7").unseal(token, p)


def test_generalisation_and_safe_harbor() -> None:
    assert generalise_date("2024-03-31") == "2024-03"
    assert generalise_date(date(2024, 3, 31), level="year") == "2024"
    assert generalise_date("31-03-2024T10:00"[:10]) == "2024-03"
    with pytest.raises(InputError, match="unknown date level"):
        generalise_date("2024-03-31", level="week")
    assert age_band(37) == "30-39" and age_band(37, width=5) == "35-39" and age_band(95) == "90+"
    assert [postcode_prefix(c) for c in ("SW1A 1AA", "1012 AB", "K1A 0B1", "90210-1234")] == [
        "SW1A", "1012", "K1A", "902",
    ]  # fmt: skip
    assert safe_harbor_zip("03601") == "000" and safe_harbor_zip("90210") == "902"
    assert len(SAFE_HARBOR_SPARSE_ZIP3) == 17
    assert safe_harbor_date("1950-06-01") == "1950"
    assert safe_harbor_age(89) == "89" and safe_harbor_age(90) == "90+"
    with pytest.raises(InputError):
        safe_harbor_zip("SW1A 1AA")


def test_k_anonymity_and_prefix_uniqueness() -> None:
    people = pa.table(
        {"zip3": ["902", "902", "902", "100", "100", "036"], "birth": ["1950"] * 5 + ["1960"]}
    )
    result = k_anonymity(people, ["zip3", "birth"], threshold=3)
    assert (result.k, result.groups, result.rows_below) == (1, 3, 3)
    assert result.share_below == 0.5
    with pytest.raises(InputError, match="quasi-identifier"):
        k_anonymity(people, ["age"])
    ts = pa.array(
        [f"2024-01-0{d}T0{h}:00:00" for d, h in [(1, 1), (1, 2), (1, 1), (1, 2), (2, 1), (2, 5)]]
    ).cast(pa.timestamp("s"))
    events = pa.table(
        {
            "case_id": ["a", "a", "b", "b", "c", "c"],
            "activity": ["Submit", "Check", "Submit", "Check", "Submit", "Check"],
            "timestamp": ts,
        }
    )
    assert prefix_uniqueness(events, n=2, time_resolution="none").unique_cases == 0
    day = prefix_uniqueness(events, n=2, time_resolution="day")
    assert (day.cases, day.unique_cases) == (3, 1)
    assert prefix_uniqueness(events, n=2, time_resolution="exact").unique_cases == 1


ROWS = [
    ("c1", "Submit", "2024-03-01T09:00:00Z", "Anna Jansen", "111222333", "anna@example.nl", "web"),
    ("c1", "Check", "2024-03-01T10:00:00Z", "Anna Jansen", "111222333", "anna@example.nl", "web"),
    (
        "c2",
        "Submit",
        "2024-03-02T12:00:00Z",
        "Bram de Vries",
        "123456782",
        "bram@example.nl",
        "paper",
    ),
    ("c3", "Submit", "2024-03-03T08:30:00Z", "Cem Kaya", "12345672", "cem@example.nl", "web"),
]


def _log(tmp_path: Path) -> Path:
    path = tmp_path / "log.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["case", "activity", "time", "citizen", "bsn", "email", "channel"])
        w.writerows(ROWS)
    return path


def test_transform_pseudonymises_direct_identifiers_and_records_the_classification(
    tmp_path: Path,
) -> None:
    ring = KeyRing.generate()
    transform = PseudonymiseTransform(
        ring, decisions={"email": ColumnDecision(column="email", action=KEEP, reason="contact")}
    )
    store = EventStore.create(tmp_path / "ws")
    dataset = ingest(
        workspace=store, source=_log(tmp_path), name="d",
        mapping=ColumnMapping(case_id="case", activity="activity", timestamp="time"),
        transforms=[transform],
    )  # fmt: skip
    events = pq.read_table(dataset.events_path)
    bsn = events["bsn"].to_pylist()
    assert bsn[0] == bsn[1] == ring.pseudonym("111222333") and "111222333" not in str(bsn)
    assert events["citizen"].to_pylist()[2] == ring.pseudonym("Bram de Vries")
    assert events["email"].to_pylist()[0] == "anna@example.nl"  # kept clear by decision
    assert events["channel"].to_pylist()[0] == "web"
    report = dataset.manifest.options["transforms"][0]["report"]
    verdicts = {c["column"]: c["category"] for c in report["classification"]["events"]["columns"]}
    assert verdicts["bsn"] == Category.NL_BSN.value and verdicts["email"] == "email"
    assert report["kept_clear"] == {"email": "contact"} and report["key_id"] == "k1"
    assert set(report["pseudonymised"]["events"]) == {"citizen", "bsn"}
    sealed = transform.vault_entries()
    assert ring.unseal(sealed[bsn[0]], bsn[0]) == "111222333"
    assert "Anna" not in json.dumps(report)  # examples are masked


def test_safe_harbor_table_generalises_column_by_column() -> None:
    from civicflow.privacy import classify_table, safe_harbor_table

    table = pa.table(
        {
            "case": ["c1", "c2", "c3"],
            "patient": ["Anna Jansen", "Bram de Vries", "Cem Kaya"],
            "ssn": ["536-22-8726", "123-45-6780", "001-01-0001"],
            "date_of_birth": ["1950-06-01", "1980-01-31", "2001-12-24"],
            "zip": ["03601", "90210", "10001"],
            "age": ["95", "44", "23"],
            "outcome": ["granted", "refused", "granted"],
        }
    )
    out = safe_harbor_table(table, classify_table(table), ages=["age"])
    assert out.column_names == ["case", "date_of_birth", "zip", "age", "outcome"]
    assert out["date_of_birth"].to_pylist() == ["1950", "1980", "2001"]
    assert out["zip"].to_pylist() == ["000", "902", "100"]
    assert out["age"].to_pylist() == ["90+", "44", "23"]
    assert out["outcome"].to_pylist() == table["outcome"].to_pylist()
