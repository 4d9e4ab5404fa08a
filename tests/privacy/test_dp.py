"""Differentially private directly-follows release through OpenDP: contribution bounding, the
threshold, the utility report; the noise's size follows the scale (statistically, loosely)."""

from __future__ import annotations

import statistics

import pyarrow as pa
import pytest

from civicflow.core import InputError
from civicflow.privacy import DpConfig, dp_directly_follows


def _log(cases: int) -> pa.Table:
    rows = []
    for i in range(cases):
        steps = (
            ["Submit", "Check", "Decide"]
            if i % 4
            else ["Submit", "Check", "Check", "Check", "Decide"]
        )
        rows += [(f"c{i}", s) for s in steps]
    return pa.table({"case_id": [r[0] for r in rows], "activity": [r[1] for r in rows]})


def test_release_keeps_frequent_edges_and_reports_the_error() -> None:
    release = dp_directly_follows(_log(2000), config=DpConfig(epsilon=1.0, max_pairs=4))
    edges = {(e.source, e.target): e.count for e in release.edges}
    assert abs(edges[("Submit", "Check")] - 2000) < 100  # scale 4: noise far below 100
    assert abs(edges[("Check", "Check")] - 1000) < 100
    # contribution bounding: the looping cases (6 pairs) count 4 pairs each
    assert release.cases == 2000 and release.cases_truncated == 500
    assert release.scale == 4.0 and release.threshold > 4.0
    assert release.true_edges == 5 and release.edges_kept == 5 and release.edges_lost == 0
    assert ("Check", "Decide") in edges and ("▶ start", "Submit") in edges
    assert 0 < release.mean_absolute_error < 20
    assert release.edges_spurious <= 4  # about one in two releases has one (P < 1e-4 for 5)


def test_noise_follows_the_scale_and_rare_edges_are_suppressed() -> None:
    errors = []
    for _ in range(20):
        r = dp_directly_follows(_log(40), config=DpConfig(epsilon=0.1, max_pairs=2, threshold=-1e9))
        errors.append(r.mean_absolute_error)
    # Laplace with scale 20: mean absolute deviation 20
    assert 10 < statistics.mean(errors) < 35
    strict = dp_directly_follows(_log(40), config=DpConfig(epsilon=0.1, max_pairs=2))
    assert strict.edges_spurious <= 3 and strict.threshold > 20


def test_bad_config_is_named() -> None:
    with pytest.raises(InputError, match="epsilon"):
        DpConfig(epsilon=0)
    with pytest.raises(InputError, match="max_pairs"):
        DpConfig(max_pairs=0)


def test_variant_tree_releases_the_frequent_variants() -> None:
    from civicflow.privacy import dp_variants

    release = dp_variants(_log(2000), epsilon=1.0, depth=6)
    got = {v.activities: v.count for v in release.variants}
    assert abs(got[("Submit", "Check", "Decide")] - 1500) < 100  # scale 6
    assert abs(got[("Submit", "Check", "Check", "Check", "Decide")] - 500) < 100
    assert release.true_variants == 2 and release.variants_recovered == 2
    assert release.variants_spurious <= 2 and release.scale == 6.0
    short = dp_variants(_log(2000), epsilon=1.0, depth=3)
    # the looping variant is longer than the depth: it never reaches the end. (Noise may still
    # lift an empty prefix over the threshold now and then: a spurious variant is allowed, as above.)
    variants = {v.activities for v in short.variants}
    assert ("Submit", "Check", "Decide") in variants
    assert all(len(v) <= 3 for v in variants) and short.variants_recovered == 1
    assert short.variants_spurious <= 2
