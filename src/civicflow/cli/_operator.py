"""How state-changing commands act: as the local operator, through the application layer.

``civicflow ingest``, ``datasets delete`` and ``baseline freeze`` open the application database
(migrated on first use), act as the operating-system user's account in the workspace folder
(registered on first use, with that account as its admin) and call ``civicflow.app.assessment``,
which checks the role and writes the ledger entry. Read-only commands read the folder directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:
    from civicflow.app import AppContext, LocalOperator, Permission
    from civicflow.core import Settings

err_console = Console(stderr=True)


@dataclass(frozen=True, slots=True)
class Acting:
    """An open application context and the operator acting in it."""

    ctx: AppContext
    operator: LocalOperator

    def receipt(self, *, action: str, object_type: str, object_id: str) -> dict[str, Any]:
        """The ledger entry the use case just wrote, as the commands print it."""
        from civicflow.app import latest_entry

        entry = latest_entry(
            self.ctx, actor=self.operator.actor, workspace_id=self.operator.workspace_id,
            action=action, object_type=object_type, object_id=object_id,
        )  # fmt: skip
        return {
            "index": None if entry is None else entry.index,
            "action": action,
            "actor": self.operator.actor.pseudonym,
            "role": self.operator.actor.role_in(self.operator.workspace_id),
            "workspace_id": self.operator.workspace_id,
        }


@contextmanager
def acting(workspace: Path, permission: Permission, *, command: str) -> Iterator[Acting]:
    """Open the application database and the local operator of ``workspace``; refuse early
    (before any work) when the operator lacks ``permission`` there."""
    from civicflow.app import local_operator, open_local_app

    ctx = open_local_app()
    try:
        if ctx.created_database:
            first_use_notice(ctx.settings)
        operator = local_operator(
            ctx, workspace_path=workspace, permission=permission, command=command
        )
        if operator.workspace_registered:
            err_console.print(
                f"registered workspace '{operator.workspace_name}' ({operator.workspace_id}) "
                f"in {ctx.engine.url.render_as_string(hide_password=True)}; its admin is "
                f"'{operator.login}' ({operator.actor.pseudonym})",
                highlight=False,
            )
        from civicflow.app import assessment

        # the changes of a killed command are completed or rolled back before this one starts
        recovery = assessment.recover_workspace(ctx, workspace_id=operator.workspace_id)
        for line in recovery.lines():
            err_console.print(f"recovery: {line}", highlight=False, markup=False)
        yield Acting(ctx, operator)
    finally:
        ctx.close()


def first_use_notice(settings: Settings) -> None:
    """Say once, on stderr, where the command line keeps its state and how to move it: printed
    when a command has just created the application database."""
    from civicflow.cli._where import paths

    where = paths(settings)
    err_console.print(
        f"civicflow: first use here — created the application database {where['database']} "
        f"(accounts, workspaces, the audit ledger) in {where['home']}; the ledger's tree head "
        f"is published to {where['tree_head_file']}. Set CIVICFLOW_HOME (or "
        "CIVICFLOW_DATABASE_URL) to keep this state elsewhere; `civicflow where` shows these "
        "paths again.",
        highlight=False,
        markup=False,
        soft_wrap=True,  # a path cut across lines could not be copied
    )


def print_receipt(receipt: dict[str, Any], *, out: Console) -> None:
    out.print(
        f"ledger entry #{receipt['index']}: {receipt['action']} by {receipt['actor']} "
        f"({receipt['role']})",
        highlight=False,
    )
