"""`civicflow demo` end to end, in a subprocess through the installed entry point, as a new user
would run it; the numbers it prints are checked against the stored data with plain pandas, the
workbench it sets up through the application layer (sign-in, ledger), and `--serve` over HTTP."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pandas as pd
import pytest

PASSWORD_LINE = re.compile(r"^password: (\S+)")
WORKSPACE_LINE = re.compile(r"^demo workspace: (http://\S+)")
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def _command() -> list[str]:
    script = Path(sys.executable).with_name("civicflow")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from civicflow.cli import main; main()"]


def _env() -> dict[str, str]:
    # headless, and a configured database must not matter: the demo keeps its own
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["CIVICFLOW_DATABASE_URL"] = "postgresql://nobody@127.0.0.1:1/not-the-demo"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _civicflow(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_command(), *args], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=600,
        input=stdin,
    )  # fmt: skip


@contextmanager
def _demo_app(out: Path) -> Iterator[object]:
    from civicflow.app import open_app
    from civicflow.core import Settings

    # the documented place of the demo's application database, named here independently
    ctx = open_app(settings=Settings(home=out / "app", database_url=None), require_migrated=True)
    try:
        yield ctx
    finally:
        ctx.close()


def _ledger_actions(ctx: object) -> list[str]:
    from civicflow.app import SYSTEM, audit

    return [e.action for e in reversed(audit.list_entries(ctx, actor=SYSTEM, limit=1000))]  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, str]:
    cwd = tmp_path_factory.mktemp("demo")
    run = _civicflow("demo", "--out", "demo-ws", "--cases", "150", "--seed", "3", "--json", cwd=cwd)
    assert run.returncode == 0, run.stderr
    return cwd / "demo-ws", json.loads(run.stdout), run.stderr


def test_demo_builds_workspace_baseline_and_report(first_run: tuple[Path, dict, str]) -> None:
    out, summary, stderr = first_run
    events = pd.read_parquet(out / "datasets" / "demo" / "events.parquet")
    assert summary["cases"] == events.case_id.nunique() == 150
    assert summary["events"] == len(events)
    spans = events.groupby("case_id").timestamp.agg(["min", "max"])
    median_days = ((spans["max"] - spans["min"]).dt.total_seconds() / 86400).median()
    assert summary["median_throughput_days"] == pytest.approx(median_days)

    cases = pd.read_parquet(out / "datasets" / "demo" / "cases.parquet").set_index("case_id")
    on_time = events.groupby("case_id").timestamp.max() <= cases.deadline
    assert summary["sla_compliance_share"] == pytest.approx(on_time.mean())
    assert summary["top_bottleneck"].startswith("Waiting before '")

    baseline = json.loads((out / "baselines" / "demo-baseline.json").read_text())
    manifest = json.loads((out / "datasets" / "demo" / "manifest.json").read_text())
    assert baseline["dataset"]["fingerprint"] == manifest["fingerprint"]
    report = Path(summary["report"])
    assert report == out / "report.html"
    assert report.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
    assert json.loads((out / "assessment.json").read_text())["cases"] == 150
    assert "no display" in stderr  # headless: says where the report is instead of failing


def test_demo_sets_up_the_workbench(first_run: tuple[Path, dict, str]) -> None:
    from civicflow.app import SYSTEM, accounts, audit, workspaces

    out, summary, _ = first_run
    bench = summary["workbench"]
    assert bench["admin_created"] is True
    password = bench["admin_password"]
    assert len(password) >= accounts.MIN_PASSWORD_LENGTH
    # shown once, never stored beside the data
    assert password not in (out / "assessment.json").read_text()
    assert (out / "app" / "civicflow.db").exists()
    with _demo_app(out) as ctx:
        actor = accounts.authenticate(ctx, email=bench["admin_email"], password=password)  # type: ignore[arg-type]
        assert actor is not None and actor.is_admin
        assert accounts.authenticate(ctx, email=bench["admin_email"], password="wrong" * 4) is None  # type: ignore[arg-type]
        listed = workspaces.list_workspaces(ctx, actor=actor)  # type: ignore[arg-type]
        assert [(w.name, w.path, w.id) for w in listed] == [("demo", out, bench["workspace_id"])]
        assert listed[0].role is not None and listed[0].role.value == "admin"
        report = audit.verify(ctx, actor=SYSTEM)  # type: ignore[arg-type]
        assert report.ok, report.summary()
        assert report.entries == 4
        assert _ledger_actions(ctx) == [
            "user.create",
            "workspace.create",
            "dataset.ingest",
            "baseline.freeze",
        ]
    assert bench["url"].endswith(f"/w/{bench['workspace_id']}")
    assert "civicflow serve --workspace-root" in bench["serve_command"]
    # the configured (unreachable) database was left alone, and the command says so
    assert bench["serve_command"].startswith("CIVICFLOW_DATABASE_URL= ")


def test_demo_again_keeps_the_frozen_baseline_and_compares(
    first_run: tuple[Path, dict, str],
) -> None:
    out, _, _ = first_run
    frozen = (out / "baselines" / "demo-baseline.json").read_bytes()
    run = _civicflow(
        "demo",
        "--out",
        str(out),
        "--cases",
        "150",
        "--seed",
        "3",
        "--json",
        "--no-open",
        cwd=out.parent,
    )
    assert run.returncode == 0, run.stderr
    assert (out / "baselines" / "demo-baseline.json").read_bytes() == frozen
    again = json.loads(run.stdout)
    comparison = again["comparison"]
    # same seed, same data: equal fingerprints and unchanged KPIs
    assert comparison["fingerprint_changed"] is False
    assert {c["assessment"] for c in comparison["changes"]} <= {
        "no material change",
        "not comparable",
    }
    # the same admin and workspace, no new password; the regenerated dataset is recorded
    # (it replaced the old one), the frozen baseline is not frozen again
    bench = again["workbench"]
    assert bench["admin_created"] is False and bench["admin_password"] is None
    assert bench["workspace_id"] == first_run[1]["workbench"]["workspace_id"]
    with _demo_app(out) as ctx:
        assert _ledger_actions(ctx) == [
            "user.create",
            "workspace.create",
            "dataset.ingest",
            "baseline.freeze",
            "dataset.ingest",
        ]


def test_demo_takes_the_admin_password_from_stdin(tmp_path: Path) -> None:
    from civicflow.app import SYSTEM, accounts, audit

    mine = "correct horse battery staple"
    run = _civicflow(
        "demo", "--out", "ws", "--cases", "30", "--no-open", "--admin-email", "Me@Agency.example",
        "--admin-password-stdin", cwd=tmp_path, stdin=mine + "\n",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert mine not in run.stdout  # the user's own password is not echoed back
    assert "demo admin created: me@agency.example" in run.stdout
    with _demo_app(tmp_path / "ws") as ctx:
        assert accounts.authenticate(ctx, email="me@agency.example", password=mine) is not None  # type: ignore[arg-type]
        assert audit.verify(ctx, actor=SYSTEM).ok  # type: ignore[arg-type]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_demo_serve_serves_the_workbench(tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [*_command(), "demo", "--out", "ws", "--cases", "40", "--serve", "--no-open",
         "--port", str(port)],
        cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or ()), daemon=True)
    reader.start()
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 240
        while True:
            assert proc.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "no answer from /healthz:\n" + "".join(lines)
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        printed = "".join(lines)
        password = next(m.group(1) for ln in lines if (m := PASSWORD_LINE.match(ln)))
        url = next(m.group(1) for ln in lines if (m := WORKSPACE_LINE.match(ln)))
        assert url.startswith(base + "/w/ws_"), printed
        with httpx.Client(base_url=base, timeout=30) as client:
            assert client.get(url, follow_redirects=False).status_code in (302, 303, 401)
            csrf = CSRF_META.search(client.get("/login").text)
            assert csrf, "no CSRF token on the sign-in page"
            signed = client.post(
                "/login",
                data={"email": "admin@civicflow-demo.example", "password": password,
                      "csrf_token": csrf.group(1), "next": url.removeprefix(base)},
            )  # fmt: skip
            assert signed.status_code == 303, signed.text[:300]
            page = client.get(url)
            assert page.status_code == 200
            assert "demo" in page.text
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_demo_refuses_a_folder_that_is_not_a_workspace(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    run = _civicflow("demo", "--out", "taken", "--cases", "20", "--no-open", cwd=tmp_path)
    assert run.returncode == 2
    assert "not a civicflow workspace" in run.stderr
    assert (tmp_path / "taken" / "notes.txt").read_text() == "mine"
