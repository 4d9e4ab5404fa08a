"""``make_engine("spark")`` connects to the master it is given: the application passes
``Settings.spark_master`` in; the engine itself reads no settings.

The Spark session builder is replaced by a recorder: what is checked is which master URL the
engine asks for, not Spark itself (the contract suite runs the real thing)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

pyspark_sql = pytest.importorskip("pyspark.sql")


class _Builder:
    def __init__(self, asked: list[str]) -> None:
        self.asked = asked

    def master(self, url: str) -> _Builder:
        self.asked.append(url)
        return self

    def appName(self, _name: str) -> _Builder:
        return self

    def config(self, _key: str, _value: str) -> _Builder:
        return self

    def getOrCreate(self) -> Any:
        return SimpleNamespace(sparkContext=SimpleNamespace(setLogLevel=lambda _level: None))


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    import ibis

    urls: list[str] = []
    monkeypatch.setattr(pyspark_sql.SparkSession, "builder", _Builder(urls))
    monkeypatch.setattr(ibis, "pyspark", SimpleNamespace(connect=lambda session: object()))
    return urls


def test_default_master_is_local_2(asked: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from civicflow.eventlog import make_engine

    monkeypatch.delenv("CIVICFLOW_SPARK_MASTER", raising=False)
    make_engine("spark")
    assert asked == ["local[2]"]


def test_the_engine_reads_no_settings(asked: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from civicflow.eventlog import make_engine

    monkeypatch.setenv("CIVICFLOW_SPARK_MASTER", "spark://cluster.agency.example:7077")
    make_engine("spark")
    make_engine("spark", spark_master="spark://cluster.agency.example:7077")
    # an explicit master wins over the one passed from the settings
    make_engine("spark", spark_master="spark://cluster.agency.example:7077", master="local[1]")
    assert asked == ["local[2]", "spark://cluster.agency.example:7077", "local[1]"]


def test_the_application_passes_the_setting_in(asked: list[str], tmp_path: Any) -> None:
    from civicflow.app import open_app
    from civicflow.core import Settings

    settings = Settings(
        home=tmp_path, engine="spark", spark_master="spark://cluster.agency.example:7077"
    )
    ctx = open_app(settings=settings)
    try:
        ctx.analytics_engine()
    finally:
        ctx.close()
    assert asked == ["spark://cluster.agency.example:7077"]
