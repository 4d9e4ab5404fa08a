"""The demo log stored as an ordinary dataset: same seed, same bytes; replaceable; described."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from civicflow.core import ConflictError
from civicflow.demo import DemoConfig, build_demo_workspace, generate_demo_log


def test_same_seed_gives_the_same_dataset_fingerprint(tmp_path: Path) -> None:
    cfg = DemoConfig(cases=120, seed=21)
    _, a = build_demo_workspace(path=tmp_path / "a", config=cfg)
    _, b = build_demo_workspace(path=tmp_path / "b", config=cfg)
    _, c = build_demo_workspace(path=tmp_path / "c", config=DemoConfig(cases=120, seed=22))
    assert a.manifest.fingerprint == b.manifest.fingerprint != c.manifest.fingerprint
    assert a.manifest.cases == 120
    assert a.manifest.options["seed"] == 21 and a.manifest.options["generator"] == "civicflow.demo"
    assert {"district", "channel", "permit_type", "applicant_type", "deadline"} <= set(
        a.manifest.case_attributes
    )
    assert pq.read_schema(a.cases_path).field("deadline").type.tz == "UTC"


def test_rebuild_needs_replace(tmp_path: Path) -> None:
    build_demo_workspace(path=tmp_path / "w", config=DemoConfig(cases=50, seed=1))
    with pytest.raises(ConflictError, match="already exists"):
        build_demo_workspace(path=tmp_path / "w", config=DemoConfig(cases=60, seed=1))
    _, ds = build_demo_workspace(
        path=tmp_path / "w", config=DemoConfig(cases=60, seed=1), replace=True
    )
    assert ds.manifest.cases == 60


def test_flat_log_carries_case_attributes_on_every_event() -> None:
    flat = generate_demo_log(config=DemoConfig(cases=80, seed=2)).to_pandas()
    per_case = flat.groupby("case_id")[["district", "channel", "deadline"]].nunique()
    assert (per_case == 1).all().all()
    assert flat.case_id.nunique() == 80
