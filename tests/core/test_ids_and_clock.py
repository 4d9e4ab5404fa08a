"""Names, ids and the one clock of civicflow.core."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from civicflow.core import InputError, check_name, new_id, set_clock, sha256_hex, utcnow


@pytest.mark.parametrize("name", ["permits-2024", "a", "A.b_c-1", "x" * 64])
def test_good_names_pass(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["", "-lead", ".hidden", "a/b", "../up", "x" * 65, "sp ace", "é"])
def test_names_unsafe_in_paths_and_urls_are_refused(name: str) -> None:
    with pytest.raises(InputError, match="is not a valid dataset name"):
        check_name(name, kind="dataset name")


def test_ids_are_unique_ordered_by_time_and_prefixed() -> None:
    ids = [new_id("ds-") for _ in range(200)]
    assert len(set(ids)) == 200
    assert all(i.startswith("ds-") and len(i) == 3 + 12 + 20 for i in ids)
    assert [i[3:15] for i in ids] == sorted(i[3:15] for i in ids)


def test_sha256_hex() -> None:
    assert sha256_hex(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_the_clock_can_be_frozen_and_restored() -> None:
    frozen = datetime(2024, 3, 1, 12, tzinfo=UTC)
    set_clock(lambda: frozen)
    try:
        assert utcnow() == frozen
    finally:
        set_clock(None)
    now = utcnow()
    assert now.tzinfo is not None and now != frozen
