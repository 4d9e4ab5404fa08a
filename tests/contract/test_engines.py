"""The engine contract: every registered analysis gives the same result on DuckDB and on Spark, on
real logs. Floats agree within 1e-9 relative; lists whose order an analysis does not define are
compared as multisets.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from civicflow.eventlog import DuckDBEngine, Engine
from civicflow.mining import LogView
from realdata import real_dataset

from .analyses import ANALYSES, NOTYET

REL = 1e-9
ABS = 1e-9

CONTRACT_LOGS = [
    pytest.param("Receipt_phase_environmental_permit_WABO", id="Receipt"),
    pytest.param("Sepsis_Cases-Event_Log", id="Sepsis"),
    pytest.param("BPIC15_1", id="BPIC15_1"),
    pytest.param("CoSeLoG_WABO_1", id="CoSeLoG"),
    pytest.param("Road_Traffic_Fine_Management_Process", id="RoadTraffic", marks=pytest.mark.slow),
]

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(scope="module")
def spark_engine() -> Iterator[Engine]:
    pytest.importorskip("pyspark", reason="PySpark is not installed (extra: civicflow[spark])")
    if shutil.which("java") is None:
        pytest.skip("Java is not on PATH: Spark cannot start")
    from civicflow.eventlog import SparkEngine

    engine = SparkEngine(master="local[2]")
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def duckdb_engine() -> Iterator[Engine]:
    engine = DuckDBEngine()
    yield engine
    engine.close()


# long (Spark runs every analysis on four real logs, ~6 min on 2 busy cores): CI runs it as `slow`
@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.parametrize("log", CONTRACT_LOGS)
@pytest.mark.parametrize(("name", "run"), ANALYSES, ids=[a[0] for a in ANALYSES])
def test_same_result_on_duckdb_and_spark(
    log: str, name: str, run: Any, duckdb_engine: Engine, spark_engine: Engine
) -> None:
    if name in NOTYET:
        pytest.xfail(NOTYET[name])
    dataset = real_dataset(log)
    expected = _jsonable(run(LogView(engine=duckdb_engine, dataset=dataset)))
    actual = _jsonable(run(LogView(engine=spark_engine, dataset=dataset)))
    problems = list(_differences(expected, actual, path=name))
    assert not problems, "\n".join(problems[:20])


def test_registry_names_are_unique() -> None:
    names = [a[0] for a in ANALYSES]
    assert len(names) == len(set(names))
    assert set(NOTYET) <= set(names)


def test_comparison_catches_differences() -> None:
    # the comparison itself must be able to fail
    assert list(_differences({"a": [1.0, 2.0]}, {"a": [1.0, 2.0 + 1e-12]}, path="x")) == []
    assert list(_differences({"a": 1.0}, {"a": 1.0001}, path="x"))
    assert list(_differences({"a": [1, 2]}, {"a": [2, 1]}, path="x")) == []  # as multisets
    assert list(_differences({"a": [1, 2]}, {"a": [1, 3]}, path="x"))
    assert list(_differences({"a": 1}, {"b": 1}, path="x"))


def _jsonable(value: Any) -> Any:
    # the same normalisation JSON output goes through (tuples to lists, datetimes to text)
    return json.loads(json.dumps(value, default=str))


def _differences(a: Any, b: Any, *, path: str) -> Iterator[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            yield f"{path}: keys differ: {sorted(set(a) ^ set(b))}"
            return
        for k in a:
            yield from _differences(a[k], b[k], path=f"{path}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            yield f"{path}: {len(a)} items on DuckDB, {len(b)} on Spark"
            return
        in_order = [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _differences(x, y, path=f"{path}[{i}]")
        ]
        if not in_order:
            return
        # an order the analysis does not define: compare as multisets, matched by their
        # non-float content
        xs, ys = sorted(a, key=_shape), sorted(b, key=_shape)
        unordered = [
            d
            for i, (x, y) in enumerate(zip(xs, ys, strict=True))
            for d in _differences(x, y, path=f"{path}[~{i}]")
        ]
        if unordered:
            yield from in_order
    elif isinstance(a, float) or isinstance(b, float):
        if a is None or b is None or isinstance(a, str) or isinstance(b, str):
            yield f"{path}: {a!r} on DuckDB, {b!r} on Spark"
        elif math.isnan(float(a)) and math.isnan(float(b)):
            return
        elif not math.isclose(float(a), float(b), rel_tol=REL, abs_tol=ABS):
            yield f"{path}: {a!r} on DuckDB, {b!r} on Spark"
    elif a != b:
        yield f"{path}: {a!r} on DuckDB, {b!r} on Spark"


def _shape(value: Any) -> str:
    def strip(v: Any) -> Any:
        if isinstance(v, float):
            return None
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items()}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v

    return json.dumps(strip(value), sort_keys=True, default=str)
