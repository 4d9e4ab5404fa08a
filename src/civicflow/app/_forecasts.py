"""Forecast use cases: run a demand forecast from a dataset's arrivals or a table, store it as the
next version of a named forecast, and ledger it.

Reading needs WORKSPACE_READ; running needs FORECAST_WRITE (administrators, service owners and
analysts) and writes one ledger entry, ``forecast.run`` on the object ``forecast`` (the stored
row's id), in the transaction that stores it; its after-state is the source, its SHA-256 (the
table's, or the dataset's fingerprint), the configuration and the result. A forecast that fails
(a too-short series, a gap) raises before anything is stored.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import func, select

from civicflow.app._assessment import open_view
from civicflow.app._context import AppContext
from civicflow.app._models import ForecastRow
from civicflow.app._record import record
from civicflow.app._roles import Actor, Permission
from civicflow.app._workspaces import require_workspace_row
from civicflow.core import ConfigurationError, Location, NotFoundError, check_name, new_id, utcnow
from civicflow.eventlog import DuckDBEngine
from civicflow.forecasting import (
    DatasetSeriesConfig,
    ForecastConfig,
    ForecastResult,
    TableSeriesConfig,
    forecast,
    read_table,
    series_from_table,
    series_from_view,
)
from civicflow.forecasting._forecast import ProgressCallback
from civicflow.mining import EventLogFilter
from civicflow.report import Section, forecast_section

SourceKind = Literal["dataset", "table"]
OBJECT = "forecast"


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredForecast:
    """A stored version of a named forecast. ``result`` is
    ``ForecastResult.to_dict(history=True)``; ``config`` holds the forecast's and the series'
    configurations and the source."""

    id: str
    workspace_id: str
    name: str
    version: int
    source_kind: SourceKind
    source: str
    source_sha256: str | None
    config: dict[str, Any]
    result: dict[str, Any]
    seconds: float
    created_by: str
    created_at: datetime

    def summary(self) -> dict[str, Any]:
        """What a list shows: everything but the result, and the accuracy's summary."""
        accuracy = self.result.get("accuracy") or {}
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "source_kind": self.source_kind,
            "source": self.source,
            "series": len(self.result.get("choices", [])),
            "horizon": self.config.get("forecast", {}).get("horizon"),
            "accuracy": accuracy.get("summary"),
            "seconds": round(self.seconds, 3),
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "source_sha256": self.source_sha256,
            "config": self.config,
            "result": self.result,
        }


def _out(row: ForecastRow) -> StoredForecast:
    return StoredForecast(
        id=row.id, workspace_id=row.workspace_id, name=row.name, version=row.version,
        source_kind=row.source_kind,  # type: ignore[arg-type]
        source=row.source, source_sha256=row.source_sha256, config=row.config, result=row.result,
        seconds=row.seconds, created_by=row.created_by, created_at=row.created_at,
    )  # fmt: skip


def _default_name(text: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_.-")[:64]
    return cleaned or "forecast"


def list_forecasts(
    ctx: AppContext, *, actor: Actor, workspace_id: str, name: str | None = None
) -> list[StoredForecast]:
    """The workspace's forecasts (every version), newest first; only ``name``'s when given."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        q = select(ForecastRow).where(ForecastRow.workspace_id == workspace_id)
        if name is not None:
            q = q.where(ForecastRow.name == name)
        rows = s.scalars(q.order_by(ForecastRow.created_at.desc(), ForecastRow.version.desc()))
        return [_out(r) for r in rows.all()]


def get_forecast(
    ctx: AppContext, *, actor: Actor, workspace_id: str, forecast_id: str
) -> StoredForecast:
    """One stored forecast by id (WORKSPACE_READ)."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        row = s.get(ForecastRow, forecast_id)
        if row is None or row.workspace_id != workspace_id:
            raise NotFoundError(
                f"there is no forecast '{forecast_id}' in this workspace",
                where=Location(field="forecast_id"),
                found=forecast_id,
                fix="list the forecasts with `civicflow forecast list`",
            )
        return _out(row)


def run_forecast(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    config: ForecastConfig,
    dataset_name: str | None = None,
    series_config: DatasetSeriesConfig | None = None,
    filter: EventLogFilter | None = None,
    table: Path | None = None,
    table_config: TableSeriesConfig | None = None,
    name: str | None = None,
    reason: str | None = None,
    progress: ProgressCallback | None = None,
) -> tuple[StoredForecast, ForecastResult]:
    """Forecast the new cases per period of ``dataset_name`` (through ``filter``, by
    ``series_config.by``) or the series of the CSV/Parquet ``table``, and store the result as the
    next version of the forecast ``name`` (default: the dataset's name or the table's stem).
    FORECAST_WRITE; ledger ``forecast.run``."""
    actor.require(Permission.FORECAST_WRITE, workspace_id)
    if (dataset_name is None) == (table is None):
        raise ConfigurationError(
            "a forecast needs one source: a dataset or a table",
            where=Location(field="source"),
            found="both" if dataset_name is not None else "neither",
            fix="pass a dataset name or a table file, not both",
        )
    started = time.perf_counter()
    doc: dict[str, Any] = {"forecast": config.to_dict()}
    if table is not None:
        kind: SourceKind = "table"
        frame = read_table(table)
        digest: str | None = hashlib.sha256(table.read_bytes()).hexdigest()
        tcfg = table_config or TableSeriesConfig()
        series = series_from_table(frame, tcfg)
        source = table.name
        doc["table"] = tcfg.to_dict()
        default = table.stem
    else:
        assert dataset_name is not None
        kind = "dataset"
        scfg = series_config or DatasetSeriesConfig()
        view = open_view(
            ctx, actor=actor, workspace_id=workspace_id, dataset_name=dataset_name,
            filter=filter, engine=DuckDBEngine(),
        )  # fmt: skip
        series = series_from_view(view, scfg)
        digest = view.dataset.manifest.fingerprint[:64]
        source = dataset_name
        doc["dataset"] = {**scfg.to_dict(), "filter": view.filter.to_dict()}
        default = dataset_name + ("-" + "-".join(scfg.by) if scfg.by else "")
    forecast_name = name or _default_name(default)
    check_name(forecast_name, kind="forecast name")
    result = forecast(series, config, progress=progress)
    seconds = time.perf_counter() - started
    payload = result.to_dict(history=True)
    with ctx.session() as s:
        require_workspace_row(s, workspace_id)
        latest = s.scalar(
            select(func.max(ForecastRow.version)).where(
                ForecastRow.workspace_id == workspace_id, ForecastRow.name == forecast_name
            )
        )
        row = ForecastRow(
            id=new_id("fc_"), workspace_id=workspace_id, name=forecast_name,
            version=(latest or 0) + 1, source_kind=kind, source=source[:500],
            source_sha256=digest, config=doc, result=payload, seconds=seconds,
            created_by=actor.pseudonym, created_at=utcnow(),
        )  # fmt: skip
        s.add(row)
        record(
            ctx, s, actor=actor, action="forecast.run", object_type=OBJECT, object_id=row.id,
            workspace_id=workspace_id,
            after={"name": forecast_name, "version": row.version, "source": source,
                   "source_sha256": digest, "config": doc, "result": payload},
            reason=reason,
        )  # fmt: skip
        return _out(row), result


def report_section(ctx: AppContext, *, actor: Actor, workspace_id: str) -> Section | None:
    """The report's "Demand forecasts" section: the latest version of each named forecast (None
    without)."""
    latest: dict[str, StoredForecast] = {}
    for f in list_forecasts(ctx, actor=actor, workspace_id=workspace_id):
        latest.setdefault(f.name, f)  # newest first
    return forecast_section([f.to_dict() for f in latest.values()])


def local_report_section(workspace_path: Path | str) -> Section | None:
    """The "Demand forecasts" section for a report written on the command line, read only (None
    when the command line's database does not know the workspace or its operator)."""
    from civicflow.app._business_case import local_section

    return local_section(workspace_path, report_section)
