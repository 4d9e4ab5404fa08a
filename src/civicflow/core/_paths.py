"""A file's place in a folder object, said once: ``events_path = SubPath("events.parquet")``."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class SubPath:
    """A read-only attribute: the entry ``name`` below the owner's folder (its attribute ``base``)."""

    __slots__ = ("base", "name")

    def __init__(self, name: str, *, base: str = "path") -> None:
        self.name = name
        self.base = base

    def __get__(self, obj: Any, owner: type | None = None) -> Path:
        folder: Path = getattr(obj, self.base)
        return folder / self.name
