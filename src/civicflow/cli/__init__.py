"""The ``civicflow`` command line: one module per command group, registered in ``_main``."""

from civicflow.cli._main import app, main

__all__ = ["app", "main"]
