"""`civicflow fairness audit | process | list`, in process, with --json: the audit reproduces
ProPublica's COMPAS rates, each run is a new version with its ledger entry, bad input names the
column."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicflow.cli import app
from civicflow.core import InputError
from civicflow.demo import DemoConfig, build_demo_workspace
from conftest import shared_file

runner = CliRunner()


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "ws"
    build_demo_workspace(path=path, config=DemoConfig(cases=500, seed=8))
    return path


def _json(args: list[str]) -> dict:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout)


def test_audit_process_list(ws: Path) -> None:
    compas = str(shared_file("fairness", "compas_for_aequitas.csv"))
    args = ["fairness", "audit", compas, "-w", str(ws), "--outcome", "score", "--label",
            "label_value", "--group", "race", "--group", "sex", "--reference", "Caucasian",
            "--unfavourable", "--bootstrap", "100", "--name", "compas"]  # fmt: skip
    first = _json(args)
    assert (first["name"], first["version"]) == ("compas", 1)
    assert first["ledger_entry"]["action"] == "fairness.audit"
    fpr = {
        m["group"]: m["value"]
        for m in first["metrics"]
        if m["attribute"] == "race" and m["metric"] == "fpr"
    }
    assert round(100 * fpr["African-American"], 2) == 44.85
    assert round(100 * fpr["Caucasian"], 2) == 23.45
    assert first["findings"][0]["severity"] == "high"
    assert _json(args)["version"] == 2

    process = _json(
        [
            "fairness",
            "process",
            "-w",
            str(ws),
            "-d",
            "demo",
            "--group",
            "permit_type",
            "--control",
            "channel",
            "--correction",
            "bh",
        ]
    )
    assert process["ledger_entry"]["action"] == "fairness.process"
    assert process["config"]["correction"] == "bh" and process["cases"] == 500
    assert any(f["group"] == "monument" for f in process["findings"])

    listed = _json(["fairness", "list", "-w", str(ws)])
    assert [(a["name"], a["version"]) for a in listed][-2:] == [("compas", 2), ("compas", 1)]

    table = runner.invoke(app, ["fairness", "audit", compas, "-w", str(ws), "--outcome", "score",
                                "--group", "race", "--bootstrap", "0"])  # fmt: skip
    assert table.exit_code == 0, table.output
    assert "Findings" in table.output and "Four-fifths rule" in table.output


def test_bad_input_names_the_column(ws: Path, tmp_path: Path) -> None:
    bad = tmp_path / "d.csv"
    bad.write_text("group,granted\na,1\nb,0\n")
    result = runner.invoke(
        app,
        ["fairness", "audit", str(bad), "-w", str(ws), "--outcome", "approved", "--group", "group"],
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, InputError)
    assert "approved" in str(result.exception)


def test_explain(ws: Path, tmp_path: Path) -> None:
    import joblib
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    german = pd.read_csv(shared_file("fairness", "german_credit.csv"))
    data = german[["month", "credit_amount", "age"]]
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(data, german["credit"] == 1)
    joblib.dump(model, tmp_path / "model.joblib")
    data.to_csv(tmp_path / "people.csv", index=False)
    out = _json(
        [
            "fairness",
            "explain",
            str(tmp_path / "model.joblib"),
            str(tmp_path / "people.csv"),
            "-w",
            str(ws),
            "--row",
            "1",
            "--row",
            "2",
            "--changeable",
            "credit_amount",
            "--changeable",
            "month",
            "--positive-class",
            "True",
            "--positive-words",
            "granted",
            "--negative-words",
            "refused",
        ]
    )
    assert [d["row"] for d in out["decisions"]] == [1, 2]
    assert out["ledger_entry"]["action"] == "fairness.explain"
    assert out["id"].startswith("fexp_") and out["ledger_entry"]["index"] is not None
    assert "main factors" in out["decisions"][0]["text"]
    bad = runner.invoke(
        app,
        [
            "fairness",
            "explain",
            str(tmp_path / "people.csv"),
            str(tmp_path / "people.csv"),
            "-w",
            str(ws),
        ],
    )
    assert isinstance(bad.exception, InputError) and "cannot be loaded" in str(bad.exception)


def test_monitor_add_run_list_history(ws: Path, tmp_path: Path) -> None:
    import pandas as pd

    frame = pd.read_csv(shared_file("fairness", "compas_for_aequitas.csv"))
    frame = frame.sample(frac=1, random_state=0).reset_index(drop=True)
    half = len(frame) // 2
    path = tmp_path / "stream.csv"
    frame.iloc[:half].to_csv(path, index=False)
    added = _json(
        ["fairness", "monitor", "add", "compas-stream", str(path), "-w", str(ws), "--outcome",
         "score", "--label", "label_value", "--group", "sex", "--unfavourable", "--bootstrap",
         "100", "--band-low", "0.75"]
    )  # fmt: skip
    assert added["band"] == [0.75, 1.25]
    assert added["ledger_entry"]["action"] == "fairness.stream.add"
    (first,) = _json(["fairness", "monitor", "run", "compas-stream", "-w", str(ws)])
    assert (first["version"], first["previous_version"], first["alerts"]) == (1, None, [])
    second = frame.iloc[half:].copy()
    women = second[(second.sex == "Female") & (second.score == 0)]
    second.loc[women.sample(frac=0.5, random_state=1).index, "score"] = 1
    second.to_csv(path, index=False)
    result = runner.invoke(
        app, ["fairness", "monitor", "run", "--all", "-w", str(ws), "--fail-on-alert", "--json"]
    )
    assert result.exit_code == 3, result.output
    (run,) = json.loads(result.stdout)
    assert run["version"] == 2 and run["previous_version"] == 1
    assert ("Female", "fpr") in {(a["group"], a["metric"]) for a in run["alerts"]}
    assert all(d["significant"] for d in run["drift"])
    (listed,) = _json(["fairness", "monitor", "list", "-w", str(ws)])
    assert listed["last_check"]["version"] == 2 and listed["last_check"]["alerts"]
    history = _json(
        ["fairness", "monitor", "history", "compas-stream", "-w", str(ws), "--metric", "fpr"]
    )
    assert history["attribute"] == "sex" and history["versions"] == [1, 2]
    assert history["groups"]["Female"][1] > history["groups"]["Female"][0]
    text = runner.invoke(app, ["fairness", "monitor", "run", "compas-stream", "-w", str(ws)])
    assert text.exit_code == 0 and "against version 2" in text.output


@pytest.mark.postgres
def test_audit_and_monitor_a_postgresql_table(ws: Path) -> None:
    import pandas as pd
    import sqlalchemy as sa

    from ledger.pgdb import temporary_database

    compas = pd.read_csv(shared_file("fairness", "compas_for_aequitas.csv"))
    with temporary_database("cf_fair_cli") as url:
        engine = sa.create_engine(url)
        compas.to_sql("decisions", engine, index=False, schema="public")
        engine.dispose()
        common = ["-w", str(ws), "--outcome", "score", "--label", "label_value", "--group",
                  "race", "--unfavourable", "--bootstrap", "50"]  # fmt: skip
        table = ["--table", "public.decisions", "--connection", url]
        doc = _json(["fairness", "audit", *table, *common, "--name", "pg-compas"])
        assert doc["name"] == "pg-compas" and doc["source"].endswith("#public.decisions")
        assert doc["rows"] == len(compas) and len(doc["source_sha256"]) == 64
        stream = _json(["fairness", "monitor", "add", "pg-stream", *table, *common])
        assert stream["source_kind"] == "table"
        (run,) = _json(["fairness", "monitor", "run", "pg-stream", "-w", str(ws)])
        assert run["rows"] == len(compas) and run["version"] == 1
        both = runner.invoke(app, ["fairness", "audit", "x.csv", *table, *common])
        assert both.exit_code != 0 and "give the decisions once" in both.output
        alone = runner.invoke(app, ["fairness", "audit", "--table", "decisions", *common])
        assert alone.exit_code != 0 and "--connection" in alone.output


def test_audits_of_a_registered_system_over_time(ws: Path, tmp_path: Path) -> None:
    added = runner.invoke(
        app,
        ["governance", "register", "add", "-w", str(ws), "--name", "Grant triage", "--purpose",
         "Orders grant requests", "--legal-basis", "Grants Act s. 3", "--owner", "Grants",
         "--sro", "Head of Grants", "--model-version", "3.1"],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    path = tmp_path / "grants.csv"
    path.write_text(
        "district,granted\n" + "North,1\n" * 60 + "North,0\n" * 20 + "South,1\n" * 30
        + "South,0\n" * 50,
        encoding="utf-8",
    )  # fmt: skip
    common = ["-w", str(ws), "--outcome", "granted", "--group", "district", "--bootstrap", "50",
              "--system", "Grant triage"]  # fmt: skip
    first = _json(["fairness", "audit", str(path), *common])
    assert first["system"]["name"] == "Grant triage" and first["system"]["version"] == "3.1"
    second = _json(["fairness", "audit", str(path), *common, "--system-version", "3.2"])
    assert second["system"]["version"] == "3.2"
    history = _json(["fairness", "system", "Grant triage", "-w", str(ws)])
    assert [a["system_version"] for a in history["audits"]] == ["3.1", "3.2"]
    assert history["audits"][1]["version_changed"] and history["model_version"] == "3.1"
    text = runner.invoke(app, ["fairness", "system", "Grant triage", "-w", str(ws)])
    assert text.exit_code == 0 and "(new)" in text.output
    unknown = runner.invoke(app, ["fairness", "audit", str(path), *common[:-1], "Parking"])
    assert unknown.exit_code != 0 and "Grant triage" in str(unknown.exception)


@pytest.mark.spark
@pytest.mark.slow
def test_process_audit_runs_on_the_engine_asked_for(ws: Path) -> None:
    import shutil

    pytest.importorskip("pyspark", reason="PySpark is not installed (extra: civicflow[spark])")
    if shutil.which("java") is None:
        pytest.skip("Java is not on PATH: Spark cannot start")
    args = ["fairness", "process", "-w", str(ws), "-d", "demo", "--group", "permit_type",
            "--control", "channel"]  # fmt: skip
    duck = _json([*args, "--engine", "duckdb", "--name", "on-duckdb"])
    spark = _json([*args, "--engine", "spark", "--name", "on-spark"])
    assert spark["groups"] == duck["groups"] and spark["cases"] == duck["cases"]
    assert [f["text"] for f in spark["findings"]] == [f["text"] for f in duck["findings"]]
