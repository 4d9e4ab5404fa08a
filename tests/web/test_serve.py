"""`civicflow serve` refuses an unmigrated database and says what to run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("civicflow")
    env = {**os.environ, "CIVICFLOW_HOME": str(tmp_path / "home")}
    env.pop("CIVICFLOW_DATABASE_URL", None)
    done = subprocess.run(
        [str(exe), "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "civicflow db upgrade" in done.stderr
    assert "database is not migrated" in done.stderr


def test_serve_is_registered() -> None:
    from typer.testing import CliRunner

    from civicflow.cli import app

    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--workspace-root", "--insecure-cookies", "--workers"):
        assert option in result.output


def test_serve_configures_the_server_with_objects_not_the_environment(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """`serve --workspace-root --insecure-cookies` used to write CIVICFLOW_HOME and
    CIVICFLOW_WEB_INSECURE_COOKIES into os.environ for the server to read back."""
    import pickle

    from typer.testing import CliRunner

    from civicflow.cli import _serve, app

    calls: list[Any] = []
    monkeypatch.setattr(_serve, "run_server", lambda **kw: calls.append(kw))
    monkeypatch.delenv("CIVICFLOW_WEB_SECURE_COOKIES", raising=False)
    before = dict(os.environ)
    home = tmp_path / "home"
    result = CliRunner().invoke(
        app, ["serve", "--workspace-root", str(home), "--insecure-cookies", "--port", "8123"]
    )
    assert result.exit_code == 0, result.output
    assert dict(os.environ) == before
    (call,) = calls
    assert (call["host"], call["port"], call["workers"]) == ("127.0.0.1", 8123, 1)
    workbench = call["workbench"]
    assert workbench.settings.home == home.resolve()
    assert workbench.insecure_cookies is True
    # each worker process gets the factory pickled: it must survive the trip
    workbench = pickle.loads(pickle.dumps(workbench))

    from civicflow.app import open_app

    ctx = open_app(settings=workbench.settings)
    ctx.upgrade()
    ctx.close()
    built = workbench()
    try:
        assert built.state.web.secure_cookies is False
        assert built.state.settings.home == home.resolve()
    finally:
        built.state.ctx.close()


def test_demo_serves_its_own_database_without_touching_the_environment(
    tmp_path: Path, monkeypatch: Any
) -> None:
    from civicflow.cli import _demo, _serve
    from civicflow.core import Settings

    calls: list[Any] = []
    monkeypatch.setattr(_serve, "run_server", lambda **kw: calls.append(kw))
    monkeypatch.setenv("CIVICFLOW_DATABASE_URL", "postgresql://elsewhere/real")
    before = dict(os.environ)
    settings = Settings(home=tmp_path / "demo" / "app", database_url=None)
    _demo._serve(settings, "127.0.0.1", 8124, open_url=None)
    assert dict(os.environ) == before
    (call,) = calls
    assert call["workbench"].settings.database_url is None
    assert call["workbench"].settings.home == tmp_path / "demo" / "app"
    assert call["workbench"].insecure_cookies is True


def test_web_settings_come_from_the_environment(monkeypatch: Any) -> None:
    import pytest

    from civicflow.core import ConfigurationError
    from civicflow.web import WebConfig

    monkeypatch.setenv("CIVICFLOW_WEB_SESSION_MAX_AGE_SECONDS", "600")
    monkeypatch.setenv("CIVICFLOW_WEB_SECURE_COOKIES", "false")
    monkeypatch.setenv("CIVICFLOW_OIDC_ISSUER", "https://id.agency.example")
    monkeypatch.setenv("CIVICFLOW_OIDC_CLIENT_ID", "workbench")
    monkeypatch.setenv("CIVICFLOW_OIDC_CLIENT_SECRET", "s3cret")
    web = WebConfig()
    assert (web.session_max_age_seconds, web.secure_cookies) == (600, False)
    assert web.oidc is not None and web.oidc.client_id == "workbench"
    # keyword arguments win over the environment
    assert WebConfig(secure_cookies=True).secure_cookies is True
    # an issuer without its client secret stops the start, naming the variable
    monkeypatch.delenv("CIVICFLOW_OIDC_CLIENT_SECRET")
    with pytest.raises(ConfigurationError, match="only in part") as info:
        WebConfig()
    assert "CIVICFLOW_OIDC_CLIENT_SECRET" in (info.value.fix or "")
