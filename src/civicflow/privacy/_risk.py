"""Re-identification risk before an export: k-anonymity over chosen quasi-identifiers, and how many
cases are unique given their first n activities and times (process data's own risk: a trace is a
fingerprint)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from civicflow.core import InputError, Record, check_choice


@dataclass(frozen=True, slots=True, kw_only=True)
class KAnonymity(Record):
    """``k``: the size of the smallest group of rows that share their quasi-identifiers."""

    _json = True

    quasi_identifiers: tuple[str, ...]
    rows: int
    k: int
    groups: int
    rows_below: int
    """Rows in groups smaller than ``threshold``."""
    threshold: int

    @property
    def share_below(self) -> float:
        return self.rows_below / self.rows if self.rows else 0.0

    _extra = ("share_below",)


def k_anonymity(
    table: pa.Table, quasi_identifiers: Sequence[str], *, threshold: int = 5
) -> KAnonymity:
    """k over ``quasi_identifiers`` (empty values are a value of their own)."""
    missing = [c for c in quasi_identifiers if c not in table.column_names]
    if not quasi_identifiers or missing:
        raise InputError(
            "k-anonymity needs quasi-identifier columns of the table",
            found=", ".join(missing) if missing else "none",
            expected=f"some of {table.column_names}",
            fix="name the columns that single a person out in combination (postcode, birth year)",
        )
    if table.num_rows == 0:
        return KAnonymity(
            quasi_identifiers=tuple(quasi_identifiers), rows=0, k=0, groups=0, rows_below=0,
            threshold=threshold,
        )  # fmt: skip
    keys = table.select(list(quasi_identifiers))
    keys = pa.table({c: pc.cast(keys[c], pa.string()) for c in quasi_identifiers})
    counts = keys.group_by(list(quasi_identifiers), use_threads=False).aggregate(
        [([], "count_all")]
    )
    sizes = counts["count_all"]
    small = pc.less(sizes, threshold)
    return KAnonymity(
        quasi_identifiers=tuple(quasi_identifiers),
        rows=table.num_rows,
        k=int(pc.min(sizes).as_py()),
        groups=counts.num_rows,
        rows_below=int(pc.sum(pc.filter(sizes, small)).as_py() or 0),
        threshold=threshold,
    )


TIME_RESOLUTIONS = ("none", "day", "hour", "exact")


@dataclass(frozen=True, slots=True, kw_only=True)
class PrefixUniqueness(Record):
    """How many cases are the only one with their first ``n`` activities (and times)."""

    _json = True

    n: int
    time_resolution: str
    cases: int
    unique_cases: int

    @property
    def share_unique(self) -> float:
        return self.unique_cases / self.cases if self.cases else 0.0

    _extra = ("share_unique",)


def prefix_uniqueness(
    events: pa.Table,
    *,
    n: int = 3,
    time_resolution: str = "day",
    case: str = "case_id",
    activity: str = "activity",
    timestamp: str = "timestamp",
) -> PrefixUniqueness:
    """Cases unique given their first ``n`` events' activities and times (rounded to
    ``time_resolution``; ``none``: activities only). Events in ``position`` order if present."""
    check_choice(time_resolution, TIME_RESOLUTIONS, what="time resolution", error=InputError)
    if n < 1:
        raise InputError("n must be at least 1", found=str(n), expected="n >= 1", fix="pass n=3")
    import pandas as pd

    columns = [case, activity, timestamp] + (
        ["position"] if "position" in events.column_names else []
    )
    frame = events.select(columns).to_pandas()
    frame = frame.sort_values(
        [case, "position" if "position" in frame else timestamp], kind="stable"
    )
    head = frame.groupby(case, sort=False).head(n)
    if time_resolution == "none":
        stamp = pd.Series("", index=head.index)
    elif time_resolution == "exact":
        stamp = head[timestamp].astype(str)
    else:
        stamp = head[timestamp].dt.floor("D" if time_resolution == "day" else "h").astype(str)
    token = head[activity].astype(str) + "@" + stamp
    keys = token.groupby(head[case], sort=False).agg("\x1f".join)
    counts = keys.map(keys.value_counts())
    return PrefixUniqueness(
        n=n,
        time_resolution=time_resolution,
        cases=len(keys),
        unique_cases=int((counts == 1).sum()),
    )
