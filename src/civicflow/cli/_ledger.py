"""``civicflow ledger verify|show|head|keygen|checkpoint|sign``: the tamper-evident audit ledger."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from civicflow.cli._output import echo_result, table
from civicflow.core import get_settings

if TYPE_CHECKING:
    from civicflow.ledger import Checkpoint

app = typer.Typer(help="The audit ledger: verify it, show entries, manage its signing key.")


@app.command("verify")
def verify(
    public_key: Annotated[
        Path | None,
        typer.Option(
            help="Trusted public (or private) key PEM; default: CIVICFLOW_LEDGER_SIGNING_KEY_FILE",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    tree_head: Annotated[
        Path | None,
        typer.Option(
            help="A copy of the published tree head to check against (a witness's); default: "
            "CIVICFLOW_LEDGER_TREE_HEAD_FILE",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Recompute every hash and root, check every checkpoint and signature, compare the
    database with the published tree head, and every row, dataset and baseline with its latest
    entry. Exits 1 naming the implicated entries and rows when anything was changed, removed,
    inserted or reordered."""
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from civicflow.app import SYSTEM, audit, open_app
    from civicflow.ledger import load_public_key, read_tree_head

    trusted = load_public_key(public_key) if public_key is not None else None
    witness = read_tree_head(tree_head) if tree_head is not None else None
    ctx = open_app(settings=get_settings(), require_migrated=True)
    try:
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), transient=True, disable=as_json
        ) as progress:
            progress.add_task("verifying the ledger…", total=None)
            report = audit.verify(
                ctx,
                actor=SYSTEM,
                trusted_public_key=trusted,
                tree_head=witness,
                tree_head_source=None if tree_head is None else str(tree_head),
            )
    finally:
        ctx.close()
    echo_result(report.to_dict(), as_json=as_json, text=report.summary())
    if not report.ok:
        # SystemExit, not typer.Exit: the root runs Typer with standalone_mode=False, which turns
        # typer.Exit into a return value and would lose the exit code
        raise SystemExit(1)


@app.command("show")
def show(
    limit: Annotated[int, typer.Option(help="How many entries")] = 20,
    offset: Annotated[int, typer.Option(help="Skip this many (newest first)")] = 0,
    index: Annotated[
        int | None, typer.Option(help="Show one entry with its inclusion proof")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON")] = False,
) -> None:
    """Show the newest entries, or one entry and the proof that the ledger includes it."""
    from civicflow.app import SYSTEM, audit, open_app

    ctx = open_app(settings=get_settings(), require_migrated=True)
    try:
        if index is not None:
            entry = audit.get_entry(ctx, actor=SYSTEM, entry_index=index)
            try:
                proof = audit.inclusion_proof(ctx, actor=SYSTEM, entry_index=index).to_dict()
            except Exception as exc:  # a missing checkpoint is information, not a failure
                proof = {"error": str(exc).splitlines()[0]}
            payload = {"entry": entry.to_dict(), "inclusion_proof": proof}
            typer.echo(json.dumps(payload, indent=None if as_json else 2))
            return
        entries = audit.list_entries(ctx, actor=SYSTEM, limit=limit, offset=offset)
        total = audit.count_entries(ctx, actor=SYSTEM)
    finally:
        ctx.close()
    if as_json:
        typer.echo(json.dumps([e.to_dict() for e in entries]))
        return
    # every value in full: a narrow terminal wraps a cell, it never cuts one short
    table(
        Console(),
        f"ledger: {total} entries (newest first; times in UTC)",
        ("#", "time", "actor", "role", "action", "object", "workspace", "reason"),
        (
            (
                str(e.index),
                e.time[:19].replace("T", " "),
                e.actor,
                e.role,
                e.action,
                f"{e.object_type} {e.object_id}",
                e.workspace_id or "",
                e.reason or "",
            )
            for e in entries
        ),
    )


@app.command("head")
def head(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the published document itself (JSON)")
    ] = False,
) -> None:
    """Print the latest signed tree head (size, root hash, time, signature, key), for
    publication: copy it somewhere the database's administrators cannot write, and check the
    database against that copy with `civicflow ledger verify --tree-head FILE`."""
    from civicflow.app import SYSTEM, audit, open_app
    from civicflow.core import NotFoundError

    ctx = open_app(settings=get_settings(), require_migrated=True)
    try:
        published = audit.published_head(ctx, actor=SYSTEM)
        path = ctx.ledger.tree_head_file
    finally:
        ctx.close()
    if published is None:
        raise NotFoundError(
            f"no tree head has been published at {path} yet",
            found="no file",
            expected="the file civicflow writes after every change",
            fix="make a change, or run `civicflow ledger checkpoint` to publish one now",
        )
    if as_json:
        typer.echo(json.dumps(published.to_published()))
        return
    state = (
        f"signed by key {published.key_fingerprint}"
        if published.signed
        else "UNSIGNED (no CIVICFLOW_LEDGER_SIGNING_KEY_FILE)"
    )
    typer.echo(f"tree head published at {path}")
    typer.echo(f"  entries:   {published.tree_size}")
    typer.echo(f"  root hash: {published.root_hash}")
    typer.echo(f"  time:      {published.created_at}")
    typer.echo(f"  signature: {published.signature or '-'}")
    typer.echo(f"  {state}")


@app.command("keygen")
def keygen(
    out: Annotated[Path, typer.Option(help="Where to write the private key (PEM)", dir_okay=False)],
    force: Annotated[bool, typer.Option(help="Overwrite an existing file")] = False,
) -> None:
    """Create an Ed25519 signing key for ledger checkpoints (file mode 0600) and its public key
    beside it (``.pub``). Keep the private key away from the database and the data."""
    from cryptography.hazmat.primitives import serialization

    from civicflow.ledger import write_new_key

    signer = write_new_key(out, overwrite=force)
    pub = out.with_name(out.name + ".pub")
    pub.write_bytes(
        signer.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    typer.echo(f"wrote {out} (private, 0600) and {pub} (public)")
    typer.echo(f"fingerprint: {signer.fingerprint}")
    typer.echo(f"use it with: export CIVICFLOW_LEDGER_SIGNING_KEY_FILE={out.resolve()}")


@app.command("checkpoint")
def checkpoint(
    as_json: Annotated[bool, typer.Option("--json", help="Print the checkpoint as JSON")] = False,
) -> None:
    """Write a (signed, when a key is configured) checkpoint covering every entry now."""
    from civicflow.app import SYSTEM, audit, open_app

    ctx = open_app(settings=get_settings(), require_migrated=True)
    try:
        cp = audit.write_checkpoint(ctx, actor=SYSTEM)
    finally:
        ctx.close()
    _print_checkpoint(cp, as_json=as_json)


@app.command("sign")
def sign(
    as_json: Annotated[bool, typer.Option("--json", help="Print the checkpoint as JSON")] = False,
) -> None:
    """Write a signed checkpoint of every entry now and publish it: after turning signing on,
    this vouches for the history written before (the unsigned checkpoints up to it). Refuses
    when no signing key is configured."""
    from civicflow.app import SYSTEM, audit, open_app

    ctx = open_app(settings=get_settings(), require_migrated=True)
    try:
        cp = audit.write_checkpoint(ctx, actor=SYSTEM, signed=True)
    finally:
        ctx.close()
    _print_checkpoint(cp, as_json=as_json)


def _print_checkpoint(cp: Checkpoint, *, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(cp.to_dict()))
    else:
        state = "signed" if cp.signed else "UNSIGNED (no CIVICFLOW_LEDGER_SIGNING_KEY_FILE)"
        typer.echo(f"checkpoint {cp.id}: {cp.tree_size} entries, root {cp.root_hash}, {state}")
        typer.echo("tree head published (see `civicflow ledger head`)")
