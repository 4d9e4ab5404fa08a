"""``civicflow privacy retention``: stored, versioned policies per dataset and data category
(set, remove, policies), the run that applies them to a workspace (apply; a dry run unless
--yes), a one-off dry run for one dataset (plan), and the scheduled run over every workspace
(run-due) for cron or a systemd timer."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from civicflow.core import InputError, Location

from ._operator import acting, print_receipt
from ._privacy_requests import JsonOpt, WorkspaceOpt, _run, console, err_console
from ._where import DEFAULT_WORKSPACE

retention_app = typer.Typer(
    help="Retention: stored policies per dataset and data category — delete, anonymise, "
    "pseudonymise or generalise the cases closed longer ago than their period (set, remove, "
    "policies), the run that applies them (apply; dry run by default), and the scheduled run "
    "over every workspace (run-due).",
    no_args_is_help=True,
)

EXIT_FAILED = 1
"""run-due: a workspace or a policy could not be applied (the others were)."""
EXIT_HELD = 3
"""run-due with --fail-on-held: something due was left alone because of a legal hold."""


def _print_plan(plan: Any, *, policy: str = "") -> None:
    held = " (on legal hold: nothing is dropped)" if plan.held else ""
    done = "dropped" if plan.applied else "would drop"
    console.print(
        f"{plan.dataset}: {done} {plan.cases} cases ({plan.events} events) whose last event is "
        f"before {plan.cutoff}; {plan.cases_kept} cases kept{held}{policy}",
        highlight=False,
        markup=False,
    )


def _print_step(step: Any) -> None:
    plan, effect = step.plan, step.effect
    head = f"{step.dataset} [{step.policy_name} v{step.policy_version}: {step.action} {step.scope}]"
    if step.error:
        console.print(f"{head}: not applied — {step.error}", highlight=False, markup=False)
        return
    held = " (on legal hold: left alone)" if plan.held and effect and effect.changed else ""
    verb = "" if plan.applied else "would be "
    if effect is None or not effect.changed:
        console.print(
            f"{head}: nothing to change ({plan.cases} cases ended before {plan.cutoff})",
            highlight=False,
            markup=False,
        )
        return
    if effect.cases_removed:
        what = f"{effect.cases_removed} cases ({effect.events_removed} events) {verb}deleted"
    else:
        cells = ", ".join(
            f"{c.column}: {c.values} {verb}{c.operation}"
            + (
                " (" + ", ".join(f"{n} {e}" for e, n in c.entities.items()) + ")"
                if c.entities
                else ""
            )
            for c in effect.columns
            if c.values
        )
        what = f"{effect.cases} cases ended before {plan.cutoff}; {cells}"
    console.print(f"{head}: {what}{held}", highlight=False, markup=False)
    for name in effect.skipped:
        console.print(f"  column {name}: not in this dataset", highlight=False, markup=False)


def _retention(dataset: str, days: int, workspace: Path, as_json: bool, *, apply: bool) -> None:
    from civicflow.app import Permission
    from civicflow.app import privacy as pv

    verb = "apply" if apply else "plan"
    with acting(
        workspace, Permission.PRIVACY_REQUESTS, command=f"civicflow privacy retention {verb}"
    ) as act:
        call = pv.retention_apply if apply else pv.retention_plan
        plan = call(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            dataset_name=dataset, older_than_days=days,
        )  # fmt: skip
        receipt = (
            act.receipt(action="privacy.retention", object_type="dataset", object_id=dataset)
            if apply
            else None
        )
    if as_json:
        typer.echo(json.dumps({**plan.to_dict(), "ledger_entry": receipt}, indent=2))
        return
    _print_plan(plan)
    if receipt is not None:
        print_receipt(receipt, out=err_console)


def _run_policies(dataset: str | None, workspace: Path, as_json: bool, *, apply: bool) -> None:
    from civicflow.app import Permission
    from civicflow.app import privacy as pv

    with acting(
        workspace, Permission.PRIVACY_REQUESTS, command="civicflow privacy retention apply"
    ) as act:
        run = pv.retention_run(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            apply=apply, dataset=dataset,
        )  # fmt: skip
    if as_json:
        typer.echo(json.dumps(run.to_dict(), indent=2))
        return
    for step in run.steps:
        _print_step(step)
    for name in run.without_policy:
        console.print(f"{name}: no retention policy; left alone", highlight=False, markup=False)
    if not apply:
        err_console.print("Dry run: nothing changed. Run again with --yes to apply.")
    elif not run.changed:
        err_console.print("Nothing to change: every dataset is within its retention periods.")


DaysOpt = Annotated[
    int, typer.Option("--older-than-days", help="Drop cases whose last event is older than this")
]


@retention_app.command("plan")
def retention_plan(
    dataset: Annotated[str, typer.Argument(help="Dataset of the workspace")],
    older_than_days: DaysOpt,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
    as_json: JsonOpt = False,
) -> None:
    """The dry run: which cases the retention period would drop. Changes nothing."""
    _retention(dataset, older_than_days, workspace, as_json, apply=False)


@retention_app.command("apply")
def retention_apply(
    dataset: Annotated[
        str | None, typer.Argument(help="One dataset (default: every dataset a policy covers)")
    ] = None,
    older_than_days: Annotated[
        int | None,
        typer.Option(
            "--older-than-days",
            help="A one-off period for DATASET instead of the stored policies",
        ),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Apply; without it the command is a dry run")
    ] = False,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
    as_json: JsonOpt = False,
) -> None:
    """Apply the stored policies (in their order) to each dataset: one new version of each
    dataset they change (none on legal hold); ledgered. Safe to schedule: a second run changes
    nothing. A dry run unless --yes; --older-than-days drops one dataset's cases once."""
    if older_than_days is None:
        _run_policies(dataset, workspace, as_json, apply=yes)
        return
    if dataset is None:
        raise InputError(
            "a one-off retention period is for one dataset",
            where=Location(field="dataset"),
            found="--older-than-days without a dataset",
            expected="DATASET --older-than-days N, or no period to apply the stored policies",
            fix="name the dataset, or store a policy with `civicflow privacy retention set`",
        )
    _retention(dataset, older_than_days, workspace, as_json, apply=yes)


ReasonOpt = Annotated[str, typer.Option("--reason", help="The retention schedule or legal basis")]


@retention_app.command("set")
def retention_set(
    dataset: Annotated[str, typer.Argument(help="Dataset of the workspace, or * for every one")],
    reason: ReasonOpt,
    older_than_days: Annotated[
        int | None, typer.Option("--older-than-days", help="The period in days")
    ] = None,
    older_than: Annotated[
        int | None, typer.Option("--older-than", help="The period, in --unit (e.g. 7)")
    ] = None,
    unit: Annotated[str, typer.Option("--unit", help="days, months or years")] = "days",
    action: Annotated[
        str, typer.Option("--action", help="delete, anonymise, pseudonymise or generalise")
    ] = "delete",
    category: Annotated[
        str | None,
        typer.Option(
            "--category",
            help="cases (delete), personal, direct_identifier, quasi_identifier or free_text",
        ),
    ] = None,
    columns: Annotated[
        list[str] | None, typer.Option("--column", help="A named column instead (repeatable)")
    ] = None,
    measured_from: Annotated[
        str,
        typer.Option("--measured-from", help="last_event, or a date column marking the end"),
    ] = "last_event",
    k: Annotated[
        int, typer.Option("--k", help="anonymise: least cases per quasi-identifier combination")
    ] = 5,
    name: Annotated[
        str | None,
        typer.Option("--name", help="The policy's name (default: from dataset and action)"),
    ] = None,
    position: Annotated[
        int, typer.Option("--order", help="Order among a dataset's policies (lower first)")
    ] = 100,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
    as_json: JsonOpt = False,
) -> None:
    """Store a new version of a retention policy; ledgered."""
    from civicflow.app import privacy as pv
    from civicflow.privacy import RetentionRule

    if (older_than is None) == (older_than_days is None):
        raise InputError(
            "a retention policy needs its period, once",
            where=Location(field="older_than"),
            found="both" if older_than is not None else "neither",
            expected="--older-than N --unit years, or --older-than-days N",
            fix="give the period the retention schedule sets, e.g. --older-than 7 --unit years",
        )
    amount = older_than if older_than is not None else older_than_days
    assert amount is not None
    rule = RetentionRule(
        older_than=amount, unit=unit if older_than is not None else "days", action=action,
        category=category or ("cases" if action in ("delete", "drop") else "personal"),
        columns=tuple(columns or ()), dataset=dataset, measured_from=measured_from, k=k,
    )  # fmt: skip
    policy, _ = _run(
        workspace, "civicflow privacy retention set",
        lambda ctx, actor, ws: pv.set_retention_policy(
            ctx, actor=actor, workspace_id=ws, rule=rule, name=name, position=position,
            reason=reason,
        ),
        action="", object_id=None,
    )  # fmt: skip
    _show_policy(policy, as_json)


@retention_app.command("remove")
def retention_remove(
    name: Annotated[str, typer.Argument(help="The policy's name (a dataset's, or *)")],
    reason: ReasonOpt,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
    as_json: JsonOpt = False,
) -> None:
    """End a retention policy (a new, inactive version; the history stays)."""
    from civicflow.app import privacy as pv

    policy, _ = _run(
        workspace, "civicflow privacy retention remove",
        lambda ctx, actor, ws: pv.remove_retention_policy(
            ctx, actor=actor, workspace_id=ws, name=name, reason=reason
        ),
        action="", object_id=None,
    )  # fmt: skip
    _show_policy(policy, as_json)


def _show_policy(policy: Any, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(policy.to_dict(), indent=2))
        return
    state = f"{policy.action} {policy.scope} after {policy.period}" if policy.active else "removed"
    console.print(
        f"{policy.name} ({policy.dataset}) v{policy.version}: {state} — {policy.reason}",
        highlight=False,
        markup=False,
    )


@retention_app.command("policies")
def retention_policies(
    history: Annotated[bool, typer.Option("--history", help="Every version")] = False,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
    as_json: JsonOpt = False,
) -> None:
    """The retention policies in force (or every version with --history)."""
    from civicflow.app import Permission
    from civicflow.app import privacy as pv

    with acting(
        workspace, Permission.WORKSPACE_READ, command="civicflow privacy retention policies"
    ) as act:
        policies = pv.list_retention_policies(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            history=history,
        )  # fmt: skip
    if as_json:
        typer.echo(json.dumps([p.to_dict() for p in policies], indent=2))
        return
    if not policies:
        console.print("No retention policy.")
        return
    table = Table("policy", "rule", "reason", "set")
    for p in policies:
        rule = (
            f"{p.action} {p.scope} of {p.dataset} after {p.period} (order {p.position})"
            if p.active
            else "removed"
        )
        table.add_row(f"{p.name} v{p.version}", rule, p.reason, p.created_at.strftime("%Y-%m-%d"))
    console.print(table)


@retention_app.command("run-due")
def retention_run_due(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what is due; change nothing")
    ] = False,
    fail_on_held: Annotated[
        bool,
        typer.Option("--fail-on-held", help="Exit 3 when a legal hold kept something due"),
    ] = False,
    today: Annotated[
        str | None, typer.Option("--today", help="Count ages from this day (YYYY-MM-DD)")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Apply every workspace's retention policies (the scheduled run, for cron or a systemd
    timer): each workspace of the application database in turn, as the system operator; a
    workspace that fails is reported and the others still run. Exit 0 when everything due was
    applied (or nothing was), 1 when a workspace or a policy failed, 3 with --fail-on-held when
    a legal hold kept something due."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

    from civicflow.app import SYSTEM, open_app
    from civicflow.app import privacy as pv
    from civicflow.core import get_settings

    day = None
    if today:
        try:
            day = date.fromisoformat(today)
        except ValueError:
            raise InputError(
                "--today is not a date", where=Location(field="today"), found=today,
                expected="YYYY-MM-DD", fix="leave it out to count from today",
            ) from None  # fmt: skip
    ctx = open_app(settings=get_settings(), require_migrated=True)
    try:
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            transient=True, disable=as_json,
        ) as progress:  # fmt: skip
            task = progress.add_task("retention…", total=None)

            def show(done: int, total: int, workspace: str, dataset: str) -> None:
                where = f"{workspace} / {dataset}" if workspace else "done"
                progress.update(task, completed=done, total=total,
                                description=f"retention: {where}")  # fmt: skip

            runs = pv.run_due(ctx, actor=SYSTEM, apply=not dry_run, today=day, progress=show)
    finally:
        ctx.close()
    failed = [r for r in runs if r.error or (r.run is not None and r.run.failed)]
    held = [
        r for r in runs
        if r.run is not None
        and any(s.plan.held and s.effect is not None and s.effect.changed for s in r.run.steps)
    ]  # fmt: skip
    if as_json:
        typer.echo(json.dumps(
            {"applied": not dry_run, "workspaces": [r.to_dict() for r in runs],
             "failed": [r.workspace for r in failed], "held": [r.workspace for r in held]},
            indent=2,
        ))  # fmt: skip
    else:
        if not runs:
            console.print("No workspace has a retention policy.")
        for r in runs:
            if r.run is None:
                console.print(f"{r.workspace}: failed — {r.error}", highlight=False, markup=False)
                continue
            changed = ", ".join(r.run.changed) or "nothing"
            console.print(
                f"{r.workspace}: {'would change' if dry_run else 'changed'} "
                f"{(', '.join(r.run.due) or 'nothing') if dry_run else changed}",
                highlight=False,
                markup=False,
            )
            for step in r.run.steps:
                _print_step(step)
    if failed:
        raise SystemExit(EXIT_FAILED)
    if fail_on_held and held:
        raise SystemExit(EXIT_HELD)
