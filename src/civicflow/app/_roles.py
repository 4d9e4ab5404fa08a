"""Roles per workspace, the permissions each grants, and the actor a use case runs as."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from civicflow.core import Location, PermissionDeniedError, Record


class Role(enum.StrEnum):
    """A person's role in one workspace."""

    ADMIN = "admin"
    SERVICE_OWNER = "service_owner"
    ANALYST = "analyst"
    DPO = "dpo"
    AUDITOR = "auditor"
    CASEWORKER = "caseworker"
    VIEWER = "viewer"
    DATA_STEWARD = "data_steward"

    @property
    def label(self) -> str:
        return _ROLE_LABELS[self]


_ROLE_LABELS = {
    Role.ADMIN: "Administrator",
    Role.SERVICE_OWNER: "Service owner",
    Role.ANALYST: "Process analyst",
    Role.DPO: "Data-protection officer",
    Role.AUDITOR: "Auditor",
    Role.CASEWORKER: "Caseworker",
    Role.VIEWER: "Viewer",
    Role.DATA_STEWARD: "Data steward",
}


class Permission(enum.StrEnum):
    """What an actor may do. All are per workspace except USER_ADMIN (global admins only)."""

    WORKSPACE_READ = "workspace:read"
    WORKSPACE_ADMIN = "workspace:admin"
    DATASET_WRITE = "dataset:write"
    DATASET_DELETE = "dataset:delete"
    BASELINE_WRITE = "baseline:write"
    PROGRAMME_WRITE = "programme:write"
    SIMULATION_WRITE = "simulation:write"
    """Discover, edit and run simulation models and their what-if scenarios."""
    BUSINESS_CASE_WRITE = "business_case:write"
    """Create, version, evaluate and delete business cases."""
    GOVERNANCE_WRITE = "governance:write"
    """Keep the register of automated systems, run impact assessments, move systems along their
    lifecycle and publish transparency records."""
    FAIRNESS_WRITE = "fairness:write"
    """Run fairness audits of decisions and processes (stored, versioned and ledgered)."""
    FORECAST_WRITE = "forecast:write"
    """Run and store demand forecasts and allocation scenarios (ledgered)."""
    ASSISTANT_WRITE = "assistant:write"
    """Import sources into the citizen inquiry assistant's knowledge base (content owners)."""
    LEDGER_READ = "ledger:read"
    LEDGER_VERIFY = "ledger:verify"
    REVIEW_WRITE = "review:write"
    """Work the human-review queue of automated decisions (the caseworker's job)."""
    PRIVACY_DECIDE = "privacy:decide"
    """Decide per column whether ingest pseudonymises it (the data steward's call, ledgered)."""
    PRIVACY_REIDENTIFY = "privacy:reidentify"
    """Open the vault: a pseudonym's original value, with a reason, ledgered."""
    PRIVACY_RELEASE = "privacy:release"
    """Publish a differentially private release (spends the dataset's privacy budget)."""
    PRIVACY_REQUESTS = "privacy:requests"
    """Keep the register of data-subject requests (GDPR Arts. 15-22): search, export, erase."""
    USER_ADMIN = "user:admin"


P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(P) - {P.USER_ADMIN},
    Role.SERVICE_OWNER: frozenset(
        {
            P.WORKSPACE_READ,
            P.PROGRAMME_WRITE,
            P.LEDGER_READ,
            P.BUSINESS_CASE_WRITE,
            P.GOVERNANCE_WRITE,
            P.ASSISTANT_WRITE,
            P.FORECAST_WRITE,
        }
    ),
    Role.ANALYST: frozenset(
        {
            P.WORKSPACE_READ,
            P.DATASET_WRITE,
            P.BASELINE_WRITE,
            P.SIMULATION_WRITE,
            P.BUSINESS_CASE_WRITE,
            P.FAIRNESS_WRITE,
            P.FORECAST_WRITE,
        }
    ),
    Role.DPO: frozenset(
        {
            P.WORKSPACE_READ,
            P.DATASET_DELETE,
            P.LEDGER_READ,
            P.LEDGER_VERIFY,
            P.GOVERNANCE_WRITE,
            P.PRIVACY_REIDENTIFY,
            P.PRIVACY_RELEASE,
            P.PRIVACY_REQUESTS,
            P.FAIRNESS_WRITE,
        }
    ),
    Role.AUDITOR: frozenset({P.WORKSPACE_READ, P.LEDGER_READ, P.LEDGER_VERIFY, P.FAIRNESS_WRITE}),
    Role.CASEWORKER: frozenset({P.WORKSPACE_READ, P.REVIEW_WRITE}),
    Role.VIEWER: frozenset({P.WORKSPACE_READ}),
    Role.DATA_STEWARD: frozenset({P.WORKSPACE_READ, P.PRIVACY_DECIDE, P.LEDGER_READ}),
}
del P


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor(Record):
    """Who is acting: a signed-in user, an API token's owner, or the system itself.

    ``roles`` maps workspace id to the actor's role there. A global admin (``is_admin``) holds
    every permission everywhere. ``scopes`` (API tokens) narrows what the actor may do further.
    """

    _json = True

    user_id: str
    pseudonym: str
    roles: Mapping[str, Role] = field(default_factory=dict)
    is_admin: bool = False
    display_name: str = ""
    scopes: frozenset[Permission] | None = None

    def permissions(self, workspace_id: str | None = None) -> frozenset[Permission]:
        """The permissions this actor holds in a workspace (or globally with ``None``)."""
        if self.is_admin:
            granted = frozenset(Permission)
        elif workspace_id is None or workspace_id not in self.roles:
            granted = frozenset()
        else:
            granted = ROLE_PERMISSIONS[self.roles[workspace_id]]
        return granted if self.scopes is None else granted & self.scopes

    def can(self, permission: Permission, workspace_id: str | None = None) -> bool:
        return permission in self.permissions(workspace_id)

    def can_anywhere(self, permission: Permission) -> bool:
        """True when the actor holds the permission in at least one workspace."""
        if self.can(permission):
            return True
        return any(self.can(permission, ws) for ws in self.roles)

    def role_in(self, workspace_id: str | None) -> str:
        """The role name written to the ledger for an action in a workspace."""
        if workspace_id is not None and workspace_id in self.roles:
            return self.roles[workspace_id].value
        if self.is_admin:
            return "global_admin"
        return "none"

    def require(self, permission: Permission, workspace_id: str | None = None) -> None:
        """Raise :class:`PermissionDeniedError` unless the actor holds the permission."""
        if self.can(permission, workspace_id):
            return
        role = self.roles.get(workspace_id) if workspace_id is not None else None
        holders = sorted(r.value for r, perms in ROLE_PERMISSIONS.items() if permission in perms)
        scope_note = (
            " (the API token's scopes do not include it)"
            if self.scopes is not None and permission not in self.scopes
            else ""
        )
        raise PermissionDeniedError(
            f"{self.pseudonym} may not do '{permission.value}'"
            + (f" in workspace {workspace_id}" if workspace_id else "")
            + scope_note,
            where=Location(field="actor"),
            found=f"role {role.value}" if role else "no role in this workspace",
            expected="a global admin"
            if permission is Permission.USER_ADMIN
            else f"one of the roles: {', '.join(holders)}",
            fix="ask a workspace admin to grant you a role that allows it",
        )


SYSTEM = Actor(user_id="system", pseudonym="system", is_admin=True, display_name="civicflow")
"""The actor of operator commands run on the server itself (``civicflow users create-admin``)."""
