"""People and change, and pilots' evaluations (see ``civicflow.app._people``).

Read (WORKSPACE_READ): ``role_hours``, ``scenario_hours_freed``, ``pilot_sample_size``. Change:
``training_budget_lines`` (PROGRAMME_WRITE; budget lines of category training) and
``evaluate_pilot`` (BASELINE_WRITE; ledger ``pilot.evaluate``). The report's "People and pilots"
section: ``report_section`` (web) and ``local_report_section`` (command line). Training plans are a programme
kind (``programme.TRAINING_PLANS``).
"""

from civicflow.app._people import (
    evaluate_pilot,
    local_report_section,
    pilot_design,
    pilot_sample_size,
    report_section,
    role_hours,
    scenario_hours_freed,
    training_budget_lines,
)

__all__ = [
    "evaluate_pilot",
    "local_report_section",
    "pilot_design",
    "pilot_sample_size",
    "report_section",
    "role_hours",
    "scenario_hours_freed",
    "training_budget_lines",
]
