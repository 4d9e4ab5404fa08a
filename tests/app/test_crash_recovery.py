"""A dataset or baseline and its ledger entry are one unit, whenever the process is killed.

Each change runs in a forked process (forked by a fresh single-threaded process, never by the
test's own) that kills itself (``os._exit``) at its k-th step — every
rename, link, replace, removal, ledger append and journal step, for k = 1, 2, ... until the change
completes — and the next start (``recover_workspace``) must leave the files and the ledger in
agreement: every dataset on disk has its entry with the same fingerprint, no entry lacks its
dataset, the same for baselines, the state is wholly before or wholly after the change, and no
temporary file is left behind.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from civicflow.app import Actor, AppContext, accounts, assessment, open_app, workspaces
from civicflow.core import Settings
from civicflow.eventlog import EventStore, IngestOptions
from civicflow.ledger import state_digest
from civicflow.mining import list_baselines

CRASHED = 17
TINY = (
    "case_id,activity,timestamp\n"
    "c1,A,2024-01-01 10:00:00\nc1,B,2024-01-03 10:00:00\n"
    "c2,A,2024-01-02 09:00:00\nc2,B,2024-01-02 21:00:00\n"
)
OTHER = TINY + "c3,A,2024-01-05 09:00:00\nc3,C,2024-01-06 09:00:00\n"


def _open(home: Path) -> AppContext:
    return open_app(settings=Settings(home=home), require_migrated=True)


def _operation(op: str, src: Path) -> Callable[[AppContext, Actor, str], object]:
    def run(ctx: AppContext, admin: Actor, ws: str) -> object:
        if op == "ingest":
            return assessment.ingest_dataset(
                ctx, actor=admin, workspace_id=ws, source=src / "tiny.csv", name="new"
            )
        if op == "replace":
            return assessment.ingest_dataset(
                ctx, actor=admin, workspace_id=ws, source=src / "other.csv", name="base",
                options=IngestOptions(replace=True),
            )  # fmt: skip
        if op == "delete":
            return assessment.delete_dataset(ctx, actor=admin, workspace_id=ws, name="base")
        if op == "freeze":
            return assessment.freeze_baseline(
                ctx, actor=admin, workspace_id=ws, dataset_name="base", baseline_name="b1"
            )
        if op == "unfreeze":
            return assessment.delete_baseline(ctx, actor=admin, workspace_id=ws, name="b0")
        raise AssertionError(op)

    return run


def _child(home: Path, src: Path, op: str, ws: str, user: str, k: int) -> None:
    try:
        steps = [0]

        def tick(*_: object) -> None:
            steps[0] += 1
            if steps[0] == k:
                os._exit(CRASHED)

        def wrap(module: Any, name: str) -> None:
            real = getattr(module, name)

            def step(*args: Any, **kwargs: Any) -> Any:
                tick()
                result = real(*args, **kwargs)
                tick()
                return result

            setattr(module, name, step)

        for name in ("rename", "replace", "link", "unlink"):
            wrap(os, name)
        wrap(shutil, "rmtree")
        from civicflow.ledger import Ledger

        wrap(Ledger, "append")
        try:
            from civicflow.app import _journal
        except ImportError:  # the code before the journal: renames and appends are the steps
            pass
        else:
            _journal._step = tick  # type: ignore[assignment]
        ctx = _open(home)
        _operation(op, src)(ctx, accounts.get_actor(ctx, user), ws)
        os._exit(0)
    except BaseException:
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(3)


def _fork_parent(conn: Any) -> None:
    """A fresh, single-threaded process that forks one child per request and answers with the
    child's exit code. The test's own process may hold threads (DuckDB pools, servers of other
    tests in the same worker): a child forked from it can inherit a lock held by one of them
    and hang or crash; a child forked from here cannot."""
    while True:
        request = conn.recv()
        if request is None:
            return
        pid = os.fork()
        if pid == 0:
            _child(*request)  # always ends in os._exit
        _, status = os.waitpid(pid, 0)
        conn.send(os.waitstatus_to_exitcode(status))


def _ledger_state(ctx: AppContext, ws: str) -> tuple[dict[str, str], dict[str, str]]:
    """Datasets and baselines as the ledger says they are (replayed in order)."""
    datasets: dict[str, str] = {}
    baselines: dict[str, str] = {}
    with ctx.read_session() as s:
        entries = ctx.ledger.entries(
            s.connection(), workspace_ids=[ws], limit=10_000, newest_first=False
        )
    for e in entries:
        if e.action == "dataset.ingest":
            datasets[e.object_id] = str(e.after_digest)
        elif e.action == "dataset.delete":
            assert datasets.pop(e.object_id) == e.before_digest
        elif e.action == "baseline.freeze":
            baselines[e.object_id] = str(e.after_digest)
        elif e.action == "baseline.delete":
            assert baselines.pop(e.object_id) == e.before_digest
    return datasets, baselines


def _disk_state(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    store = EventStore.open(path)
    datasets = {d.name: d.manifest.fingerprint for d in store.datasets()}
    baselines = {b.name: str(state_digest(b.to_dict())) for b in list_baselines(store)}
    return datasets, baselines


def _leftovers(path: Path) -> list[str]:
    hidden = [
        str(p.relative_to(path))
        for p in path.rglob(".*")
        if p.name != ".journal" and ".journal" not in p.parts[:-1]
    ]
    journal = path / ".journal"
    return hidden + ([str(p) for p in journal.iterdir()] if journal.is_dir() else [])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, str, str]:
    """A migrated database and a workspace holding dataset 'base' and baseline 'b0' (recorded)."""
    root = tmp_path_factory.mktemp("crash")
    home, snap, src = root / "home", root / "snapshot", root / "src"
    src.mkdir()
    (src / "tiny.csv").write_text(TINY)
    (src / "other.csv").write_text(OTHER)
    ctx = open_app(settings=Settings(home=home))
    ctx.upgrade()
    user = accounts.create_admin(ctx, email="admin@agency.example", password="x" * 12)
    admin = accounts.get_actor(ctx, user.id)
    ws = workspaces.create_workspace(ctx, actor=admin, name="ws", path=home / "ws")
    assessment.ingest_dataset(
        ctx, actor=admin, workspace_id=ws.id, source=src / "tiny.csv", name="base"
    )
    assessment.freeze_baseline(
        ctx, actor=admin, workspace_id=ws.id, dataset_name="base", baseline_name="b0"
    )
    ctx.close()
    shutil.copytree(home, snap)
    return home, snap, src, ws.id, user.id


@pytest.mark.parametrize("op", ["ingest", "replace", "delete", "freeze", "unfreeze"])
def test_killed_at_every_step_the_files_and_the_ledger_agree(
    world: tuple[Path, Path, Path, str, str], op: str
) -> None:
    home, snap, src, ws, user = world
    spawn = multiprocessing.get_context("spawn")
    requests, replies = spawn.Pipe()
    forker = spawn.Process(target=_fork_parent, args=(replies,), daemon=True)
    forker.start()
    try:
        _kill_at_every_step(home, snap, src, ws, user, op, requests)
    finally:
        requests.send(None)
        forker.join(30)


def _kill_at_every_step(
    home: Path, snap: Path, src: Path, ws: str, user: str, op: str, requests: Any
) -> None:
    before = _disk_state(snap / "ws")
    after: tuple[dict[str, str], dict[str, str]] | None = None
    rolled_back = completed = 0
    seen = []
    for k in range(1, 200):
        shutil.rmtree(home)
        shutil.copytree(snap, home)
        requests.send((home, src, op, ws, user, k))
        assert requests.poll(120), f"step {k}: the child did not finish within 120 s"
        exitcode = requests.recv()
        assert exitcode in (0, CRASHED), f"step {k}: the child failed ({exitcode})"
        ctx = _open(home)
        try:
            report = assessment.recover_workspace(ctx, workspace_id=ws)
            disk = _disk_state(home / "ws")
            assert disk == _ledger_state(ctx, ws), f"{op}, killed at step {k}: {report.lines()}"
        finally:
            ctx.close()
        assert _leftovers(home / "ws") == [], f"{op}, killed at step {k}"
        seen.append(disk)
        rolled_back += bool(report.rolled_back)
        completed += bool(report.completed)
        if exitcode == 0:
            after = disk
            break
    else:
        pytest.fail("the change never completed")
    print(
        f"{op}: killed at each of {k - 1} steps; {rolled_back} rolled back, {completed} completed"
    )
    assert after is not None and after != before

    # every crash left either the state before or the state after the change (a baseline's
    # digest includes when it was computed: compared by name)
    def shape(state: tuple[dict[str, str], dict[str, str]]) -> tuple[object, ...]:
        return state[0], sorted(state[1])

    assert all(shape(state) in (shape(before), shape(after)) for state in seen)
    assert k > 3
    assert rolled_back >= 1  # some crash came between the intent and the commit
    if op != "freeze":  # (a freeze's only step after the commit is the journal's removal)
        assert completed >= 1


def test_recovery_leaves_a_live_ingest_alone(
    world: tuple[Path, Path, Path, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process's start-up recovery runs while an ingest is half done: the ingest's
    staging folder is kept (its lock is held) and the ingest completes and is recorded."""
    import threading

    from civicflow.app import _assessment

    home, snap, src, ws, user = world
    shutil.rmtree(home)
    shutil.copytree(snap, home)
    halfway, resume = threading.Event(), threading.Event()
    real = _assessment.ensure_derived

    def paused(dataset: Any) -> Any:
        halfway.set()
        assert resume.wait(60)
        return real(dataset)

    monkeypatch.setattr(_assessment, "ensure_derived", paused)
    ctx, other = _open(home), _open(home)
    try:
        result: list[object] = []
        worker = threading.Thread(
            target=lambda: result.append(
                _operation("ingest", src)(ctx, accounts.get_actor(ctx, user), ws)
            )
        )
        worker.start()
        assert halfway.wait(60)
        staged = list((home / "ws" / "datasets").glob(".incoming-*[!k]"))
        assert len(staged) == 1
        report = assessment.recover_workspace(other, workspace_id=ws)
        assert report.empty and staged[0].is_dir()
        resume.set()
        worker.join(60)
        assert result and _disk_state(home / "ws") == _ledger_state(ctx, ws)
        assert "new" in _disk_state(home / "ws")[0]
    finally:
        resume.set()
        ctx.close()
        other.close()


def test_ingest_freeze_delete_in_a_workspace_path_with_quotes(tmp_path: Path) -> None:
    """A workspace folder named with ' and " and a space: ingest, analyses, a baseline, delete."""
    from civicflow.mining import process_map

    (tmp_path / "log.csv").write_text(TINY)
    ctx = open_app(settings=Settings(home=tmp_path / "home"))
    ctx.upgrade()
    try:
        user = accounts.create_admin(ctx, email="admin@agency.example", password="x" * 12)
        admin = accounts.get_actor(ctx, user.id)
        folder = tmp_path / 'it\'s the "permits" office'
        ws = workspaces.create_workspace(ctx, actor=admin, name="quoted", path=folder)
        dataset = assessment.ingest_dataset(
            ctx, actor=admin, workspace_id=ws.id, source=tmp_path / "log.csv", name="tiny"
        )
        assert dataset.path == folder / "datasets" / "tiny" and dataset.manifest.events == 4
        view = assessment.open_view(ctx, actor=admin, workspace_id=ws.id, dataset_name="tiny")
        with assessment.engine_lock(ctx):
            assert process_map(view).to_dot()
        baseline = assessment.freeze_baseline(
            ctx, actor=admin, workspace_id=ws.id, dataset_name="tiny", baseline_name="b"
        )
        assert baseline.value("case_count") == 2
        assessment.delete_dataset(ctx, actor=admin, workspace_id=ws.id, name="tiny")
        disk = _disk_state(folder)
        assert disk == _ledger_state(ctx, ws.id) and disk[0] == {} and list(disk[1]) == ["b"]
    finally:
        ctx.close()
