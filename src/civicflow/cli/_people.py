"""``civicflow people`` and ``civicflow pilots``: hours per role and team, hours a scenario frees,
training needs from a skills matrix (optionally as budget lines), pilot designs and their
evaluation. Presented to plan training and redeployment, never as a headcount tool."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from civicflow.core import InputError, Location, NotFoundError
from civicflow.mining import KPI_DEFINITIONS, format_number, format_share

from ._filters import ViewOptions, WorkspaceOpt, view_command
from ._operator import acting, print_receipt
from ._output import emit_json, table

if TYPE_CHECKING:
    from civicflow.app.programme import Pilot
    from civicflow.planning import PilotEvaluation

people_app = typer.Typer(
    help="People and change: working hours per role and team, hours a scenario frees, training "
    "needs from a skills matrix. To plan training and redeployment, never headcount.",
    no_args_is_help=True,
)
pilots_app = typer.Typer(
    help="Pilots: design one (scope, period, control group, success criteria, sample size) and "
    "evaluate it against its baseline period.",
    no_args_is_help=True,
)
console = Console()

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
FteOpt = Annotated[
    float,
    typer.Option("--hours-per-fte", help="Productive hours of one full-time year (an FTE)."),
]


def _table_file(path: Path | None, field: str) -> dict[str, str]:
    """resource → name from a JSON object or a two-column CSV (resource, name)."""
    if path is None:
        return {}
    if not path.is_file():
        raise InputError(
            f"there is no file {path}",
            where=Location(field=field),
            found=str(path),
            expected="a JSON object or a CSV with the columns resource and the name",
        )
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        data = json.loads(text)
        if not isinstance(data, dict):
            raise InputError(
                f"{path} is not a JSON object",
                where=Location(field=field, file=str(path)),
                found=type(data).__name__,
                expected='{"resource": "name", ...}',
            )
        return {str(k): str(v) for k, v in data.items()}
    rows = list(csv.reader(text.splitlines()))
    return {r[0].strip(): r[1].strip() for r in rows[1:] if len(r) >= 2 and r[0].strip()}


@people_app.command("hours")
@view_command
def hours_command(
    *,
    options: ViewOptions,
    role_attribute: Annotated[
        str,
        typer.Option(
            "--role-attribute", help="The event attribute holding the role ('' for none)."
        ),
    ] = "role",
    roles: Annotated[
        Path | None,
        typer.Option("--roles", help="resource → role: a JSON object or a CSV (resource,role)."),
    ] = None,
    team_attribute: Annotated[
        str | None, typer.Option("--team-attribute", help="The event attribute holding the team.")
    ] = None,
    teams: Annotated[
        Path | None,
        typer.Option("--teams", help="resource → team: a JSON object or a CSV (resource,team)."),
    ] = None,
    hours_per_fte: FteOpt = 1600.0,
    working_hours: Annotated[
        str | None,
        typer.Option(
            "--working-hours",
            help="Count only working time, e.g. 08:30-17:00 (Mon-Fri); default: elapsed time.",
        ),
    ] = None,
    timezone: Annotated[
        str, typer.Option("--timezone", help="The working hours' time zone.")
    ] = "UTC",
    country: Annotated[
        str | None,
        typer.Option("--country", help="Public holidays closed (ISO code, e.g. NL)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Handling hours per role and team per year from the log's resources, with FTE
    equivalents (hours a year / hours per FTE)."""
    from civicflow.mining import WorkingCalendar
    from civicflow.planning import PeopleConfig, people_hours

    calendar = None
    if working_hours:
        opening, sep, closing = working_hours.partition("-")
        if not sep:
            raise InputError(
                f"cannot read the working hours '{working_hours}'",
                where=Location(field="--working-hours"),
                found=working_hours,
                expected="open-close, e.g. 08:30-17:00",
            )
        calendar = WorkingCalendar.office_hours(
            start=opening.strip(), end=closing.strip(), timezone=timezone, country=country
        )
    config = PeopleConfig(
        calendar=calendar,
        role_attribute=role_attribute or None,
        roles=_table_file(roles, "--roles"),
        team_attribute=team_attribute or None,
        teams=_table_file(teams, "--teams"),
        hours_per_fte=hours_per_fte,
    )
    with options.open() as view:
        result = people_hours(view, config)
    if as_json:
        emit_json({"dataset": options.dataset, **result.to_dict()})
        return
    for title, groups in (("role", result.roles), ("team", result.teams)):
        if not groups:
            continue
        table(
            console,
            f"Handling hours per {title} in {options.dataset} ({result.years:.2f} years)",
            (title, "resources", "hours a year", "FTE", "share"),
            [
                (
                    g.name,
                    g.resources,
                    format_number(round(g.hours_per_year)),
                    f"{g.fte:.2f}",
                    format_share(g.share),
                )
                for g in groups
            ],
            numeric=range(1, 5),
        )
    console.print(
        f"handling time: {result.basis}; FTE = hours a year / {result.hours_per_fte:g}; "
        f"{result.note}.",
        highlight=False,
    )


def _matrix(path: Path) -> list[Any]:
    from civicflow.planning import SkillRequirement

    if not path.is_file():
        raise InputError(
            f"there is no skills matrix {path}",
            where=Location(field="MATRIX"),
            found=str(path),
            expected="a CSV or JSON list with role, skill, needed, available, course, "
            "cost_per_person",
        )
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        rows = json.loads(text)
    else:
        rows = list(csv.DictReader(text.splitlines()))
    out = []
    for i, row in enumerate(rows):
        values = dict(row)
        try:
            for key in ("needed", "available"):
                if isinstance(values.get(key), str):
                    values[key] = int(values[key])
            if isinstance(values.get("cost_per_person"), str):
                values["cost_per_person"] = float(values["cost_per_person"] or 0)
        except ValueError as exc:
            raise InputError(
                f"row {i + 1} of the skills matrix has a value that is not a number",
                where=Location(field=key, file=str(path)),
                found=str(values.get(key)),
                expected="a whole number of people (needed, available), an amount (cost)",
            ) from exc
        out.append(SkillRequirement.from_dict(values))
    return out


@people_app.command("skills")
def skills_command(
    matrix: Annotated[
        Path,
        typer.Argument(
            help="The skills matrix: CSV or JSON rows of role, skill, needed, available, course, "
            "cost_per_person."
        ),
    ],
    workspace: WorkspaceOpt = Path("."),
    budget: Annotated[
        bool,
        typer.Option(
            "--budget",
            help="Add each training need to the programme's budget (category training).",
        ),
    ] = False,
    start_date: Annotated[
        str | None, typer.Option("--start-date", help="The budget lines' date (YYYY-MM-DD).")
    ] = None,
    currency: Annotated[str, typer.Option("--currency", help="ISO 4217 code.")] = "EUR",
    as_json: JsonOpt = False,
) -> None:
    """Training needs from a skills matrix (needed vs available per role and skill) and their
    cost; with --budget, each becomes a budget line of the programme (recorded in the ledger)."""
    from civicflow.planning import training_needs

    needs = training_needs(_matrix(matrix))
    created: list[Any] = []
    receipt = None
    if budget:
        from civicflow.app import Permission, people

        when = date.fromisoformat(start_date) if start_date else date.today()
        with acting(
            workspace, Permission.PROGRAMME_WRITE, command="civicflow people skills"
        ) as act:
            created = people.training_budget_lines(
                act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
                needs=needs, start_date=when, currency=currency,
                reason="civicflow people skills --budget (command line)",
            )  # fmt: skip
            if created:
                receipt = act.receipt(
                    action="budget_line.create", object_type="budget_line",
                    object_id=created[-1].id,
                )  # fmt: skip
    if as_json:
        emit_json(
            {**needs.to_dict(), "budget_lines": [b.to_dict() for b in created],
             "ledger_entry": receipt}
        )  # fmt: skip
        return
    table(
        console,
        "Training needs",
        ("role", "skill", "course", "people", "cost per person", "cost"),
        [
            (n.role, n.skill, n.course, n.people, f"{n.cost_per_person:,.2f}", f"{n.cost:,.2f}")
            for n in needs.needs
        ],
        numeric=range(3, 6),
    )
    console.print(
        f"{needs.people} people to train, {needs.total_cost:,.2f} in total"
        + (f"; covered already: {', '.join(needs.covered)}" if needs.covered else ""),
        highlight=False,
    )
    if created:
        console.print(f"added {len(created)} training budget line(s)", highlight=False)
        if receipt is not None:
            print_receipt(receipt, out=console)


@people_app.command("freed")
def freed_command(
    workspace: WorkspaceOpt,
    scenario: Annotated[str, typer.Option("--scenario", "-s", help="The scenario's name.")],
    run: Annotated[
        str | None,
        typer.Option("--run", help="The comparison run's id (default: the latest comparison)."),
    ] = None,
    pool_role: Annotated[
        list[str] | None,
        typer.Option(
            "--pool-role", help="A pool's role when they differ: 'pool=role' (repeatable)."
        ),
    ] = None,
    hours_per_fte: FteOpt = 1600.0,
    as_json: JsonOpt = False,
) -> None:
    """Working hours a year a simulated scenario frees (or adds) per role, against the model as
    it is, with 95 % intervals and FTE equivalents."""
    from civicflow.app import Permission, people
    from civicflow.app import planning as ap

    mapping = {}
    for item in pool_role or []:
        pool, sep, role = item.partition("=")
        if not sep or not pool.strip() or not role.strip():
            raise InputError(
                f"cannot read the pool's role '{item}'",
                where=Location(field="--pool-role"),
                found=item,
                expected="'pool=role'",
            )
        mapping[pool.strip()] = role.strip()
    with acting(workspace, Permission.WORKSPACE_READ, command="civicflow people freed") as act:
        actor, ws = act.operator.actor, act.operator.workspace_id
        if run is None:
            runs = [r for r in ap.list_runs(act.ctx, actor=actor, workspace_id=ws)
                    if r.kind == "compare"]  # fmt: skip
            if not runs:
                raise NotFoundError(
                    "there is no scenario comparison in this workspace",
                    where=Location(field="--run"),
                    found="no compare run",
                    fix="run `civicflow simulate compare` first",
                )
            run = max(runs, key=lambda r: r.created_at).id
        result = people.scenario_hours_freed(
            act.ctx, actor=actor, workspace_id=ws, run_id=run, scenario=scenario,
            pool_roles=mapping, hours_per_fte=hours_per_fte,
        )  # fmt: skip
    if as_json:
        emit_json({"run": run, **result.to_dict()})
        return
    table(
        console,
        f"Working hours a year freed by '{scenario}' (run {run})",
        ("role", "as is", "scenario", "freed", "95 % interval", "FTE", "share"),
        [
            (
                r.role,
                f"{r.as_is_hours_per_year:,.0f}",
                f"{r.scenario_hours_per_year:,.0f}",
                f"{r.hours_freed_per_year:,.0f}",
                f"{r.low:,.0f} to {r.high:,.0f}",
                f"{r.fte:.2f}",
                format_share(r.share),
            )
            for r in result.roles
        ],
        numeric=range(1, 7),
    )
    console.print(
        f"in total {result.total_hours_per_year:,.0f} hours a year ({result.total_fte:.2f} FTE); "
        f"{result.note}.",
        highlight=False,
    )


# -- pilots -------------------------------------------------------------------------------------


def _filter_text(value: str | None) -> str:
    """A filter option: a JSON file's content, or the text itself (JSON or a saved set's name)."""
    if not value:
        return ""
    path = Path(value)
    if value.endswith(".json") and path.is_file():
        return path.read_text(encoding="utf-8").strip()
    return value


def _criterion(item: str) -> dict[str, Any]:
    kpi, sep, target = item.partition("=")
    definition = KPI_DEFINITIONS.get(kpi.strip())
    try:
        value = float(target)
    except ValueError:
        value = float("nan")
    if not sep or definition is None or value != value:
        raise InputError(
            f"cannot read the success criterion '{item}'",
            where=Location(field="--criterion"),
            found=item,
            expected="'kpi=target' with a KPI of: " + ", ".join(KPI_DEFINITIONS),
            fix="write --criterion throughput_median_days=5",
        )
    direction = "increase" if definition.direction == "higher_is_better" else "decrease"
    return {"kpi": definition.name, "target": value, "direction": direction}


def _find_pilot(act: Any, ref: str) -> Pilot:
    from civicflow.app import programme as pg

    items = pg.PILOTS.list(
        act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id
    )
    found = [p for p in items if ref in (p.id, p.title)]
    if not found:
        raise NotFoundError(
            f"there is no pilot '{ref}' in this workspace",
            where=Location(field="PILOT"),
            found=ref,
            expected="one of: " + (", ".join(f"{p.title} ({p.id})" for p in items) or "none"),
            fix="list them with `civicflow pilots list`",
        )
    return found[-1]


@pilots_app.command("design")
def design_command(
    workspace: WorkspaceOpt,
    title: Annotated[str, typer.Option("--title", help="The pilot's title.")],
    dataset: Annotated[
        str, typer.Option("--dataset", "-d", help="The dataset it is evaluated on.")
    ],
    start: Annotated[str, typer.Option("--start", help="First day of the pilot (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--end", help="Last day of the pilot (YYYY-MM-DD).")],
    criterion: Annotated[
        list[str],
        typer.Option(
            "--criterion",
            help="A success criterion 'kpi=target' (repeatable); the direction is the KPI's.",
        ),
    ],
    scope: Annotated[str, typer.Option("--scope", help="What the pilot changes, in words.")] = "",
    scope_filter: Annotated[
        str | None,
        typer.Option(
            "--scope-filter",
            help="The pilot's cases: a filter stack JSON file, JSON, or a saved filter set's name.",
        ),
    ] = None,
    control_filter: Annotated[
        str | None,
        typer.Option(
            "--control-filter",
            help="A control group: a filter stack JSON file, JSON, or a saved filter set's name.",
        ),
    ] = None,
    baseline_start: Annotated[
        str | None,
        typer.Option(
            "--baseline-start",
            help="Baseline period's first day (default: as many days just before the pilot).",
        ),
    ] = None,
    baseline_end: Annotated[
        str | None, typer.Option("--baseline-end", help="Baseline period's last day.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Design a pilot (a programme item): scope and control group as filters, period, baseline
    period, success criteria; prints the cases it needs to show its effect."""
    from civicflow.app import Permission, people
    from civicflow.app import programme as pg

    values = {
        "title": title, "scope": scope or title, "dataset": dataset, "start_date": start,
        "end_date": end, "success_criteria": [_criterion(c) for c in criterion],
        "scope_filter": _filter_text(scope_filter),
        "control_filter": _filter_text(control_filter),
        "baseline_start": baseline_start, "baseline_end": baseline_end,
    }  # fmt: skip
    data = pg.parse(pg.PilotCreate, {k: v for k, v in values.items() if v is not None})
    with acting(workspace, Permission.PROGRAMME_WRITE, command="civicflow pilots design") as act:
        actor, ws = act.operator.actor, act.operator.workspace_id
        pilot = pg.PILOTS.create(
            act.ctx, actor=actor, workspace_id=ws, data=data,
            reason="civicflow pilots design (command line)",
        )  # fmt: skip
        size = people.pilot_sample_size(act.ctx, actor=actor, workspace_id=ws, pilot_id=pilot.id)
        receipt = act.receipt(action="pilot.create", object_type="pilot", object_id=pilot.id)
    if as_json:
        emit_json(
            {"pilot": pilot.to_dict(), "sample_size": None if size is None else
             {"per_group": size.per_group, "drop": size.drop, "sentence": size.sentence},
             "ledger_entry": receipt}
        )  # fmt: skip
        return
    console.print(f"pilot '{pilot.title}' ({pilot.id}) designed", highlight=False)
    if size is not None:
        console.print(size.sentence, highlight=False)
    print_receipt(receipt, out=console)


@pilots_app.command("list")
def list_command(workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """The workspace's pilots, with their latest verdict."""
    from civicflow.app import Permission
    from civicflow.app import programme as pg

    with acting(workspace, Permission.WORKSPACE_READ, command="civicflow pilots list") as act:
        items = pg.PILOTS.list(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id
        )
    if as_json:
        emit_json([p.to_dict() for p in items])
        return
    table(
        console,
        "Pilots",
        ("id", "title", "status", "period", "dataset", "latest verdict"),
        [
            (
                p.id,
                p.title,
                p.status.value,
                f"{p.start_date} .. {p.end_date}",
                p.dataset,
                (p.evaluation or {}).get("verdict", "not evaluated"),
            )
            for p in items
        ],
    )


@pilots_app.command("evaluate")
def evaluate_command(
    workspace: WorkspaceOpt,
    pilot: Annotated[str, typer.Argument(help="The pilot's id or title.")],
    n_boot: Annotated[int, typer.Option("--n-boot", help="Bootstrap replicates.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same result).")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Evaluate a pilot on its dataset: KPI deltas against the baseline period with bootstrap
    intervals and tests, difference-in-differences against the control group, the same periods
    a year earlier; a verdict in plain words with caveats. Stored and recorded in the ledger."""
    from civicflow.app import Permission, people

    with acting(workspace, Permission.BASELINE_WRITE, command="civicflow pilots evaluate") as act:
        found = _find_pilot(act, pilot)
        result = people.evaluate_pilot(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            pilot_id=found.id, n_boot=n_boot, seed=seed,
            reason="civicflow pilots evaluate (command line)",
        )  # fmt: skip
        receipt = act.receipt(action="pilot.evaluate", object_type="pilot", object_id=found.id)
    if as_json:
        emit_json({"pilot": found.id, **result.to_json(), "ledger_entry": receipt})
        return
    show_evaluation(found.title, result)
    print_receipt(receipt, out=console)


def show_evaluation(title: str, result: PilotEvaluation) -> None:
    (ps, pe), (bs, be) = result.pilot_period, result.baseline_period
    console.print(
        f"[bold]{title}[/]: pilot {ps} .. {pe} ({result.cases['pilot']:,} cases) against the "
        f"baseline {bs} .. {be} ({result.cases['baseline']:,} cases)",
        highlight=False,
    )
    table(
        console,
        "Success criteria",
        ("KPI", "target", "baseline", "pilot", "met", "p", "beyond chance"),
        [
            (
                c.kpi,
                f"{c.target:g}",
                "—" if c.baseline is None else f"{c.baseline:,.4g}",
                "—" if c.pilot is None else f"{c.pilot:,.4g}",
                "—" if c.met is None else ("yes" if c.met else "no"),
                "—" if c.delta is None else f"{c.delta.p_value:.3g}",
                "—" if c.significant is None else ("yes" if c.significant else "no"),
            )
            for c in result.criteria
        ],
    )
    console.print(f"verdict: {result.verdict}", highlight=False)
    console.print(f"seasonality: {result.season.note}", highlight=False)
    for caveat in result.caveats:
        console.print(f"caveat: {caveat}", highlight=False)
