"""The workbench's Jinja filters: every number, duration, share, amount, timestamp and enum key on a
page reads as the command line and the report show it (``mining/_format.py`` is the one place)."""

from __future__ import annotations

from typing import Any

import jinja2

from civicflow import mining

FILTERS: dict[str, Any] = {
    "num": mining.format_number,
    "decimal": mining.format_decimal,
    "share": mining.format_share,
    "duration": mining.format_duration,
    "amount": mining.format_amount,
    "when": mining.format_timestamp,
    "label": mining.format_label,
    "kpi": mining.format_kpi_value,
}
"""``{{ x | num }}`` 1,234; ``| share`` 42.0 %; ``| duration`` 3.2 d; ``| amount(cur)`` 1,234.50 EUR;
``| when`` 2026-12-04 22:48 UTC; ``| label`` one off; ``| kpi(unit)`` a KPI value with its unit."""


def install(env: jinja2.Environment) -> None:
    """Add the filters and the names the templates share (the default SLA's attribute names)."""
    env.filters.update(FILTERS)
    env.globals["deadline_names"] = mining.DEADLINE_ATTRIBUTES
    env.globals["kpi_labels"] = {name: d.label for name, d in mining.KPI_DEFINITIONS.items()}
    env.globals["kpi_units"] = {name: d.unit for name, d in mining.KPI_DEFINITIONS.items()}
