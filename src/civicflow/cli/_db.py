"""``civicflow db upgrade|status``: the application database's schema migrations."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from civicflow.core import get_settings

app = typer.Typer(help="The application database: apply and inspect schema migrations.")


@app.command("upgrade")
def upgrade(
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
) -> None:
    """Apply the schema migrations (safe to repeat). Uses CIVICFLOW_DATABASE_URL or the SQLite
    default in CIVICFLOW_HOME."""
    from civicflow.app import migration_status, open_app, upgrade_database

    ctx = open_app(settings=get_settings())
    try:
        before = migration_status(ctx.engine)
        after = upgrade_database(ctx.engine)
    finally:
        ctx.close()
    if as_json:
        typer.echo(json.dumps({"before": before.current, **after.to_dict()}))
        return
    if before.current == after.current:
        typer.echo(f"database already at {after.current} (head) — {after.url}")
    else:
        typer.echo(f"database upgraded {before.current or 'empty'} → {after.current} — {after.url}")


@app.command("status")
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON")] = False,
) -> None:
    """Show the database's schema revision against this version's head; exit 1 when behind."""
    from civicflow.app import migration_status, open_app

    ctx = open_app(settings=get_settings())
    try:
        st = migration_status(ctx.engine)
    finally:
        ctx.close()
    if as_json:
        typer.echo(json.dumps(st.to_dict()))
    else:
        typer.echo(f"database: {st.url}")
        typer.echo(f"current:  {st.current or 'none (empty database)'}")
        typer.echo(f"head:     {st.head}")
        typer.echo("up to date" if st.up_to_date else "behind: run `civicflow db upgrade`")
    if not st.up_to_date:
        # SystemExit, not typer.Exit: the root runs Typer with standalone_mode=False, which turns
        # typer.Exit into a return value and would lose the exit code
        raise SystemExit(1)
