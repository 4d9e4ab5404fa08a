"""Every use case × every role: allowed exactly where the product says, PermissionDenied elsewhere.

The expected matrix is written out by hand from the product brief (who does what), not derived
from ROLE_PERMISSIONS, so a wrong entry in the role table fails here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from civicflow.app import (
    SYSTEM,
    Actor,
    AppContext,
    Role,
    accounts,
    assessment,
    audit,
    governance,
    workspaces,
)
from civicflow.app import business_case as bc
from civicflow.app import privacy as pv
from civicflow.app import programme as pg
from civicflow.core import ConfigurationError, NotFoundError, PermissionDeniedError, utcnow
from civicflow.privacy import DpConfig

from .samples import CREATE, KINDS, UPDATE, create

ALL = frozenset(Role)
ADMIN = frozenset({Role.ADMIN})
PROGRAMME_WRITERS = frozenset({Role.ADMIN, Role.SERVICE_OWNER})
LEDGER_READERS = frozenset(
    {Role.ADMIN, Role.SERVICE_OWNER, Role.DPO, Role.AUDITOR, Role.DATA_STEWARD}
)
LEDGER_VERIFIERS = frozenset({Role.ADMIN, Role.DPO, Role.AUDITOR})
MEASURERS = frozenset({Role.ADMIN, Role.ANALYST})
CASE_WRITERS = frozenset({Role.ADMIN, Role.SERVICE_OWNER, Role.ANALYST})
GOVERNORS = frozenset({Role.ADMIN, Role.SERVICE_OWNER, Role.DPO})
STEWARDS = frozenset({Role.ADMIN, Role.DATA_STEWARD})
REIDENTIFIERS = frozenset({Role.ADMIN, Role.DPO})
FAIRNESS_AUDITORS = frozenset({Role.ADMIN, Role.ANALYST, Role.DPO, Role.AUDITOR})
CONTENT_OWNERS = frozenset({Role.ADMIN, Role.SERVICE_OWNER})
POLICY_OFFICERS = frozenset({Role.ADMIN, Role.SERVICE_OWNER})  # rules:write
REVIEWERS = frozenset({Role.ADMIN, Role.CASEWORKER})  # review:write
FORECASTERS = frozenset({Role.ADMIN, Role.SERVICE_OWNER, Role.ANALYST})
NOBODY: frozenset[Role] = frozenset()  # global admins only


Op = Callable[[AppContext, Actor, str, Actor], Any]


def _ops() -> dict[str, tuple[frozenset[Role], Op]]:
    ops: dict[str, tuple[frozenset[Role], Op]] = {}
    for kind in KINDS:
        plural = f"{kind}s"

        def op_create(ctx, actor, ws, admin, kind=kind):  # type: ignore[no-untyped-def]
            if kind == "consultation":
                holder = pg.STAKEHOLDERS.create(
                    ctx, actor=admin, workspace_id=ws, data=CREATE["stakeholder"]
                )
                from .samples import consultation_for

                data = consultation_for(holder.id)
            else:
                data = CREATE[kind]
            return pg.KINDS[kind].create(ctx, actor=actor, workspace_id=ws, data=data)

        def op_update(ctx, actor, ws, admin, kind=kind):  # type: ignore[no-untyped-def]
            item = create(ctx, admin, ws, kind)
            return pg.KINDS[kind].update(
                ctx, actor=actor, workspace_id=ws, item_id=item.id, data=UPDATE[kind]
            )

        def op_delete(ctx, actor, ws, admin, kind=kind):  # type: ignore[no-untyped-def]
            item = create(ctx, admin, ws, kind)
            return pg.KINDS[kind].delete(ctx, actor=actor, workspace_id=ws, item_id=item.id)

        def op_get(ctx, actor, ws, admin, kind=kind):  # type: ignore[no-untyped-def]
            item = create(ctx, admin, ws, kind)
            return pg.KINDS[kind].get(ctx, actor=actor, workspace_id=ws, item_id=item.id)

        def op_list(ctx, actor, ws, admin, kind=kind):  # type: ignore[no-untyped-def]
            return pg.KINDS[kind].list(ctx, actor=actor, workspace_id=ws)

        ops[f"create_{kind}"] = (PROGRAMME_WRITERS, op_create)
        ops[f"update_{kind}"] = (PROGRAMME_WRITERS, op_update)
        ops[f"delete_{kind}"] = (PROGRAMME_WRITERS, op_delete)
        ops[f"get_{kind}"] = (ALL, op_get)
        ops[f"list_{plural}"] = (ALL, op_list)

    def measure(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        item = create(ctx, admin, ws, "objective")
        return pg.record_measurement(
            ctx, actor=actor, workspace_id=ws, objective_id=item.id, value=30, source="test"
        )

    def list_measurements(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        item = create(ctx, admin, ws, "objective")
        return pg.list_measurements(ctx, actor=actor, workspace_id=ws, objective_id=item.id)

    def grant(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        user = accounts.create_user(
            ctx, actor=SYSTEM, email=f"g{utcnow().timestamp()}@x.example", display_name="G",
            password=None,
        )  # fmt: skip
        return accounts.grant_role(
            ctx, actor=actor, workspace_id=ws, user_id=user.id, role=Role.VIEWER
        )

    def revoke(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        user = accounts.create_user(
            ctx, actor=SYSTEM, email=f"r{utcnow().timestamp()}@x.example", display_name="R",
            password=None,
        )  # fmt: skip
        accounts.grant_role(ctx, actor=SYSTEM, workspace_id=ws, user_id=user.id, role="viewer")
        return accounts.revoke_role(ctx, actor=actor, workspace_id=ws, user_id=user.id)

    def sign_out(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        user = accounts.create_user(
            ctx, actor=SYSTEM, email=f"s{utcnow().timestamp()}@x.example", display_name="S",
            password=None,
        )  # fmt: skip
        accounts.grant_role(ctx, actor=SYSTEM, workspace_id=ws, user_id=user.id, role="viewer")
        return accounts.sign_out_everywhere(ctx, actor=actor, user_id=user.id)

    def proof(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        with ctx.engine.begin() as conn:
            ctx.ledger.checkpoint(conn)
        entry = audit.list_entries(ctx, actor=admin, workspace_id=ws, limit=1)[0]
        return audit.inclusion_proof(ctx, actor=actor, entry_index=entry.index)

    def tiny_csv(ctx: AppContext) -> Any:
        path = ctx.settings.home / "tiny.csv"
        path.write_text(
            "case_id,activity,timestamp\nc1,A,2024-01-01 10:00:00\nc1,B,2024-01-03 10:00:00\n"
        )
        return path

    def ingest(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        name = f"d{utcnow().timestamp():.6f}".replace(".", "-")
        return assessment.ingest_dataset(
            ctx, actor=actor, workspace_id=ws, source=tiny_csv(ctx), name=name
        )

    def seeded(ctx, admin, ws):  # type: ignore[no-untyped-def]
        names = [d.name for d in assessment.list_datasets(ctx, actor=admin, workspace_id=ws)]
        if "seed" not in names:
            assessment.ingest_dataset(
                ctx, actor=admin, workspace_id=ws, source=tiny_csv(ctx), name="seed"
            )
        return "seed"

    def delete_dataset(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        ds = ingest(ctx, admin, ws, admin)
        return assessment.delete_dataset(ctx, actor=actor, workspace_id=ws, name=ds.name)

    def freeze(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        return assessment.freeze_baseline(
            ctx, actor=actor, workspace_id=ws, dataset_name=seeded(ctx, admin, ws),
            baseline_name=f"b{utcnow().timestamp():.6f}".replace(".", "-"), kpis=["case_count"],
        )  # fmt: skip

    def compare(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        from civicflow.mining import EventLogFilter

        return assessment.compare(
            ctx, actor=actor, workspace_id=ws, dataset_name=seeded(ctx, admin, ws),
            a=EventLogFilter(), b=EventLogFilter(),
        )  # fmt: skip

    def export_log(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        return assessment.export_event_log(
            ctx, actor=actor, workspace_id=ws, dataset_name=seeded(ctx, admin, ws), fmt="csv",
            out=ctx.settings.home / f"export-{utcnow().timestamp():.6f}.csv",
        )  # fmt: skip

    def case_doc(name: str) -> Any:
        from datetime import date

        from civicflow.planning import BusinessCase, OtherBenefit

        return BusinessCase(
            name=name, start=date(2026, 1, 1), years=3,
            benefits=(OtherBenefit(title="fewer calls", amount_per_year=1_000),),
        )  # fmt: skip

    def a_case(ctx, admin, ws):  # type: ignore[no-untyped-def]
        name = f"case {utcnow().timestamp():.6f}"
        return bc.create_case(ctx, actor=admin, workspace_id=ws, case=case_doc(name))

    def case_create(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        name = f"new {utcnow().timestamp():.6f}"
        return bc.create_case(ctx, actor=actor, workspace_id=ws, case=case_doc(name))

    def case_version(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        c = a_case(ctx, admin, ws)
        return bc.add_version(
            ctx, actor=actor, workspace_id=ws, case=c.id, document=case_doc(c.name)
        )

    def case_evaluate(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        from civicflow.planning import MonteCarloConfig

        c = a_case(ctx, admin, ws)
        return bc.evaluate_case(
            ctx, actor=actor, workspace_id=ws, case=c.id, config=MonteCarloConfig(draws=100)
        )

    def case_delete(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        return bc.delete_case(ctx, actor=actor, workspace_id=ws, case=a_case(ctx, admin, ws).id)

    def case_get(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        return bc.get_case(ctx, actor=actor, workspace_id=ws, case=a_case(ctx, admin, ws).id)

    def case_compare(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        one, two = a_case(ctx, admin, ws), a_case(ctx, admin, ws)
        return bc.compare_cases(
            ctx, actor=actor, workspace_id=ws, refs=[(one.id, None), (two.id, None)]
        )

    def registered(ctx, admin, ws):  # type: ignore[no-untyped-def]
        return governance.add_system(
            ctx, actor=admin, workspace_id=ws,
            fields={"name": f"s{utcnow().timestamp():.6f}", "purpose": "p", "legal_basis": "l",
                    "owner": "o", "senior_responsible_owner": "r"},
        )  # fmt: skip

    def add_system(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        return registered(ctx, actor, ws)

    def update_system(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        entry = registered(ctx, admin, ws)
        return governance.update_system(
            ctx, actor=actor, workspace_id=ws, ref=entry.id, fields={"team": "t"}
        )

    def move_system(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        entry = registered(ctx, admin, ws)
        return governance.move_system(
            ctx, actor=actor, workspace_id=ws, ref=entry.id, to="retired", reason="test"
        )

    def start_assessment(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        return governance.start_assessment(ctx, actor=actor, workspace_id=ws, kind="nist-ai-rmf")

    def answer_assessment(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        run = governance.start_assessment(ctx, actor=admin, workspace_id=ws, kind="nist-ai-rmf")
        return governance.answer_assessment(
            ctx, actor=actor, workspace_id=ws, assessment_id=run.id, answers={"GV-1.1": "partial"}
        )

    def export_record(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        entry = registered(ctx, admin, ws)
        return governance.export_record(ctx, actor=actor, workspace_id=ws, ref=entry.id)

    def set_control(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        from civicflow.governance import builtin_catalogue

        return governance.set_control(
            ctx, actor=actor, workspace_id=ws, catalogue=builtin_catalogue("gdpr"),
            control="GDPR-30", owner="DPO",
        )  # fmt: skip

    def gaps(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        from civicflow.governance import builtin_catalogue

        return governance.gaps(
            ctx, actor=actor, workspace_id=ws, catalogue=builtin_catalogue("hipaa")
        )

    ops |= {
        # the register and impact assessments: service owners and DPOs keep them, all read them
        "governance.add_system": (GOVERNORS, add_system),
        "governance.update_system": (GOVERNORS, update_system),
        "governance.move_system": (GOVERNORS, move_system),
        "governance.start_assessment": (GOVERNORS, start_assessment),
        "governance.answer_assessment": (GOVERNORS, answer_assessment),
        "governance.list_systems": (
            ALL,
            lambda ctx, a, ws, ad: governance.list_systems(ctx, actor=a, workspace_id=ws),
        ),
        "governance.list_assessments": (
            ALL,
            lambda ctx, a, ws, ad: governance.list_assessments(ctx, actor=a, workspace_id=ws),
        ),
        "governance.export_record": (ALL, export_record),
        "governance.set_control": (GOVERNORS, set_control),
        "governance.save_inventory_item": (
            GOVERNORS,
            lambda ctx, a, ws, ad: governance.save_inventory_item(
                ctx, actor=a, workspace_id=ws, fields={"name": "Case system", "type": "cms"}
            ),
        ),
        "governance.save_readiness": (
            GOVERNORS,
            lambda ctx, a, ws, ad: governance.save_readiness(ctx, actor=a, workspace_id=ws),
        ),
        "governance.readiness_trend": (
            ALL,
            lambda ctx, a, ws, ad: governance.readiness_trend(ctx, actor=a, workspace_id=ws),
        ),
        "governance.list_inventory": (
            ALL,
            lambda ctx, a, ws, ad: governance.list_inventory(ctx, actor=a, workspace_id=ws),
        ),
        "governance.readiness": (
            ALL,
            lambda ctx, a, ws, ad: governance.readiness(ctx, actor=a, workspace_id=ws),
        ),
        "governance.gaps": (ALL, gaps),
        "governance.processing_record": (
            ALL,
            lambda ctx, a, ws, ad: governance.processing_record(
                ctx, actor=a, workspace_id=ws, controller="Agency"
            ),
        ),
    }
    ops |= {
        "business_case.create": (CASE_WRITERS, case_create),
        "business_case.version": (CASE_WRITERS, case_version),
        "business_case.evaluate": (CASE_WRITERS, case_evaluate),
        "business_case.delete": (CASE_WRITERS, case_delete),
        "business_case.get": (ALL, case_get),
        "business_case.compare": (ALL, case_compare),
        "business_case.list": (
            ALL,
            lambda ctx, a, ws, ad: bc.list_cases(ctx, actor=a, workspace_id=ws),
        ),
    }

    def people_csv(ctx: AppContext) -> Any:
        """Two handled cases in December 2023 and two in January 2024, with start times."""
        path = ctx.settings.home / "people.csv"
        rows = ["case_id,activity,start_timestamp,timestamp,resource,role"]
        for i, day in enumerate(("2023-12-04", "2023-12-11", "2024-01-08", "2024-01-15")):
            rows += [f"c{i},A,{day} 09:00:00,{day} 10:00:00,r{i % 2},clerk",
                     f"c{i},B,{day} 13:00:00,{day} 15:0{i}:00,r{i % 2},clerk"]  # fmt: skip
        path.write_text("\n".join(rows) + "\n")
        return path

    def pilot_seeded(ctx, admin, ws):  # type: ignore[no-untyped-def]
        names = [d.name for d in assessment.list_datasets(ctx, actor=admin, workspace_id=ws)]
        if "people" not in names:
            assessment.ingest_dataset(
                ctx, actor=admin, workspace_id=ws, source=people_csv(ctx), name="people"
            )
        data = pg.parse(pg.PilotCreate, {
            "title": "P", "scope": "all", "dataset": "people", "start_date": "2024-01-01",
            "end_date": "2024-01-31", "baseline_start": "2023-12-01",
            "baseline_end": "2023-12-31", "success_criteria": [
                {"kpi": "throughput_median_days", "target": 0.1, "direction": "decrease"}],
        })  # fmt: skip
        return pg.PILOTS.create(ctx, actor=admin, workspace_id=ws, data=data)

    def evaluate_pilot(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        from civicflow.app import people

        pilot = pilot_seeded(ctx, admin, ws)
        return people.evaluate_pilot(
            ctx, actor=actor, workspace_id=ws, pilot_id=pilot.id, n_boot=100
        )

    def role_hours(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        from civicflow.app import people

        pilot_seeded(ctx, admin, ws)
        return people.role_hours(ctx, actor=actor, workspace_id=ws, dataset_name="people")

    def training_budget(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        from datetime import date

        from civicflow.app import people
        from civicflow.planning import SkillRequirement, training_needs

        needs = training_needs(
            [SkillRequirement(role="clerk", skill="triage", needed=2, available=1,
                              cost_per_person=100)]
        )  # fmt: skip
        return people.training_budget_lines(
            ctx, actor=actor, workspace_id=ws, needs=needs, start_date=date(2026, 1, 1)
        )

    ops |= {
        # people and pilots: hours are read by every member; the training budget is the
        # programme's; an evaluation comes from data, like a measurement
        "people.role_hours": (ALL, role_hours),
        "people.training_budget_lines": (PROGRAMME_WRITERS, training_budget),
        "people.evaluate_pilot": (MEASURERS, evaluate_pilot),
    }

    def reidentify(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        try:
            return pv.reidentify(
                ctx, actor=actor, workspace_id=ws, pseudonym="k1_none", reason="request 12"
            )
        except (NotFoundError, ConfigurationError):  # allowed, and then: no key ring, no entry
            return None

    ops |= {
        # privacy: the data steward decides per column, the DPO may open the vault
        "privacy.decide_column": (
            STEWARDS,
            lambda ctx, a, ws, ad: pv.decide_column(
                ctx,
                actor=a,
                workspace_id=ws,
                column="resource",
                action="keep",
                reason="staff names, needed for workload analysis",
            ),
        ),
        "privacy.list_decisions": (
            ALL,
            lambda ctx, a, ws, ad: pv.list_decisions(ctx, actor=a, workspace_id=ws),
        ),
        "privacy.reidentify": (REIDENTIFIERS, reidentify),
        "privacy.requests.add": (
            REIDENTIFIERS,  # the DPO keeps the register of data-subject requests
            lambda ctx, a, ws, ad: pv.add_request(
                ctx, actor=a, workspace_id=ws, kind="access", identifiers=["Anna Jansen"]
            ),
        ),
        "privacy.requests.list": (
            REIDENTIFIERS,
            lambda ctx, a, ws, ad: pv.list_requests(ctx, actor=a, workspace_id=ws),
        ),
        "privacy.publish_process_map": (
            REIDENTIFIERS,  # the DPO publishes (spends the budget), as it re-identifies
            lambda ctx, a, ws, ad: pv.publish_process_map(
                ctx,
                actor=a,
                workspace_id=ws,
                dataset_name=seeded(ctx, ad, ws),
                config=DpConfig(epsilon=0.01, max_pairs=2),
            ),
        ),
        "privacy.list_releases": (
            ALL,
            lambda ctx, a, ws, ad: pv.list_releases(ctx, actor=a, workspace_id=ws),
        ),
        "privacy.scan_dataset": (
            ALL,
            lambda ctx, a, ws, ad: pv.scan_dataset(
                ctx, actor=a, workspace_id=ws, dataset_name=seeded(ctx, ad, ws)
            ),
        ),
    }

    def fairness_audit(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        from civicflow.app import fairness
        from civicflow.fairness import AuditConfig

        path = ctx.settings.home / "decisions.csv"
        path.write_text("group,granted\na,1\na,0\nb,1\nb,1\n")
        return fairness.audit_file(
            ctx, actor=actor, workspace_id=ws, path=path,
            config=AuditConfig(outcome="granted", groups=("group",), bootstrap=10),
        )  # fmt: skip

    def fairness_list(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        from civicflow.app import fairness

        return fairness.list_audits(ctx, actor=actor, workspace_id=ws)

    def fairness_stream(ctx, actor, ws, admin, *, run: bool = False):  # type: ignore[no-untyped-def]
        from civicflow.app import fairness
        from civicflow.core import new_id
        from civicflow.fairness import AuditConfig

        path = ctx.settings.home / "stream.csv"
        path.write_text("group,granted\na,1\na,0\nb,1\nb,1\n")
        config = AuditConfig(outcome="granted", groups=("group",), bootstrap=10)
        name = new_id("s")
        if not run:
            return fairness.add_stream(
                ctx, actor=actor, workspace_id=ws, name=name, path=path, config=config
            )
        fairness.add_stream(ctx, actor=admin, workspace_id=ws, name=name, path=path, config=config)
        return fairness.run_stream(ctx, actor=actor, workspace_id=ws, name=name)

    def fairness_source(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        from civicflow.app import fairness
        from civicflow.fairness import AuditConfig

        path = ctx.settings.home / "source.csv"
        path.write_text("group,granted\na,1\na,0\nb,1\nb,1\n")
        return fairness.audit_source(
            ctx, actor=actor, workspace_id=ws, source=fairness.FileSource(path),
            config=AuditConfig(outcome="granted", groups=("group",), bootstrap=10),
        )  # fmt: skip

    def fairness_explanations(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        from civicflow.app import fairness

        return fairness.list_explanations(ctx, actor=actor, workspace_id=ws)

    def fairness_system(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        from civicflow.app import fairness, governance
        from civicflow.core import new_id

        entry = governance.add_system(
            ctx, actor=admin, workspace_id=ws,
            fields={"name": new_id("sys"), "purpose": "p", "legal_basis": "l", "owner": "o",
                    "senior_responsible_owner": "s"},
        )  # fmt: skip
        return fairness.system_history(ctx, actor=actor, workspace_id=ws, system=entry.id)

    def fairness_streams(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        from civicflow.app import fairness

        return fairness.list_streams(ctx, actor=actor, workspace_id=ws)

    def assistant_import(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        from civicflow.app import assistant

        path = ctx.settings.home / "faq.csv"
        path.write_text("question,answer\nWhen is the office open?,Monday to Friday.\n")
        return assistant.import_knowledge(ctx, actor=actor, workspace_id=ws, path=path)

    def assistant_ask(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        from civicflow.app import assistant

        return assistant.ask(ctx, actor=actor, workspace_id=ws, question="opening hours?")

    def rules_text() -> tuple[str, str]:
        from civicflow.decisions import EXAMPLES

        return (
            (EXAMPLES / "social_support.yaml").read_text(),
            (EXAMPLES / "social_support.tests.yaml").read_text(),
        )

    def rules_draft(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        from civicflow.app import decisions

        text, tests = rules_text()
        return decisions.draft_ruleset(
            ctx, actor=actor, workspace_id=ws, text=text, tests_text=tests
        )

    def rules_published(ctx, admin, ws):  # type: ignore[no-untyped-def]
        from civicflow.app import decisions

        try:
            return decisions.published_version(
                ctx, actor=admin, workspace_id=ws, name="social_support"
            )
        except NotFoundError:
            pass
        v = rules_draft(ctx, SYSTEM, ws, admin)
        decisions.submit_ruleset(ctx, actor=SYSTEM, workspace_id=ws, version_id=v.id)
        decisions.approve_ruleset(ctx, actor=admin, workspace_id=ws, version_id=v.id)
        return decisions.publish_ruleset(ctx, actor=admin, workspace_id=ws, version_id=v.id)

    def rules_decide(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        from datetime import date

        from civicflow.app import decisions

        rules_published(ctx, admin, ws)
        return decisions.decide_case(
            ctx, actor=actor, workspace_id=ws, ruleset="social_support", on=date(2026, 3, 1),
            inputs={"resident": True, "age": 40, "household_size": 2, "household_income": 2310},
        )  # fmt: skip

    def rules_review(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        from civicflow.app import decisions

        made = rules_decide(ctx, admin, ws, admin)
        return decisions.review_decision(
            ctx, actor=actor, workspace_id=ws, decision_id=made.id, action="confirm"
        )

    def rules_appeal(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        from civicflow.app import decisions

        made = rules_decide(ctx, admin, ws, admin)
        return decisions.appeal_decision(
            ctx, actor=actor, workspace_id=ws, decision_id=made.id, grounds="g", reason="r"
        )

    def rules_what_if(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        from civicflow.app import decisions
        from civicflow.decisions import ParameterChange

        rules_decide(ctx, admin, ws, admin)
        return decisions.what_if_change(
            ctx, actor=actor, workspace_id=ws, ruleset="social_support",
            change=ParameterChange(parameter="savings_limit", value=9000),
        )  # fmt: skip

    def rules_queue(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        from civicflow.app import decisions

        return decisions.review_queue(ctx, actor=actor, workspace_id=ws)

    def rules_versions(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        from civicflow.app import decisions

        return decisions.list_versions(ctx, actor=actor, workspace_id=ws)

    def forecast_run(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        from civicflow.app import forecasts
        from civicflow.forecasting import ForecastConfig

        path = ctx.settings.home / "demand.csv"
        days = [f"2026-01-{d:02d}" for d in range(1, 21)]
        path.write_text(
            "period,series,value\n" + "".join(f"{d},a,{i % 3}\n" for i, d in enumerate(days))
        )
        config = ForecastConfig(horizon=2, models=("seasonal_naive",), cv_windows=1, evaluate=False)
        return forecasts.run_forecast(ctx, actor=actor, workspace_id=ws, config=config, table=path)

    def forecast_list(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        from civicflow.app import forecasts

        return forecasts.list_forecasts(ctx, actor=actor, workspace_id=ws)

    ops |= {
        "forecasts.run_forecast": (FORECASTERS, forecast_run),
        "forecasts.list_forecasts": (ALL, forecast_list),
    }

    ops |= {
        # rules-as-code: policy officers write rule sets, caseworkers decide, review and appeal
        "decisions.draft_ruleset": (POLICY_OFFICERS, rules_draft),
        "decisions.what_if_change": (POLICY_OFFICERS, rules_what_if),
        "decisions.decide_case": (REVIEWERS, rules_decide),
        "decisions.review_decision": (REVIEWERS, rules_review),
        "decisions.appeal_decision": (REVIEWERS, rules_appeal),
        "decisions.review_queue": (ALL, rules_queue),
        "decisions.list_versions": (ALL, rules_versions),
    }

    def allocation_run(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        import pandas as pd

        from civicflow.app import allocation
        from civicflow.forecasting import AllocationConfig, Limits, ServiceTimes

        demand = pd.DataFrame(
            {"series": ["a", "b"], "period": ["2027-01", "2027-01"], "mean": [3.0, 4.0],
             "hi_80": [4.0, 5.0]}
        )  # fmt: skip
        config = AllocationConfig(
            limits=Limits(units_per_period=5), service_times=ServiceTimes(hours_per_case=1.0)
        )
        return allocation.run_allocation(
            ctx, actor=actor, workspace_id=ws, demand=demand, config=config, name="plan",
            source="forecast.csv", register=False,
        )  # fmt: skip

    def allocation_list(ctx, actor, ws, admin):  # type: ignore[no-untyped-def]
        from civicflow.app import allocation

        return allocation.list_allocations(ctx, actor=actor, workspace_id=ws)

    ops |= {
        "allocation.run_allocation": (FORECASTERS, allocation_run),
        "allocation.list_allocations": (ALL, allocation_list),
        "assistant.import_knowledge": (CONTENT_OWNERS, assistant_import),
        "assistant.ask": (ALL, assistant_ask),
        "fairness.audit_file": (FAIRNESS_AUDITORS, fairness_audit),
        "fairness.list_audits": (ALL, fairness_list),
        "fairness.add_stream": (FAIRNESS_AUDITORS, fairness_stream),
        "fairness.run_stream": (
            FAIRNESS_AUDITORS,
            lambda ctx, a, ws, ad: fairness_stream(ctx, a, ws, ad, run=True),
        ),
        "fairness.list_streams": (ALL, fairness_streams),
        "fairness.audit_source": (FAIRNESS_AUDITORS, fairness_source),
        "fairness.list_explanations": (ALL, fairness_explanations),
        "fairness.system_history": (ALL, fairness_system),
        # reading: every member; an event-log export is recorded in the ledger
        "compare": (ALL, compare),
        "export_event_log": (ALL, export_log),
        "ingest_dataset": (frozenset({Role.ADMIN, Role.ANALYST}), ingest),
        "delete_dataset": (frozenset({Role.ADMIN, Role.DPO}), delete_dataset),
        "freeze_baseline": (frozenset({Role.ADMIN, Role.ANALYST}), freeze),
        "list_datasets": (
            ALL,
            lambda ctx, a, ws, ad: assessment.list_datasets(ctx, actor=a, workspace_id=ws),
        ),
        "record_measurement": (MEASURERS, measure),
        "list_measurements": (ALL, list_measurements),
        "grant_role": (ADMIN, grant),
        "revoke_role": (ADMIN, revoke),
        # someone else's sessions, even a member of one's own workspace: global admins only
        "sign_out_everywhere": (NOBODY, sign_out),
        "list_users(workspace)": (
            ADMIN,
            lambda ctx, a, ws, ad: accounts.list_users(ctx, actor=a, workspace_id=ws),
        ),
        "list_users(all)": (NOBODY, lambda ctx, a, ws, ad: accounts.list_users(ctx, actor=a)),
        "create_user": (
            NOBODY,
            lambda ctx, a, ws, ad: accounts.create_user(
                ctx, actor=a, email="new@x.example", display_name="N", password=None
            ),
        ),
        "create_workspace": (
            NOBODY,
            lambda ctx, a, ws, ad: workspaces.create_workspace(
                ctx, actor=a, name="other", path=ctx.settings.home / "other"
            ),
        ),
        "get_workspace": (
            ALL,
            lambda ctx, a, ws, ad: workspaces.get_workspace(ctx, actor=a, workspace_id=ws),
        ),
        "audit.list_entries(workspace)": (
            LEDGER_READERS,
            lambda ctx, a, ws, ad: audit.list_entries(ctx, actor=a, workspace_id=ws),
        ),
        "audit.verify": (LEDGER_VERIFIERS, lambda ctx, a, ws, ad: audit.verify(ctx, actor=a)),
        "audit.inclusion_proof": (LEDGER_READERS, proof),
        "audit.write_checkpoint": (
            NOBODY,
            lambda ctx, a, ws, ad: audit.write_checkpoint(ctx, actor=a),
        ),
        "audit.write_checkpoint(workspace)": (
            LEDGER_VERIFIERS,
            lambda ctx, a, ws, ad: audit.write_checkpoint(ctx, actor=a, workspace_id=ws),
        ),
    }
    return ops


OPS = _ops()
# The ledger is one tree for the whole installation: whoever may verify it in any workspace (here
# the outsider, an admin elsewhere) may verify all of it.
OUTSIDER_ALLOWED = {"audit.verify"}


# Datasets and baselines are files: their permission checks do not depend on the database, so
# they run on SQLite only (the ingest and freeze they trigger are the slow part of this module).
FILE_OPS = {
    "ingest_dataset", "delete_dataset", "freeze_baseline", "list_datasets", "compare",
    "export_event_log", "people.role_hours", "people.evaluate_pilot",
    "privacy.scan_dataset", "privacy.publish_process_map",
}  # fmt: skip


def _walk(ctx: AppContext, admin: Actor, ws: workspaces.Workspace, make_member: Any, ops) -> None:  # type: ignore[no-untyped-def]
    members = {role: make_member(ws.id, role) for role in Role}
    other = workspaces.create_workspace(
        ctx, actor=admin, name="elsewhere", path=ctx.settings.home / "elsewhere"
    )
    outsider = make_member(other.id, Role.ADMIN)  # admin elsewhere, nothing here
    unexpected: list[str] = []
    for name in ops:
        allowed, op = OPS[name]
        for role, actor in [*members.items(), (None, outsider)]:
            expect_ok = role in allowed if role is not None else name in OUTSIDER_ALLOWED
            try:
                op(ctx, actor, ws.id, admin)
                ok = True
            except PermissionDeniedError:
                ok = False
            if ok != expect_ok:
                who = role.value if role else "outsider"
                unexpected.append(f"{name} as {who}: {'allowed' if ok else 'denied'}")
        # a global admin may do everything
        op(ctx, admin, ws.id, admin)
    assert unexpected == []


def test_permission_matrix(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace, make_member: Any
) -> None:
    _walk(ctx, admin, ws, make_member, [n for n in OPS if n not in FILE_OPS])


def test_permission_matrix_of_datasets_and_baselines(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace, make_member: Any
) -> None:
    if ctx.engine.dialect.name != "sqlite":
        pytest.skip("file operations: the database backend does not change them")
    _walk(ctx, admin, ws, make_member, sorted(FILE_OPS))


def test_api_token_scopes_narrow_the_role(ctx: AppContext, admin: Actor) -> None:
    from civicflow.app import Permission

    plaintext, _ = accounts.create_api_token(
        ctx,
        actor=admin,
        name="read-only",
        scopes=[Permission.WORKSPACE_READ, Permission.LEDGER_READ],
        expires_at=utcnow() + timedelta(days=1),
    )
    token_actor = accounts.authenticate_token(ctx, plaintext)
    assert token_actor is not None
    audit.list_entries(ctx, actor=token_actor)
    with pytest.raises(PermissionDeniedError, match="scopes"):
        workspaces.create_workspace(ctx, actor=token_actor, name="nope")
