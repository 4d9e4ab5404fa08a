"""The offline HTML assessment report."""

__all__: list[str] = []
