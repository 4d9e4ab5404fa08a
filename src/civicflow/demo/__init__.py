"""The seeded demo generator: a realistic permit-application process."""

__all__: list[str] = []
