"""``civicflow where``: where the command line keeps its state (home, database, ledger tree head,
signing key, the default workspace) and which setting moves each."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from civicflow.core import Settings

DEFAULT_WORKSPACE = Path(".civicflow/workspace")
"""``civicflow ingest``'s workspace folder when ``--workspace`` is not given (relative to the
current folder)."""


def _database_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for a database server or an in-memory database)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url == "sqlite:///:memory:":
        return None
    return Path(url.removeprefix(prefix))


def paths(settings: Settings) -> dict[str, str]:
    """Every place civicflow reads or writes state, as absolute paths (a server URL as given,
    without its password)."""
    url = settings.resolved_database_url()
    db_file = _database_path(url)
    # a server's URL as given, its password masked (as SQLAlchemy prints URLs)
    database = (
        str(db_file) if db_file is not None else re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)
    )
    key = settings.ledger_signing_key_file
    return {
        "home": str(Path(settings.home).resolve()),
        "database": database,
        "tree_head_file": str(Path(settings.resolved_tree_head_file()).resolve()),
        "signing_key_file": "" if key is None else str(Path(key).resolve()),
        "default_workspace": str(DEFAULT_WORKSPACE.resolve()),
    }


_HOW = {
    "home": "CIVICFLOW_HOME",
    "database": "CIVICFLOW_DATABASE_URL (default: civicflow.db in the home)",
    "tree_head_file": "CIVICFLOW_LEDGER_TREE_HEAD_FILE (default: in the home)",
    "signing_key_file": "CIVICFLOW_LEDGER_SIGNING_KEY_FILE",
    "default_workspace": "civicflow ingest --workspace",
}


def where(
    as_json: Annotated[bool, typer.Option("--json", help="Print the paths as JSON")] = False,
) -> None:
    """Print where civicflow keeps its state: home folder, application database, ledger tree
    head, signing key and the default workspace, each with the setting that moves it."""
    from civicflow.core import get_settings

    found = paths(get_settings())
    if as_json:
        typer.echo(json.dumps(found))
        return
    db_file = _database_path(get_settings().resolved_database_url())
    for name, value in found.items():
        state = ""
        if name == "database" and db_file is not None and not db_file.exists():
            state = " (not created yet)"
        shown = value or "(none)"
        typer.echo(f"{name.replace('_', ' ')}: {shown}{state}    [{_HOW[name]}]")
