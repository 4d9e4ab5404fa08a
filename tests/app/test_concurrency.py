"""Concurrent writers through the application layer: no lost changes, no colliding entries."""

from __future__ import annotations

import threading

from civicflow.app import Actor, AppContext, audit, workspaces
from civicflow.app import programme as pg

from .samples import CREATE


def test_concurrent_writers_all_succeed_and_the_ledger_verifies(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace
) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(6):
                # each use case reads (the workspace) before it writes: the pattern that fails
                # on SQLite when transactions begin deferred
                pg.RISKS.create(
                    ctx, actor=admin, workspace_id=ws.id,
                    data=CREATE["risk"].model_copy(update={"title": f"risk {n}-{i}"}),
                )  # fmt: skip
                pg.RISKS.list(ctx, actor=admin, workspace_id=ws.id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    titles = {r.title for r in pg.RISKS.list(ctx, actor=admin, workspace_id=ws.id)}
    assert titles == {f"risk {n}-{i}" for n in range(4) for i in range(6)}
    report = audit.verify(ctx, actor=admin)
    assert report.ok, report.summary()
    risk_entries = [
        e for e in audit.list_entries(ctx, actor=admin, limit=100) if e.action == "risk.create"
    ]
    assert len(risk_entries) == 24
