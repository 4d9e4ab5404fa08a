"""``civicflow business-case``: saved, versioned business cases — create one from a JSON case file,
list, show, add a version, evaluate (NPV, IRR, ROI, payback, Monte Carlo, tornado), compare
versions side by side, delete, or draft one from an automation opportunity; each change stored and
ledgered through ``civicflow.app.business_case``, each command with ``--json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from civicflow.core import InputError, Location
from civicflow.mining import format_number, format_share

from ._filters import ViewOptions, WorkspaceOpt, view_command
from ._operator import acting, print_receipt

if TYPE_CHECKING:
    from civicflow.app.business_case import StoredCase
    from civicflow.planning import BusinessCase

app = typer.Typer(
    help="Business cases: cost, benefit and uncertainty of a change, saved with their versions, "
    "evaluated and compared.",
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
CaseArg = Annotated[str, typer.Argument(help="The case (name or id).")]
FileArg = Annotated[Path, typer.Argument(help="A case file (JSON; see docs/BUSINESS_CASE.md).")]
VersionOpt = Annotated[
    int | None, typer.Option("--version", "-v", help="A version number (default: the latest).")
]
NoteOpt = Annotated[str, typer.Option("--note", help="What this version changes.")]
BudgetOpt = Annotated[
    bool,
    typer.Option("--from-budget", help="Add the programme's budget lines to the file's costs."),
]


def _read_case(path: Path, *, budget: tuple[Any, ...] = ()) -> BusinessCase:
    from dataclasses import replace

    from civicflow.core import CivicflowError
    from civicflow.planning import case_from_dict

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(
            "the case file cannot be read",
            where=Location(file=str(path)),
            found=str(exc),
            fix="give the path of a JSON case file",
        ) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            "the case file is not JSON",
            where=Location(file=str(path), line=exc.lineno),
            found=exc.msg,
            expected='{"name": ..., "start": "2026-01-01", "costs": [...], "benefits": [...]}',
            fix="correct the file (see docs/BUSINESS_CASE.md, The case file)",
        ) from None
    try:
        case = case_from_dict(data)
    except CivicflowError as exc:
        field = exc.where.field if exc.where is not None else None
        raise type(exc)(exc.what, where=Location(file=str(path), field=field), found=exc.found,
                        expected=exc.expected, fix=exc.fix) from None  # fmt: skip
    if budget:
        case = replace(case, costs=(*case.costs, *budget))
    return case


def _money(value: float | None, currency: str = "") -> str:
    if value is None:
        return "—"
    return f"{currency} {value:,.0f}".strip()


def _years(value: float | None) -> str:
    return "not within the horizon" if value is None else f"{value:.2f} years"


def _show(stored: StoredCase, number: int | None = None) -> None:
    v = stored.version(number)
    case = v.case
    console.print(
        f"[bold]{stored.name}[/] ({stored.id}) — version {v.version} of "
        f"{stored.latest.version}; {case.years} years from {case.start.isoformat()} at "
        f"{format_share(case.discount_rate if isinstance(case.discount_rate, float) else case.discount_rate.likely)}",
        highlight=False,
    )  # fmt: skip
    if stored.description:
        console.print(stored.description, highlight=False)
    result = case.evaluate()
    table = Table(title="Cash flow per year (base case)")
    for col in ("year", "starts", "costs", "benefits", "net", "cumulative"):
        table.add_column(col, justify="right" if col not in ("starts",) else "left")
    for y in result.years:
        table.add_row(str(y.year), y.starts.isoformat(), _money(y.costs), _money(y.benefits),
                      _money(y.net), _money(y.cumulative))  # fmt: skip
    console.print(table)
    irr = "—" if result.irr is None else format_share(result.irr)
    roi = "—" if result.roi is None else format_share(result.roi)
    console.print(
        f"NPV {_money(result.npv, case.currency)}; IRR {irr}; ROI {roi}; payback "
        f"{_years(result.payback_years)} (discounted: {_years(result.discounted_payback_years)})",
        highlight=False,
    )
    mc = (v.result or {}).get("monte_carlo")
    if mc:
        pay = ", ".join(
            f"{format_share(p)} within {n} years" for n, p in mc["payback_probability"].items()
        )
        console.print(
            f"Monte Carlo ({format_number(mc['draws'])} draws): NPV P10 "
            f"{_money(mc['npv_p10'])}, P50 {_money(mc['npv_p50'])}, P90 {_money(mc['npv_p90'])}; "
            f"NPV above 0 in {format_share(mc['probability_positive_npv'])}; payback {pay}",
            highlight=False,
        )
        bars = (v.result or {}).get("tornado", {}).get("bars", [])
        if bars:
            t = Table(title="What matters most (tornado: NPV at each input's low and high end)")
            for col in ("input", "NPV at low", "NPV at high", "swing"):
                t.add_column(col, justify="left" if col == "input" else "right")
            for b in bars[:8]:
                t.add_row(b["label"], _money(b["npv_at_low"]), _money(b["npv_at_high"]),
                          _money(b["swing"]))  # fmt: skip
            console.print(t)
    else:
        console.print("not evaluated yet: `civicflow business-case evaluate` runs the Monte Carlo")


@app.command("create")
def create(
    file: FileArg,
    workspace: WorkspaceOpt,
    description: Annotated[str, typer.Option("--description", help="What the case is about.")] = "",
    from_budget: BudgetOpt = False,
    note: NoteOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Store a new business case from a case file as its version 1 (checked first: an error names
    the field); recorded in the audit ledger."""
    from civicflow.app import Permission
    from civicflow.app import business_case as bc

    with acting(
        workspace, Permission.BUSINESS_CASE_WRITE, command="civicflow business-case create"
    ) as act:
        actor, ws = act.operator.actor, act.operator.workspace_id
        budget = bc.budget_costs(act.ctx, actor=actor, workspace_id=ws) if from_budget else ()
        case = _read_case(file, budget=budget)
        stored = bc.create_case(
            act.ctx, actor=actor, workspace_id=ws, case=case, description=description,
            note=note, source={"kind": "file", "file": file.name, "from_budget": from_budget},
            reason=f"civicflow business-case create {file.name}",
        )  # fmt: skip
        receipt = act.receipt(
            action="business_case.create", object_type="business_case", object_id=stored.id
        )
    if as_json:
        typer.echo(json.dumps({**stored.to_dict(), "ledger_entry": receipt}, indent=2))
        return
    _show(stored)
    print_receipt(receipt, out=console)


@app.command("list")
def list_(workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """List the business cases with their latest version's NPV and payback."""
    from civicflow.app import Permission
    from civicflow.app import business_case as bc

    with acting(
        workspace, Permission.WORKSPACE_READ, command="civicflow business-case list"
    ) as act:
        cases = bc.list_cases(act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id)  # fmt: skip
    rows: list[dict[str, Any]] = []
    for c in cases:
        result = c.latest.case.evaluate()
        mc = (c.latest.result or {}).get("monte_carlo") or {}
        rows.append({
            "id": c.id, "name": c.name, "versions": len(c.versions),
            "latest_version": c.latest.version, "npv": round(result.npv, 2),
            "payback_years": result.payback_years, "evaluated": c.latest.result is not None,
            "npv_p10": mc.get("npv_p10"), "npv_p90": mc.get("npv_p90"),
            "updated_at": c.updated_at.isoformat(),
        })  # fmt: skip
    if as_json:
        typer.echo(json.dumps({"cases": rows}, indent=2))
        return
    if not rows:
        console.print("no business cases yet: create one with `civicflow business-case create`")
        return
    table = Table(title="Business cases")
    for col in ("name", "id", "versions", "NPV (base)", "payback", "NPV P10-P90"):
        table.add_column(col)
    for r in rows:
        span = f"{_money(r['npv_p10'])} to {_money(r['npv_p90'])}" if r["evaluated"] else "not run"
        table.add_row(r["name"], r["id"], str(r["versions"]), _money(r["npv"]),
                      _years(r["payback_years"]), span)  # fmt: skip
    console.print(table)


@app.command("show")
def show(
    case: CaseArg,
    workspace: WorkspaceOpt,
    version: VersionOpt = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the version's case file here (to edit it)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a case: the cash flow per year, NPV, IRR, ROI, payback and, once evaluated, the
    Monte Carlo figures and the tornado."""
    from civicflow.app import Permission
    from civicflow.app import business_case as bc

    with acting(
        workspace, Permission.WORKSPACE_READ, command="civicflow business-case show"
    ) as act:
        stored = bc.get_case(act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id, case=case)  # fmt: skip
    chosen = stored.version(version)
    if out is not None:
        out.write_text(json.dumps(chosen.document, indent=2) + "\n", encoding="utf-8")
    if as_json:
        from civicflow.planning import result_to_dict

        data = stored.to_dict() | {
            "shown_version": chosen.version,
            "base": result_to_dict(chosen.case.evaluate()),
        }
        typer.echo(json.dumps(data, indent=2))
        return
    _show(stored, version)
    if out is not None:
        console.print(f"case file written to {out}", highlight=False)


@app.command("version")
def version_(
    case: CaseArg,
    file: FileArg,
    workspace: WorkspaceOpt,
    from_budget: BudgetOpt = False,
    note: NoteOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Store a case file as the case's next version (earlier versions are kept as they are);
    recorded in the audit ledger."""
    from civicflow.app import Permission
    from civicflow.app import business_case as bc

    with acting(
        workspace, Permission.BUSINESS_CASE_WRITE, command="civicflow business-case version"
    ) as act:
        actor, ws = act.operator.actor, act.operator.workspace_id
        budget = bc.budget_costs(act.ctx, actor=actor, workspace_id=ws) if from_budget else ()
        document = _read_case(file, budget=budget)
        stored = bc.add_version(
            act.ctx, actor=actor, workspace_id=ws, case=case, document=document, note=note,
            reason=f"civicflow business-case version {file.name}",
        )  # fmt: skip
        receipt = act.receipt(
            action="business_case.version", object_type="business_case", object_id=stored.id
        )
    if as_json:
        typer.echo(json.dumps({**stored.to_dict(), "ledger_entry": receipt}, indent=2))
        return
    _show(stored)
    print_receipt(receipt, out=console)


@app.command("evaluate")
def evaluate(
    case: CaseArg,
    workspace: WorkspaceOpt,
    version: VersionOpt = None,
    draws: Annotated[int, typer.Option("--draws", help="Monte Carlo draws.")] = 100_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same result).")] = 0,
    payback_within: Annotated[
        list[int] | None,
        typer.Option(
            "--payback-within", help="Years to give the chance of payback within (repeatable)."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Evaluate a version: the base case, a Monte Carlo run over every range (P10/P50/P90 of the
    NPV, the chance of payback within N years) and the tornado; stored with the version and
    recorded in the audit ledger."""
    from civicflow.app import Permission
    from civicflow.app import business_case as bc
    from civicflow.planning import MonteCarloConfig

    cfg = MonteCarloConfig(
        draws=draws, seed=seed, payback_within=tuple(payback_within or (1, 2, 3, 4, 5))
    )
    with acting(
        workspace, Permission.BUSINESS_CASE_WRITE, command="civicflow business-case evaluate"
    ) as act:
        stored = bc.evaluate_case(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id, case=case,
            version=version, config=cfg, reason="civicflow business-case evaluate (command line)",
        )  # fmt: skip
        receipt = act.receipt(
            action="business_case.evaluate", object_type="business_case", object_id=stored.id
        )
    if as_json:
        chosen = stored.version(version)
        typer.echo(json.dumps({"id": stored.id, "name": stored.name, "version": chosen.version,
                               "result": chosen.result, "ledger_entry": receipt}, indent=2))  # fmt: skip
        return
    _show(stored, version)
    print_receipt(receipt, out=console)


def _ref(text: str) -> tuple[str, int | None]:
    name, sep, number = text.rpartition("@")
    if sep and number.isdigit():
        return name, int(number)
    return text, None


@app.command("compare")
def compare(
    refs: Annotated[
        list[str],
        typer.Argument(help="Cases to compare: name or id, '@N' for version N (e-intake@1)."),
    ],
    workspace: WorkspaceOpt,
    as_json: JsonOpt = False,
) -> None:
    """Compare case versions side by side: their figures and every input, the differing inputs
    marked."""
    from civicflow.app import Permission
    from civicflow.app import business_case as bc

    with acting(
        workspace, Permission.WORKSPACE_READ, command="civicflow business-case compare"
    ) as act:
        cmp = bc.compare_cases(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            refs=[_ref(r) for r in refs],
        )  # fmt: skip
    if as_json:
        typer.echo(json.dumps(cmp.to_dict(), indent=2))
        return
    table = Table(title="Side by side")
    table.add_column("")
    for c in cmp.columns:
        table.add_column(f"{c.name} v{c.version}", justify="right")
    for key in cmp.figures:
        values = [c.figures.get(key) for c in cmp.columns]
        if key in ("irr", "roi", "probability_positive_npv"):
            cells = ["—" if v is None else format_share(v) for v in values]
        elif "payback" in key:
            cells = ["—" if v is None else f"{v:.2f} y" for v in values]
        else:
            cells = [_money(v) for v in values]
        table.add_row(key.replace("_", " "), *cells)
    differing = set(cmp.differing_inputs)
    for key in cmp.inputs:
        label = f"[bold]{key}[/] *" if key in differing else key
        table.add_row(label, *[c.inputs.get(key, "—") for c in cmp.columns])
    console.print(table)
    console.print("* differs between the columns", highlight=False)


@app.command("delete")
def delete(case: CaseArg, workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """Delete a case with all its versions; recorded in the audit ledger (the entry keeps the
    digest of what was deleted)."""
    from civicflow.app import Permission
    from civicflow.app import business_case as bc

    with acting(
        workspace, Permission.BUSINESS_CASE_WRITE, command="civicflow business-case delete"
    ) as act:
        actor, ws = act.operator.actor, act.operator.workspace_id
        stored = bc.get_case(act.ctx, actor=actor, workspace_id=ws, case=case)
        bc.delete_case(act.ctx, actor=actor, workspace_id=ws, case=stored.id,
                       reason="civicflow business-case delete (command line)")  # fmt: skip
        receipt = act.receipt(
            action="business_case.delete", object_type="business_case", object_id=stored.id
        )
    if as_json:
        typer.echo(json.dumps({"deleted": stored.id, "name": stored.name, "ledger_entry": receipt}, indent=2))  # fmt: skip
        return
    console.print(f"deleted business case {stored.name} ({stored.id})", highlight=False)
    print_receipt(receipt, out=console)


@app.command("from-opportunity")
@view_command
def from_opportunity(
    *,
    options: ViewOptions,
    activity: Annotated[
        str, typer.Option("--activity", "-a", help="The opportunity (an activity).")
    ],
    hourly_cost: Annotated[
        float, typer.Option("--hourly-cost", help="Loaded cost of one staff hour.")
    ],
    share: Annotated[
        float,
        typer.Option("--share", help="Share of the activity's handling time automated (0-1)."),
    ] = 0.5,
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", help="Also store a scenario of this simulation model."),
    ] = None,
    exclude_attribute: Annotated[
        list[str] | None,
        typer.Option("--exclude-attribute", help="A case attribute the decision tree may not use."),
    ] = None,
    name: Annotated[str | None, typer.Option("--name", "-n", help="Name of the case.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Draft a business case (and, with --model, a what-if scenario) from an automation
    opportunity in one step; both recorded in the audit ledger."""
    from civicflow.app import Permission
    from civicflow.app import business_case as bc
    from civicflow.app import planning as ap
    from civicflow.planning import OpportunityConfig

    with acting(
        options.workspace, Permission.BUSINESS_CASE_WRITE,
        command="civicflow business-case from-opportunity",
    ) as act:  # fmt: skip
        actor, ws = act.operator.actor, act.operator.workspace_id
        model_id = None
        if model is not None:
            model_id = ap.find_model(act.ctx, actor=actor, workspace_id=ws, ref=model).id
        with err_console.status("scoring the opportunities…"):
            made = bc.from_opportunity(
                act.ctx, actor=actor, workspace_id=ws, dataset_name=options.dataset,
                activity=activity, hourly_cost=hourly_cost, share_automated=share,
                model_id=model_id, filter=options.filter, name=name,
                config=OpportunityConfig(exclude_attributes=tuple(exclude_attribute or ())),
                reason="civicflow business-case from-opportunity (command line)",
            )  # fmt: skip
        receipt = act.receipt(
            action="business_case.create", object_type="business_case", object_id=made.case.id
        )
    if as_json:
        data = {
            "case": made.case.to_dict(),
            "scenario": None if made.scenario is None else made.scenario.to_dict(),
            "evidence": made.evidence,
            "ledger_entry": receipt,
        }
        typer.echo(json.dumps(data, indent=2))
        return
    _show(made.case)
    if made.scenario is not None:
        console.print(
            f"scenario '{made.scenario.name}' ({made.scenario.id}) stored with model {model}: "
            f"compare it with `civicflow simulate compare -m {model} -s '{made.scenario.name}'`",
            highlight=False,
        )
    print_receipt(receipt, out=console)


def _hourly_costs(items: list[str]) -> dict[str, float] | float:
    """``--hourly-cost``: one number for every pool, or 'pool=amount' per pool."""
    pools: dict[str, float] = {}
    single: float | None = None
    for item in items:
        pool, sep, amount = item.rpartition("=")
        try:
            value = float(amount)
        except ValueError:
            value = float("nan")
        if value != value or (sep and not pool.strip()):
            raise InputError(
                f"cannot read the hourly cost '{item}'",
                where=Location(field="--hourly-cost"),
                found=item,
                expected="a number (every pool), or 'pool=amount' (repeatable)",
                fix="e.g. --hourly-cost 55, or --hourly-cost intake=55 --hourly-cost assessor=70",
            )
        if sep:
            pools[pool.strip()] = value
        else:
            single = value
    if single is not None and pools:
        raise InputError(
            "the hourly cost is given both for every pool and per pool",
            where=Location(field="--hourly-cost"),
            found=", ".join(items),
            expected="one number, or 'pool=amount' for each pool",
            fix="give every pool its own cost, or one cost for all",
        )
    return pools if pools else float(single if single is not None else 0.0)


@app.command("from-scenario")
def from_scenario(
    case: CaseArg,
    workspace: WorkspaceOpt,
    scenario: Annotated[
        str, typer.Option("--scenario", "-s", help="The scenario's name in the comparison.")
    ],
    hourly_cost: Annotated[
        list[str],
        typer.Option(
            "--hourly-cost",
            help="Loaded cost of one staff hour: a number, or 'pool=amount' (repeatable).",
        ),
    ],
    run: Annotated[
        str | None,
        typer.Option("--run", help="The comparison run's id (default: the latest comparison)."),
    ] = None,
    cases_per_year: Annotated[
        float | None,
        typer.Option("--cases-per-year", help="Cases a year, for faster service."),
    ] = None,
    value_per_day: Annotated[
        float | None,
        typer.Option(
            "--value-per-day", help="What one day sooner is worth per case (adds faster service)."
        ),
    ] = None,
    note: NoteOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Store the case's next version with the benefits a stored scenario comparison measured:
    the working hours a year the scenario frees per pool × the hourly cost (and, with
    --value-per-day, faster service), in place of its hours saved, rework avoided and faster
    service; recorded in the audit ledger."""
    from civicflow.app import Permission
    from civicflow.app import business_case as bc

    costs = _hourly_costs(hourly_cost)
    with acting(
        workspace, Permission.BUSINESS_CASE_WRITE, command="civicflow business-case from-scenario"
    ) as act:
        made = bc.version_from_scenario(
            act.ctx, actor=act.operator.actor, workspace_id=act.operator.workspace_id,
            case=case, scenario=scenario, hourly_cost=costs, run_id=run,
            cases_per_year=cases_per_year, value_per_day=value_per_day, note=note,
            reason=f"civicflow business-case from-scenario -s {scenario}",
        )  # fmt: skip
        receipt = act.receipt(
            action="business_case.version", object_type="business_case", object_id=made.case.id
        )
    if as_json:
        data = {**made.case.to_dict(), "run": made.run_id,
                "notes": list(made.savings.notes), "ledger_entry": receipt}  # fmt: skip
        typer.echo(json.dumps(data, indent=2))
        return
    _show(made.case)
    for line in made.savings.notes:
        console.print(f"note: {line}", highlight=False)
    print_receipt(receipt, out=console)
