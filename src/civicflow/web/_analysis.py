"""Analysis results cached per (dataset fingerprint, filter, analysis, options).

A dataset's fingerprint changes whenever its content does, so entries never go stale; the cache
only bounds memory. Concurrent requests for the same key compute once and share the result.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class AnalysisCache:
    """A small thread-safe LRU with per-key single flight."""

    def __init__(
        self, *, max_entries: int, engine_lock: threading.RLock | threading.Lock | None = None
    ) -> None:
        self.max_entries = max_entries
        # one analytics engine connection is shared; DuckDB connections are not safe to use from
        # several threads at once, so computations take turns (cached answers do not wait). The
        # lock is the application's (``civicflow.app.assessment.engine_lock``), the one every
        # user of that engine holds.
        self.engine_lock = engine_lock or threading.RLock()
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self.hits = 0
        self.misses = 0

    def get_or_compute(
        self, key: Hashable, compute: Callable[[], Any], *, uses_engine: bool = True
    ) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return self._data[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._data:
                    self.hits += 1
                    return self._data[key]
            if uses_engine:
                with self.engine_lock:
                    value = compute()
            else:
                # rendering only: the analyses it needs take the engine lock themselves
                value = compute()
            with self._lock:
                self.misses += 1
                self._data[key] = value
                self._data.move_to_end(key)
                while len(self._data) > self.max_entries:
                    self._data.popitem(last=False)
                self._key_locks.pop(key, None)
            return value

    def __len__(self) -> int:
        return len(self._data)
