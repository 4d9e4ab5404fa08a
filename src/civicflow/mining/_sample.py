"""A deterministic sample of a view's cases, evenly spread over their start order: the visual
analyses draw every case of a small log and a stated sample of a big one."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis

from civicflow.eventlog import CASE_ID
from civicflow.mining._activities import count_value
from civicflow.mining._record import Rows

if TYPE_CHECKING:
    from ibis.expr.types import Table

    from civicflow.mining._view import LogView


class SampledRows(Rows[Any], abc.ABC):
    """A visual analysis's result that may draw a sample: ``to_dict`` adds its config, whether it
    is ``sampled`` and the ``note`` that says what is drawn (subclasses define both)."""

    __slots__ = ()

    @property
    @abc.abstractmethod
    def sampled(self) -> bool:
        """Whether the result drew a sample of the cases."""

    @property
    @abc.abstractmethod
    def note(self) -> str:
        """What is drawn, in words."""

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["config"] = getattr(self, "config").to_dict()  # noqa: B009 (each subclass's field)
        out["sampled"], out["note"] = self.sampled, self.note
        return out


@dataclass(frozen=True, slots=True)
class CaseSample:
    """``table``: case_id, case_start and ``row`` (0-based rank by start, then case id) of the
    chosen cases; every ``step``-th case by start is chosen."""

    table: Table
    total_cases: int
    step: int

    @property
    def sampled(self) -> bool:
        return self.step > 1


def sample_cases(view: LogView, max_cases: int) -> CaseSample:
    """Every case when there are at most ``max_cases``; else every ``ceil(n / max_cases)``-th case
    in start order (the same cases on every engine and every run)."""
    summary = view.case_summary
    total = count_value(view.execute(summary.count()))
    step = max(1, -(-total // max_cases))
    starts = summary.select(CASE_ID, "case_start")
    ranked = starts.mutate(
        rank=ibis.row_number().over(order_by=[starts.case_start, starts[CASE_ID]])
    )
    chosen = ranked.filter(ranked["rank"] % step == 0) if step > 1 else ranked
    chosen = chosen.mutate(row=(chosen["rank"] // step).cast("int64")).drop("rank")
    return CaseSample(table=chosen, total_cases=total, step=step)
