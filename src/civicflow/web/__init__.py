"""The web workbench (FastAPI, Jinja2, HTMX)."""

__all__: list[str] = []
