"""Exploring a dataset: saved filter sets (role-checked, ledgered) and the case explorer.

A filter set is a named filter stack saved in the workspace folder
(``filter_sets/<name>.json``), so the command line's ``--filter-set NAME`` reads it like the web
does. Saving and deleting one need BASELINE_WRITE (an analyst's work product, like a baseline)
and write a ledger entry (``filter_set.save`` / ``filter_set.delete``) in the same journaled unit
as the file change. Reading needs WORKSPACE_READ.

The case explorer's use cases open the view through :func:`open_view` and run on the
application's analytics engine under its lock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from civicflow.app._assessment import _rel, _store, engine_lock, open_view
from civicflow.app._context import AppContext
from civicflow.app._journal import Intent, run_journaled
from civicflow.app._record import record
from civicflow.app._roles import Actor, Permission
from civicflow.app._workspaces import require_workspace_row
from civicflow.core import ConflictError, Location, OwnerLock, new_id, utcnow
from civicflow.ledger import state_digest
from civicflow.mining import (
    CaseList,
    CaseQuery,
    CaseTimeline,
    EventLogFilter,
    FilterFunnel,
    FilterSet,
    FilterStack,
    LogView,
    case_list,
    case_timeline,
    filter_funnel,
    list_filter_sets,
    load_filter_set,
)
from civicflow.mining._filters import filter_set_path

T = TypeVar("T")
FILTER_SET = "filter_set"
"""The ledger's object type of a saved filter set."""


def save_filter_set(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    name: str,
    stack: FilterStack,
    description: str | None = None,
    replace: bool = False,
    reason: str | None = None,
) -> FilterSet:
    """Save ``stack`` as the workspace's filter set ``name`` (BASELINE_WRITE); ledger action
    ``filter_set.save``. An existing set of that name is replaced only with ``replace``."""
    actor.require(Permission.BASELINE_WRITE, workspace_id)
    store = _store(ctx, workspace_id, recover=True)
    final = filter_set_path(store, name)
    before = load_filter_set(store, name) if final.exists() else None
    if before is not None and not replace:
        raise ConflictError(
            f"there is already a filter set '{name}'",
            where=Location(file=str(final)),
            found=name,
            expected="a new name, or replace the set on purpose",
            fix="choose another name, or save with replace (the web's 'Replace' box, "
            "`civicflow filters save --replace`)",
        )
    saved = FilterSet(name=name, stack=stack, description=description, created_at=utcnow())
    final.parent.mkdir(parents=True, exist_ok=True)
    staged = final.parent / f".incoming-{new_id()}.json"
    owner = OwnerLock(staged)
    trash = final.parent / f".replaced-{new_id()}.json"
    try:
        staged.write_text(_json(saved), encoding="utf-8")
        after = state_digest(saved.to_dict())
        moves = [(_rel(store, staged), _rel(store, final))]
        if before is not None:
            moves.insert(0, (_rel(store, final), _rel(store, trash)))
        intent = Intent(
            action="filter_set.save", object_type=FILTER_SET, object_id=name,
            workspace_id=workspace_id, actor=actor.pseudonym, after_digest=after,
            before_digest=None if before is None else state_digest(before.to_dict()),
            moves=moves, discard=[_rel(store, staged)],
            cleanup=[_rel(store, trash)] if before is not None else [],
        )  # fmt: skip

        def entry(s: Session) -> None:
            require_workspace_row(s, workspace_id)
            record(
                ctx, s, actor=actor, action="filter_set.save", object_type=FILTER_SET,
                object_id=name, workspace_id=workspace_id, after_digest=after,
                before=None if before is None else before.to_dict(), reason=reason,
            )  # fmt: skip

        run_journaled(ctx, store, intent, entry)
    finally:
        staged.unlink(missing_ok=True)
        owner.release()
    return saved


def delete_filter_set(
    ctx: AppContext, *, actor: Actor, workspace_id: str, name: str, reason: str | None = None
) -> None:
    """Remove a saved filter set (BASELINE_WRITE); ledger action ``filter_set.delete``."""
    actor.require(Permission.BASELINE_WRITE, workspace_id)
    store = _store(ctx, workspace_id, recover=True)
    saved = load_filter_set(store, name)
    path = filter_set_path(store, name)
    trash = path.with_name(f".deleting-{new_id()}.json")
    intent = Intent(
        action="filter_set.delete", object_type=FILTER_SET, object_id=name,
        workspace_id=workspace_id, actor=actor.pseudonym,
        before_digest=state_digest(saved.to_dict()),
        moves=[(_rel(store, path), _rel(store, trash))], cleanup=[_rel(store, trash)],
    )  # fmt: skip

    def entry(s: Session) -> None:
        record(
            ctx, s, actor=actor, action="filter_set.delete", object_type=FILTER_SET,
            object_id=name, workspace_id=workspace_id, before=saved.to_dict(), reason=reason,
        )  # fmt: skip

    run_journaled(ctx, store, intent, entry)


def workspace_filter_sets(ctx: AppContext, *, actor: Actor, workspace_id: str) -> list[FilterSet]:
    """The workspace's saved filter sets, by name (WORKSPACE_READ)."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    return list_filter_sets(_store(ctx, workspace_id))


def get_filter_set(ctx: AppContext, *, actor: Actor, workspace_id: str, name: str) -> FilterSet:
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    return load_filter_set(_store(ctx, workspace_id), name)


def _on_view(
    ctx: AppContext,
    actor: Actor,
    workspace_id: str,
    dataset_name: str,
    filter: EventLogFilter | None,
    run: Callable[[LogView], T],
) -> T:
    """``run`` on the view (WORKSPACE_READ), on the analytics engine under its lock."""
    view = open_view(
        ctx, actor=actor, workspace_id=workspace_id, dataset_name=dataset_name, filter=filter
    )
    with engine_lock(ctx):
        return run(view)


def list_cases(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    dataset_name: str,
    filter: EventLogFilter | None = None,
    query: CaseQuery | None = None,
) -> CaseList:
    """One page of the cases behind a number (WORKSPACE_READ), see :func:`civicflow.mining.case_list`."""
    return _on_view(
        ctx, actor, workspace_id, dataset_name, filter, lambda v: case_list(v, query=query)
    )


def show_case(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    dataset_name: str,
    case_id: str,
    filter: EventLogFilter | None = None,
) -> CaseTimeline:
    """One case's timeline (WORKSPACE_READ), see :func:`civicflow.mining.case_timeline`."""
    return _on_view(
        ctx, actor, workspace_id, dataset_name, filter, lambda v: case_timeline(v, case_id)
    )


def funnel(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    dataset_name: str,
    filter: EventLogFilter | None = None,
) -> FilterFunnel:
    """The cases and events left after each filter step (WORKSPACE_READ)."""
    return _on_view(ctx, actor, workspace_id, dataset_name, filter, filter_funnel)


def _json(saved: FilterSet) -> str:
    import json

    return json.dumps(saved.to_dict(), indent=2, sort_keys=True) + "\n"
