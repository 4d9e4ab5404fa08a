"""The log's currency: an ingest option validated as ISO 4217, stored in the manifest, and shown
with the cost KPI wherever it appears (the KPI's unit, the command line, the demo's euros)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicflow.cli import app
from civicflow.core import ConfigurationError
from civicflow.eventlog import DuckDBEngine, EventStore, IngestOptions, ingest
from civicflow.mining import LogView, compute_kpis, format_kpi_value

CSV = (
    "case,activity,time,cost\n"
    "c1,a,2024-01-01T08:00:00,10.5\nc1,b,2024-01-01T09:00:00,2\n"
    "c2,a,2024-01-02T08:00:00,4\n"
)


def test_currency_is_checked() -> None:
    assert IngestOptions(currency="eur").currency == "EUR"
    with pytest.raises(ConfigurationError, match="ISO 4217") as info:
        IngestOptions(currency="euro")
    assert "euro" in str(info.value.to_dict())


def test_cost_kpi_carries_the_currency(tmp_path: Path) -> None:
    source = tmp_path / "log.csv"
    source.write_text(CSV)
    store = EventStore.create(tmp_path / "ws")
    ds = ingest(
        workspace=store, source=source, name="priced", options=IngestOptions(currency="GBP")
    )
    assert ds.manifest.options["currency"] == "GBP"
    plain = ingest(workspace=store, source=source, name="plain")
    engine = DuckDBEngine()
    try:
        cost = compute_kpis(LogView(engine=engine, dataset=ds))["cost_per_case"]
        assert cost.unit == "GBP/case"
        assert cost.value == pytest.approx(8.25)
        assert format_kpi_value(cost.value, cost.unit) == "8.25 GBP/case"
        bare = compute_kpis(LogView(engine=engine, dataset=plain))["cost_per_case"]
        assert bare.unit == "cost/case"
    finally:
        engine.close()


def test_cli_ingest_currency(tmp_path: Path) -> None:
    source = tmp_path / "log.csv"
    source.write_text(CSV)
    ws = str(tmp_path / "ws")
    runner = CliRunner()
    out = runner.invoke(
        app, ["ingest", str(source), "-w", ws, "--name", "priced", "--currency", "eur", "--json"]
    )
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout[out.stdout.index("{") :])["options"]["currency"] == "EUR"
    bad = runner.invoke(app, ["ingest", str(source), "-w", ws, "--name", "x", "--currency", "E1"])
    assert bad.exit_code != 0
    assert "ISO 4217" in (bad.output + str(bad.exception))


def test_the_demo_costs_are_in_euros(tmp_path: Path) -> None:
    from civicflow.demo import DemoConfig, build_demo_workspace

    _, ds = build_demo_workspace(path=tmp_path / "demo", config=DemoConfig(cases=60, seed=2))
    engine = DuckDBEngine()
    try:
        cost = compute_kpis(LogView(engine=engine, dataset=ds))["cost_per_case"]
    finally:
        engine.close()
    assert cost.unit == "EUR/case"
    assert format_kpi_value(cost.value, cost.unit).endswith(" EUR/case")
