"""The public names of each package are a snapshot (tests/public_api.json): the API cannot grow or
shrink unnoticed. When a change to ``__all__`` is deliberate, update the snapshot and commit it with
the change:

    PYTHONPATH=src python tests/test_public_api.py --update
"""

from __future__ import annotations

import difflib
import importlib
import json
import sys
from pathlib import Path

SNAPSHOT = Path(__file__).with_name("public_api.json")
PACKAGES = (
    "civicflow.core",
    "civicflow.eventlog",
    "civicflow.ledger",
    "civicflow.mining",
    "civicflow.report",
    "civicflow.demo",
    "civicflow.planning",
    "civicflow.privacy",
    "civicflow.fairness",
    "civicflow.governance",
    "civicflow.services",
    "civicflow.forecasting",
    "civicflow.app",
    "civicflow.app.accounts",
    "civicflow.app.assessment",
    "civicflow.app.assistant",
    "civicflow.app.audit",
    "civicflow.app.business_case",
    "civicflow.app.dashboard",
    "civicflow.app.fairness",
    "civicflow.app.governance",
    "civicflow.app.people",
    "civicflow.app.planning",
    "civicflow.app.privacy",
    "civicflow.app.programme",
    "civicflow.app.workspaces",
    "civicflow.web",
    "civicflow.cli",
)
HOW_TO_UPDATE = "PYTHONPATH=src python tests/test_public_api.py --update"


def public_api() -> dict[str, list[str]]:
    api = {}
    for name in PACKAGES:
        module = importlib.import_module(name)
        exported = getattr(module, "__all__", None)
        assert exported is not None, f"{name} has no __all__"
        api[name] = sorted(exported)
    return api


def _render(api: dict[str, list[str]]) -> str:
    return json.dumps(api, indent=2) + "\n"


def test_public_names_match_the_snapshot() -> None:
    current = _render(public_api())
    recorded = SNAPSHOT.read_text()
    if current != recorded:
        diff = "".join(
            difflib.unified_diff(
                recorded.splitlines(keepends=True),
                current.splitlines(keepends=True),
                "tests/public_api.json (recorded)",
                "__all__ (now)",
            )
        )
        raise AssertionError(
            "the public API changed (lines with + are new public names, - are gone):\n"
            f"{diff}\nIf this is deliberate, update the snapshot and commit it with the change:\n"
            f"    {HOW_TO_UPDATE}"
        )


def test_every_package_with_public_modules_is_in_the_snapshot() -> None:
    import pkgutil

    import civicflow

    packages = {
        f"civicflow.{info.name}"
        for info in pkgutil.iter_modules(civicflow.__path__)
        if info.ispkg and not info.name.startswith("_")
    }
    assert packages <= set(PACKAGES), f"add {sorted(packages - set(PACKAGES))} to PACKAGES"


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit(f"usage: {HOW_TO_UPDATE}")
    SNAPSHOT.write_text(_render(public_api()))
    print(f"wrote {SNAPSHOT}")
