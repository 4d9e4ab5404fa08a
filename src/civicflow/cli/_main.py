"""The root Typer app and its lazy command table.

A command imports what it runs: the root group knows each command's name, where it lives
(``"module:attr"``) and its one-line help, and imports the module only when that command is run
(or its own ``--help`` is asked for). ``civicflow --help`` and ``civicflow version`` therefore load
neither the analytics stack nor the web stack. A command group (a ``typer.Typer``, e.g. ``analyze``)
stays a normal Typer sub-app in its own module; a single command is a plain function.

Adding a command: write it in ``cli/_<name>.py`` and add one :class:`LazyCommand` row to
``COMMANDS`` below (``tests/cli/test_startup.py`` checks that the help text here matches the
command's own, and that ``--help`` imports no heavy package).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
from typer.core import TyperGroup, TyperOption

from civicflow import __version__


@dataclass(frozen=True, slots=True)
class LazyCommand:
    """One command of the root group, loaded on demand."""

    name: str
    target: str
    """``"civicflow.cli._module:attr"``: a ``typer.Typer`` (a command group) or a function."""
    help: str
    """The one line ``civicflow --help`` shows (the command's own help, first sentence)."""


COMMANDS: tuple[LazyCommand, ...] = (
    LazyCommand(
        "ingest",
        "civicflow.cli._ingest:ingest_command",
        "Import an event log into a workspace as a dataset (atomic: all or nothing).",
    ),
    LazyCommand(
        "demo",
        "civicflow.cli._demo:demo",
        "Build a demo workspace from civicflow's own seeded permit-application generator, assess "
        "it, freeze a baseline, write the HTML report and set up the workbench.",
    ),
    LazyCommand(
        "conformance",
        "civicflow.cli._conformance:conformance_command",
        "Check the cases against a BPMN reference flow (or the discovered model): fitness, "
        "precision and the most common deviations.",
    ),
    LazyCommand(
        "discover",
        "civicflow.cli._discover:discover_command",
        "Discover a process model (Inductive Miner): a sound, block-structured process tree.",
    ),
    LazyCommand(
        "opportunities",
        "civicflow.cli._opportunities:opportunities_command",
        "Rank the activities as automation opportunities, with each score's evidence.",
    ),
    LazyCommand(
        "serve",
        "civicflow.cli._serve:serve",
        "Start the web workbench. The database must be migrated first (`civicflow db upgrade`).",
    ),
    LazyCommand(
        "report",
        "civicflow.cli._report:report",
        "Write one self-contained HTML report (opens offline) with the assessment of a dataset.",
    ),
    LazyCommand(
        "datasets",
        "civicflow.cli._ingest:datasets_app",
        "List, show and delete the datasets of a workspace.",
    ),
    LazyCommand(
        "baseline",
        "civicflow.cli._baseline:app",
        "Freeze KPI baselines of a dataset and compare later data with them.",
    ),
    LazyCommand(
        "db",
        "civicflow.cli._db:app",
        "The application database: apply and inspect schema migrations.",
    ),
    LazyCommand(
        "ledger",
        "civicflow.cli._ledger:app",
        "The audit ledger: verify it, show entries, manage its signing key.",
    ),
    LazyCommand(
        "tokens",
        "civicflow.cli._tokens:app",
        "API tokens: create one for a user (shown once), list, revoke.",
    ),
    LazyCommand(
        "users",
        "civicflow.cli._users:app",
        "Accounts: create users and admins, grant and revoke roles, sign out, erase a person.",
    ),
    LazyCommand(
        "compare",
        "civicflow.cli._compare:compare_command",
        "Compare two periods or two segments of one dataset: key figures with significance, "
        "waiting times, and both process maps coloured by the change.",
    ),
    LazyCommand(
        "export",
        "civicflow.cli._export:app",
        "Export the filtered event log (CSV, Parquet, XES), a process map (SVG, PNG, DOT), the "
        "report as PDF, or an analysis table as CSV.",
    ),
    LazyCommand(
        "cases",
        "civicflow.cli._explore:cases_app",
        "The cases behind a number (a map edge, a variant, a bottleneck, an SLA breach) and one "
        "case's timeline.",
    ),
    LazyCommand(
        "filters",
        "civicflow.cli._explore:filters_app",
        "Filter stacks: what each step keeps, and the workspace's saved filter sets.",
    ),
    LazyCommand(
        "where",
        "civicflow.cli._where:where",
        "Print where civicflow keeps its state: home folder, application database, ledger tree "
        "head, signing key and the default workspace, each with the setting that moves it.",
    ),
    LazyCommand(
        "simulate",
        "civicflow.cli._simulate:app",
        "Simulation: discover a model of the process from a dataset, validate it on held-out "
        "data, run it, compare what-if scenarios.",
    ),
    LazyCommand(
        "business-case",
        "civicflow.cli._business_case:app",
        "Business cases: cost, benefit and uncertainty of a change, saved with their versions, "
        "evaluated and compared.",
    ),
    LazyCommand(
        "people",
        "civicflow.cli._people:people_app",
        "People and change: working hours per role and team, hours a scenario frees, training "
        "needs from a skills matrix. To plan training and redeployment, never headcount.",
    ),
    LazyCommand(
        "pilots",
        "civicflow.cli._people:pilots_app",
        "Pilots: design one (scope, period, control group, success criteria, sample size) and "
        "evaluate it against its baseline period.",
    ),
    LazyCommand(
        "governance",
        "civicflow.cli._governance:app",
        "Governance: the register of automated systems, impact assessments (Canada's AIA, the "
        "EU AI Act, a GDPR DPIA, a NIST AI RMF profile) and transparency records.",
    ),
    LazyCommand(
        "privacy",
        "civicflow.cli._privacy:app",
        "Privacy: find personal data in datasets and files, pseudonymise it at ingest, record the "
        "data steward's decisions, re-identify through the vault, measure the risk.",
    ),
    LazyCommand(
        "fairness",
        "civicflow.cli._fairness:app",
        "Fairness: audit automated decisions by group (metrics, disparities, the four-fifths "
        "rule, intervals, findings) and audit a process (do groups of cases wait longer?).",
    ),
    LazyCommand(
        "rules",
        "civicflow.cli._rules:app",
        "Rules-as-code: test rule sets against their YAML cases, move versions through review "
        "to publication, decide and explain cases with their legal references.",
    ),
    LazyCommand(
        "allocate",
        "civicflow.cli._allocate:app",
        "Allocate staff hours (or inspectors, vehicles, slots) to areas and periods from forecast "
        "demand, fairly: the efficient plan beside the fair one and what fairness costs.",
    ),
    LazyCommand(
        "forecast",
        "civicflow.cli._forecast:app",
        "Forecasting: demand per day, week or month from a dataset's arrivals or a table, a "
        "model per series chosen by cross-validation, intervals, accuracy against seasonal "
        "naive, hierarchies that add up.",
    ),
    LazyCommand(
        "assistant",
        "civicflow.cli._assistant:app",
        "The citizen inquiry assistant: import FAQ tables and pages into the knowledge base, "
        "ask questions (answers quoted with their source, or a hand-off), evaluate it.",
    ),
    LazyCommand(
        "analyze",
        "civicflow.cli._analyze:app",
        "Run one analysis on a dataset: process map, variants, performance, bottlenecks, rework, "
        "resources, SLA, breakdowns. Rich tables, or --json.",
    ),
)
"""Every command of the root group but ``version``, in the order ``--help`` lists them."""


def load_command(spec: LazyCommand) -> Any:
    """Import ``spec.target`` and turn it into a click command named ``spec.name``."""
    module_name, _, attr = spec.target.partition(":")
    target = getattr(importlib.import_module(module_name), attr)
    if isinstance(target, typer.Typer):
        command: Any = typer.main.get_group(target)  # a sub-app: no completion options of its own
    else:
        single = typer.Typer(add_completion=False)
        single.command(spec.name)(target)
        command = typer.main.get_command(single)
    command.name = spec.name
    return command


def _plain_flag(param: Any) -> None:
    """Let an unset boolean flag of the root group (``--help``, ``--install-completion``...) be
    False without Typer's coercion, which imports pydantic (0.07-0.3 s) to turn None into False."""
    if not isinstance(param, TyperOption) or param.type_descriptor.annotation is not bool:
        return
    if getattr(param, "_civicflow_plain", False):
        return
    param._civicflow_plain = True  # type: ignore[attr-defined]
    process = param.process_value

    def process_value(ctx: Any, value: Any) -> Any:
        return process(ctx, False if value is None else value)

    param.process_value = process_value  # type: ignore[method-assign]


def _plain_flags(command: Any) -> None:
    for param in command.params:
        _plain_flag(param)
    if getattr(command, "_civicflow_plain", False):
        return
    command._civicflow_plain = True
    help_option = command.get_help_option

    def get_help_option(ctx: Any) -> Any:
        option = help_option(ctx)
        if option is not None:
            _plain_flag(option)
        return option

    command.get_help_option = get_help_option


class LazyGroup(TyperGroup):
    """A Typer group whose commands in :data:`COMMANDS` are imported when first needed.

    Listing the commands (``civicflow --help``) uses the central help texts; running one, asking
    for its help, or reading ``.commands`` (the docs meta-test walks the whole tree) loads it.
    """

    _listing = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lazy = {spec.name: spec for spec in COMMANDS}
        for command in self._commands.values():
            _plain_flags(command)

    @property  # type: ignore[override]
    def commands(self) -> dict[str, Any]:
        for name in list(self._lazy):
            self._load(name)
        return self._commands

    @commands.setter
    def commands(self, value: Any) -> None:
        self._commands = dict(value)

    def add_command(self, cmd: Any, name: str | None = None) -> None:
        name = name or cmd.name
        self._lazy.pop(name, None)
        self._commands[name] = cmd

    def _load(self, name: str) -> Any:
        spec = self._lazy.pop(name, None)
        if spec is not None:
            self._commands[name] = load_command(spec)
        return self._commands.get(name)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        _plain_flags(self)  # Typer appends the completion options after __init__
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: Any) -> list[str]:
        return [*self._commands, *(n for n in self._lazy if n not in self._commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if self._listing and cmd_name in self._lazy:
            # only the name and the one-line help are shown: no need to import the command
            return typer.core.TyperCommand(cmd_name, short_help=self._lazy[cmd_name].help)
        return self._load(cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="civicflow",
    help="civicflow: assess processes from event logs, freeze baselines, run the workbench.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=LazyGroup,
)


@app.callback()
def _root() -> None:
    """civicflow: assess processes from event logs, freeze baselines, run the workbench."""


@app.command()
def version() -> None:
    """Print civicflow's version."""
    typer.echo(__version__)


def main() -> None:
    from civicflow.cli._errors import run_with_clear_errors

    run_with_clear_errors(app)
