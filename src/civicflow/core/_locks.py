"""Owner locks: a temporary file or folder is abandoned only when no live process holds its lock.

A writer takes an exclusive ``flock`` on a lock file (``<path>.lock``, holding its pid for
people reading the folder) before it creates the temporary ``path``, and keeps it until the path is
gone or renamed into place. Clean-up at start removes a temporary path only if it can take that
lock itself: a killed process's lock is released by the kernel, a live ingest's never is (in another
process or in this one: ``flock`` locks belong to the open file, not to the process).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: nothing is ever judged abandoned
    fcntl = None  # type: ignore[assignment]


def lock_path(path: Path) -> Path:
    """The lock file that guards the temporary ``path``."""
    return path.with_name(path.name + ".lock")


class OwnerLock:
    """An exclusive lock on ``<path>.lock`` held by this process until :meth:`release`."""

    def __init__(self, path: Path, *, wait: bool = True) -> None:
        self.path = lock_path(path)
        self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(self._fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            os.ftruncate(self._fd, 0)
            os.write(self._fd, f"{os.getpid()}\n".encode())
        except BaseException:
            os.close(self._fd)
            raise

    @classmethod
    def try_take(cls, path: Path) -> OwnerLock | None:
        """The lock of ``path`` if no other holder has it (None while a live process does)."""
        if fcntl is None:  # pragma: no cover
            return None
        try:
            return cls(path, wait=False)
        except BlockingIOError:
            return None

    def release(self) -> None:
        """Remove the lock file and let go of the lock (idempotent)."""
        if self._fd is None:
            return
        self.path.unlink(missing_ok=True)
        os.close(self._fd)
        self._fd = None


def remove_if_abandoned(path: Path) -> bool:
    """Remove the temporary ``path`` (file or folder) and its lock file if no process holds the
    lock; True if it was removed. A path without a lock file counts as abandoned only when its
    writer could not have taken the lock yet, which never happens: the lock comes first."""
    if fcntl is None:  # pragma: no cover
        return False
    lock = lock_path(path)
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # a live process holds it
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        lock.unlink(missing_ok=True)
        return not path.exists()
    finally:
        os.close(fd)


def size_of(path: Path) -> int:
    """Bytes under ``path`` (0 if it is gone)."""
    try:
        if path.is_file():
            return path.stat().st_size
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    except OSError:
        return 0
