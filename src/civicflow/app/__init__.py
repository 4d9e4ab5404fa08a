"""Use cases: orchestrate the domain packages, check roles, write the audit ledger.

The interface the interfaces (``civicflow.cli``, ``civicflow.web``) build on::

    from civicflow.app import (
        AppContext, open_app,      # open_app(*, settings=None, require_migrated=False) -> AppContext
                                   #   ctx.engine (SQLAlchemy Engine), ctx.session() (one transaction),
                                   #   ctx.ledger (civicflow.ledger.Ledger), ctx.settings,
                                   #   ctx.analytics_engine() under ctx.analytics_lock
        Actor, Role, Permission, ROLE_PERMISSIONS,
        accounts,                  # users (argon2), OIDC users, roles, API tokens, login throttling
        workspaces,                # create_workspace / list_workspaces / get_workspace
        programme,                 # objectives, stakeholders (+ consultations), communications,
                                   #   budget lines, risks, pilots, decisions, training plans: create_/update_/
                                   #   list_/get_/delete_<kind>(ctx, *, actor, workspace_id, ...)
        audit,                     # list_entries, verify -> VerificationReport,
                                   #   inclusion_proof -> InclusionProof
        assessment,                # ingest_dataset, delete_dataset, freeze_baseline, open_view
        dashboard,                 # overview (trends, changes, attention), record_visit
        planning,                  # simulation models, scenarios, validate / run / compare
        business_case,             # saved, versioned business cases: create / version /
                                   #   evaluate / compare / delete, from_opportunity
        people,                    # hours per role, hours freed, training budget, pilot evaluation
        governance,                # register of automated systems, assessments, records
        privacy,                   # scan_dataset, decide_column (data steward), reidentify (vault)
        LocalOperator, local_operator,  # the command line's actor: the OS login's account,
        open_local_app, latest_entry,   #   the workspace folder registered on first use
        operator_actor,            # the OS login's account alone (no workspace)
    )

Every state change goes through these functions, which (1) check that ``actor`` holds the
permission in that workspace (:class:`~civicflow.core.PermissionDeniedError` otherwise), (2)
validate the input (:class:`~civicflow.core.InputError`, ``NotFoundError``, ``ConflictError``, each
naming the field with ``expected`` and ``fix``), and (3) change the database and append the ledger
entry in the same transaction, so a failure leaves neither.

The database is SQLite in ``Settings.home`` by default, PostgreSQL when
``CIVICFLOW_DATABASE_URL=postgresql://...``; its schema is the Alembic migrations in
``civicflow/app/migrations`` (:func:`upgrade_database`, ``civicflow db upgrade``).
"""

from civicflow.app import (
    accounts,
    assessment,
    audit,
    business_case,
    dashboard,
    governance,
    people,
    planning,
    privacy,
    programme,
    workspaces,
)
from civicflow.app._context import (
    AppContext,
    MigrationStatus,
    database_url,
    downgrade_database,
    make_db_engine,
    migration_status,
    open_app,
    upgrade_database,
)
from civicflow.app._local import (
    LocalOperator,
    latest_entry,
    local_operator,
    open_local_app,
    operator_actor,
)
from civicflow.app._roles import ROLE_PERMISSIONS, SYSTEM, Actor, Permission, Role

__all__ = [
    "ROLE_PERMISSIONS",
    "SYSTEM",
    "Actor",
    "AppContext",
    "LocalOperator",
    "MigrationStatus",
    "Permission",
    "Role",
    "accounts",
    "assessment",
    "audit",
    "business_case",
    "dashboard",
    "database_url",
    "downgrade_database",
    "governance",
    "latest_entry",
    "local_operator",
    "make_db_engine",
    "migration_status",
    "open_app",
    "open_local_app",
    "operator_actor",
    "people",
    "planning",
    "privacy",
    "programme",
    "upgrade_database",
    "workspaces",
]
