"""civicflow: an agency's automation and AI journey, on its own data."""

__version__ = "0.1.0"

__all__ = ["__version__"]
