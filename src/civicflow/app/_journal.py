"""A file change and its ledger entry as one unit, on a crash at any point.

Datasets and baselines are files; their ledger entries are rows. A use case that changes them
(1) prepares the new files under hidden names (a staged dataset folder, a staged baseline file),
(2) writes its *intent* — the entry it will append and the renames it will make — to
``<workspace>/.journal/<id>.json``, held under an owner lock while it runs, (3) in one database
transaction appends the entry and makes the renames (so a rename that fails rolls the entry back),
commits, and (4) removes what the renames set aside and then the intent.

The ledger decides. An intent left by a killed process is resolved at the next start
(:func:`recover_store`): if its entry is in the ledger (appended after the ledger size noted in the
intent, same action, object, actor and digests) the renames are completed, else they are undone
and the staged files removed. Nothing exists that the ledger does not record, and nothing the
ledger records as done is left undone.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from civicflow.app._context import AppContext
from civicflow.core import OwnerLock, new_id, remove_if_abandoned
from civicflow.eventlog import EventStore

log = logging.getLogger("civicflow.recovery")

JOURNAL = ".journal"


def _step(name: str) -> None:
    """A named point of a journaled change (tests stop the process here to prove recovery)."""


@dataclass(slots=True, kw_only=True)
class Intent:
    """What a journaled change will do: one ledger entry and renames inside the workspace."""

    action: str
    object_type: str
    object_id: str
    workspace_id: str
    actor: str
    before_digest: str | None = None
    after_digest: str | None = None
    moves: list[tuple[str, str]] = field(default_factory=list)
    """Renames, in order, made inside the entry's transaction (paths relative to the workspace)."""
    cleanup: list[str] = field(default_factory=list)
    """Set aside by the renames: removed once the entry is committed."""
    discard: list[str] = field(default_factory=list)
    """Staged: removed when the change is rolled back."""
    ledger_size: int = 0
    id: str = field(default_factory=new_id)

    def describe(self) -> str:
        return f"{self.action} of {self.object_type} '{self.object_id}'"


@dataclass(slots=True)
class RecoveryReport:
    """What the start-up recovery of one workspace did."""

    workspace: Path
    completed: list[str] = field(default_factory=list)
    """Changes the ledger records whose files were put in place now."""
    rolled_back: list[str] = field(default_factory=list)
    """Changes the ledger does not record whose files were undone now."""
    removed: list[tuple[Path, int]] = field(default_factory=list)
    """Abandoned temporary files and folders removed, with their size in bytes."""
    unresolved: list[str] = field(default_factory=list)
    """Intents that could not be resolved now (their files are kept for the next start)."""

    @property
    def empty(self) -> bool:
        return not (self.completed or self.rolled_back or self.removed or self.unresolved)

    def lines(self) -> list[str]:
        out = [f"completed an interrupted {c} (recorded in the ledger)" for c in self.completed]
        out += [f"rolled back an interrupted {c} (not in the ledger)" for c in self.rolled_back]
        out += [
            f"removed {p.relative_to(self.workspace)} ({size:,} bytes) left by a stopped process"
            for p, size in self.removed
        ]
        out += [
            f"could not resolve an interrupted {c}; kept for the next start"
            for c in self.unresolved
        ]
        return out


def _journal_dir(store: EventStore) -> Path:
    return store.path / JOURNAL


def _rename(src: Path, dst: Path) -> None:
    """Rename; a file is linked then unlinked, so an existing ``dst`` is never replaced."""
    if src.is_dir():
        os.rename(src, dst)  # refuses a non-empty dst folder
        return
    os.link(src, dst)  # FileExistsError if dst exists
    _step("linked")
    src.unlink()


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _same(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


def _forward(root: Path, intent: Intent) -> None:
    """Finish a committed change: what the renames set aside removed. (Every rename was made
    before the commit; only a linked file's old name may remain. A rename is never redone: its
    source name may already belong to the new dataset.)"""
    for s, d in intent.moves:
        src, dst = root / s, root / d
        if src.is_file() and _same(src, dst):
            src.unlink()
    for p in (*intent.cleanup, *intent.discard):  # (a staged name is gone once renamed)
        _remove(root / p)


def _backward(root: Path, intent: Intent) -> None:
    """Undo an uncommitted change: renames reversed, staged files removed."""
    for s, d in reversed(intent.moves):
        src, dst = root / s, root / d
        if dst.exists() or dst.is_symlink():
            if not src.exists():
                os.rename(dst, src)
            elif _same(src, dst):
                dst.unlink()
    for p in intent.discard:
        _remove(root / p)


class _Open:
    """An intent on disk, held under its owner lock."""

    def __init__(self, path: Path, intent: Intent, lock: OwnerLock) -> None:
        self.path, self.intent, self.lock = path, intent, lock

    def finish(self) -> None:
        self.path.unlink(missing_ok=True)
        self.lock.release()


def _write(store: EventStore, intent: Intent) -> _Open:
    folder = _journal_dir(store)
    folder.mkdir(exist_ok=True)
    path = folder / f"{intent.id}.json"
    lock = OwnerLock(path)
    try:
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(asdict(intent), fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        lock.release()
        raise
    return _Open(path, intent, lock)


def _read(path: Path) -> Intent | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["moves"] = [tuple(m) for m in data.get("moves", [])]
        return Intent(**data)
    except (OSError, ValueError, TypeError):
        return None


def _committed(ctx: AppContext, intent: Intent) -> bool:
    """Is the intent's entry in the ledger? (Appended after the size noted in the intent.)"""
    with ctx.read_session() as s:
        entries = ctx.ledger.entries(
            s.connection(), workspace_ids=[intent.workspace_id],
            object_type=intent.object_type, object_id=intent.object_id, limit=200,
        )  # fmt: skip
    return any(
        e.index >= intent.ledger_size
        and e.action == intent.action
        and e.actor == intent.actor
        and e.before_digest == intent.before_digest
        and e.after_digest == intent.after_digest
        for e in entries
    )


def run_journaled(
    ctx: AppContext,
    store: EventStore,
    intent: Intent,
    transaction: Callable[[Session], object],
) -> None:
    """Make ``intent``'s renames and commit ``transaction`` (which appends the entry) as one unit."""
    with ctx.read_session() as s:
        intent.ledger_size = ctx.ledger.size(s.connection())
    _step("prepared")
    journal = _write(store, intent)
    _step("journaled")
    root = store.path
    committing = False
    try:
        with ctx.session() as s:
            transaction(s)
            _step("entry")
            for src, dst in intent.moves:
                _rename(root / src, root / dst)
                _step("moved")
            committing = True
        _step("committed")
    except BaseException:
        try:
            if committing and _committed(ctx, intent):
                _forward(root, intent)
            else:
                _backward(root, intent)
        except Exception:  # the database is gone: the next start decides
            log.exception("could not resolve %s; the next start will", intent.describe())
            journal.lock.release()
            raise
        journal.finish()
        raise
    _forward(root, intent)
    _step("cleaned")
    journal.finish()


def pending_paths(store: EventStore) -> list[Path]:
    """Paths named by intents still on disk (kept from clean-up)."""
    out: list[Path] = []
    folder = _journal_dir(store)
    if folder.is_dir():
        for path in folder.glob("*.json"):
            intent = _read(path)
            if intent is not None:
                out += [store.path / p for pair in intent.moves for p in pair]
                out += [store.path / p for p in (*intent.cleanup, *intent.discard)]
    return out


def recover_store(ctx: AppContext, store: EventStore) -> RecoveryReport:
    """Resolve the intents of stopped processes against the ledger, then remove abandoned
    temporary files (never a live process's: see :class:`civicflow.core.OwnerLock`)."""
    report = RecoveryReport(store.path)
    folder = _journal_dir(store)
    if folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            lock = OwnerLock.try_take(path)
            if lock is None:
                continue  # a live change
            try:
                intent = _read(path)
                if intent is None:  # cut short while written: nothing was changed yet
                    path.unlink(missing_ok=True)
                    continue
                try:
                    done = _committed(ctx, intent)
                    (_forward if done else _backward)(store.path, intent)
                except Exception as exc:
                    log.warning("could not resolve %s: %s", intent.describe(), exc)
                    report.unresolved.append(intent.describe())
                    continue
                (report.completed if done else report.rolled_back).append(intent.describe())
                path.unlink(missing_ok=True)
            finally:
                lock.release()
        for tmp in folder.glob("*.json.tmp"):
            journal = tmp.with_name(tmp.name[: -len(".tmp")])
            lock = OwnerLock.try_take(journal)
            if lock is not None:
                if not journal.exists():
                    tmp.unlink(missing_ok=True)
                lock.release()
        for stray in folder.glob("*.lock"):
            if not stray.with_name(stray.name[: -len(".lock")]).exists():
                remove_if_abandoned(stray.with_name(stray.name[: -len(".lock")]))
    try:
        report.removed = store.clean_abandoned(keep=pending_paths(store))
    except OSError as exc:  # e.g. a workspace on read-only media: nothing to clean there
        log.warning("could not clean up %s: %s", store.path, exc)
    return report
