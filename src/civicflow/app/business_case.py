"""Business cases with roles and the ledger: saved cases per workspace, each a list of versions
that are never overwritten, evaluated (base case, Monte Carlo, tornado; the result stored with the
version), compared side by side, and drafted in one step from an automation opportunity.

Read (WORKSPACE_READ): ``list_cases``, ``get_case`` (by id or name), ``compare_cases``,
``budget_costs`` (the programme's budget lines as cost lines), ``report_section`` (the
report's "Business case" section), ``rank_opportunities`` (the automation opportunities of a
dataset; ``opportunities_to_dict``, ``opportunities_report_section``). Change (BUSINESS_CASE_WRITE, one
ledger entry each): ``create_case`` (``business_case.create``), ``add_version``
(``business_case.version``), ``evaluate_case`` (``business_case.evaluate``), ``delete_case``
(``business_case.delete``), ``from_opportunity`` (``scenario.create`` with a model, then
``business_case.create``), ``version_from_scenario`` (the next version's benefits from a stored
scenario comparison; ``business_case.version``). ``case_state`` is the ledgered state of a case.
"""

from civicflow.app._business_case import (
    FIGURES,
    CaseComparison,
    CaseVersion,
    Column,
    FromOpportunity,
    FromScenario,
    StoredCase,
    add_version,
    budget_costs,
    case_state,
    compare_cases,
    create_case,
    delete_case,
    evaluate_case,
    from_opportunity,
    get_case,
    list_cases,
    local_report_section,
    opportunities_report_section,
    opportunities_to_dict,
    rank_opportunities,
    report_section,
    version_from_scenario,
)

__all__ = [
    "FIGURES",
    "CaseComparison",
    "CaseVersion",
    "Column",
    "FromOpportunity",
    "FromScenario",
    "StoredCase",
    "add_version",
    "budget_costs",
    "case_state",
    "compare_cases",
    "create_case",
    "delete_case",
    "evaluate_case",
    "from_opportunity",
    "get_case",
    "list_cases",
    "local_report_section",
    "opportunities_report_section",
    "opportunities_to_dict",
    "rank_opportunities",
    "report_section",
    "version_from_scenario",
]
