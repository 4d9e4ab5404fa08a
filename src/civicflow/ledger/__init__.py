"""The tamper-evident audit ledger."""

__all__: list[str] = []
