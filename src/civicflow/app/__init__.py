"""Use cases: orchestrate the domain packages, check roles, write the audit ledger."""

__all__: list[str] = []
