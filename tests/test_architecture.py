"""The layers stay one-way and hold for packages that do not exist yet (import-linter contracts in
pyproject; see docs/ARCHITECTURE.md "Adding a domain")."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Imported only by the interfaces, whether or not anything imports them today (import-linter's
# `protected` contract needs a module present in the graph; these are checked with grimp instead).
INTERFACE_ONLY = ("fastapi", "starlette", "uvicorn", "typer", "click", "rich", "jinja2")
INTERFACE_ONLY_EXCEPTIONS = {"jinja2": ("civicflow.report",)}


def _lint_imports(config: Path, src: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    code = "from importlinter.cli import lint_imports_command as c; c()"
    return subprocess.run(
        [sys.executable, "-c", code, "--config", str(config), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def _contracts(config: Path = ROOT / "pyproject.toml") -> list[dict]:
    return tomllib.loads(config.read_text())["tool"]["importlinter"]["contracts"]


def placed_packages(config: Path = ROOT / "pyproject.toml") -> set[str]:
    """The package names the layers contract places (optional ones included)."""
    layers = next(c for c in _contracts(config) if c["type"] == "layers")
    names: set[str] = set()
    for layer in layers["layers"]:
        for part in re.split(r"[|:]", layer):
            names.add(part.strip().strip("()"))
    return names


def subpackages(package_dir: Path) -> set[str]:
    """Every package and module directly under ``civicflow/`` (``__init__`` aside)."""
    return {
        p.name if p.is_dir() else p.stem
        for p in package_dir.iterdir()
        if (p.is_dir() and (p / "__init__.py").exists())
        or (p.suffix == ".py" and p.stem != "__init__")
    }


def unplaced(package_dir: Path, config: Path = ROOT / "pyproject.toml") -> set[str]:
    return subpackages(package_dir) - placed_packages(config)


def test_import_contracts_hold() -> None:
    result = _lint_imports(ROOT / "pyproject.toml", ROOT / "src", ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


def test_every_package_is_placed_in_a_layer() -> None:
    missing = unplaced(ROOT / "src" / "civicflow")
    assert not missing, (
        f"civicflow.{', civicflow.'.join(sorted(missing))} is in no layer: add it to the layers "
        "contract in pyproject.toml (a domain beside report/demo, independent of its siblings) and "
        "to the diagram in docs/ARCHITECTURE.md"
    )


def test_the_layers_contract_is_exhaustive_over_civicflow() -> None:
    layers = next(c for c in _contracts() if c["type"] == "layers")
    assert layers["containers"] == ["civicflow"]
    assert layers["exhaustive"] is True


def test_future_domains_are_placed_as_independent_siblings() -> None:
    layers = next(c for c in _contracts() if c["type"] == "layers")
    domain_layer = next(layer for layer in layers["layers"] if "(privacy)" in layer)
    members = [m.strip() for m in domain_layer.split("|")]
    assert ":" not in domain_layer  # `|` makes siblings independent, `:` would let them meet
    for name in ("planning", "(privacy)", "(fairness)", "(governance)", "(services)", "report"):
        assert name in members


def interface_framework_offenders() -> list[str]:
    import grimp

    graph = grimp.build_graph("civicflow", include_external_packages=True, cache_dir=None)
    offenders = []
    for framework in INTERFACE_ONLY:
        if framework not in graph.modules:
            continue
        allowed = ("civicflow.cli", "civicflow.web", *INTERFACE_ONLY_EXCEPTIONS.get(framework, ()))
        for importer in graph.find_modules_that_directly_import(framework):
            if not importer.startswith(allowed):
                offenders.append(f"{importer} imports {framework}")
    return offenders


def test_interface_frameworks_only_in_the_interfaces() -> None:
    assert interface_framework_offenders() == []


def test_pm4py_never_imported_from_src() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "src").rglob("*.py")
        if any(
            line.strip().startswith(("import pm4py", "from pm4py"))
            for line in p.read_text().splitlines()
        )
    ]
    assert offenders == []


def test_public_packages_declare_all() -> None:
    import importlib
    import pkgutil

    import civicflow

    for info in pkgutil.iter_modules(civicflow.__path__):
        if info.name.startswith("_") or not info.ispkg:
            continue
        module = importlib.import_module(f"civicflow.{info.name}")
        exported = getattr(module, "__all__", None)
        assert exported is not None, f"civicflow.{info.name} has no __all__"
        for name in exported:
            assert hasattr(module, name), f"civicflow.{info.name}.__all__ names missing {name}"


# -- the contracts on a tree with a planted package ----------------------------------------------


def _copy_tree(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of src/civicflow (Python files only) and of pyproject.toml under ``tmp_path``."""
    src = tmp_path / "src"
    shutil.copytree(
        ROOT / "src" / "civicflow",
        src / "civicflow",
        ignore=lambda d, names: [
            n for n in names if n == "__pycache__" or (Path(d, n).is_file() and n[-3:] != ".py")
        ],
    )
    config = tmp_path / "pyproject.toml"
    shutil.copy(ROOT / "pyproject.toml", config)
    return src, config


def _plant(src: Path, package: str, body: str) -> None:
    folder = src / "civicflow" / package
    folder.mkdir(exist_ok=True)  # a package that exists gets its __init__ replaced
    (folder / "__init__.py").write_text(
        f'"""A package planted by the architecture test."""\n{body}'
    )


def _broken(stdout: str) -> set[str]:
    text = " ".join(stdout.split())  # lint-imports wraps long contract names
    return {c["name"] for c in _contracts() if f"{c['name']} BROKEN" in text}


def test_a_new_domain_importing_the_web_the_app_and_fastapi_breaks_the_contracts(
    tmp_path: Path,
) -> None:
    src, config = _copy_tree(tmp_path)
    _plant(
        src,
        "privacy",
        "import fastapi\nimport sqlalchemy\n\nimport civicflow.app\nimport civicflow.web\n",
    )
    result = _lint_imports(config, src, tmp_path)
    assert result.returncode != 0
    broken = _broken(result.stdout)
    assert any(name.startswith("Layers") for name in broken), result.stdout
    assert "Only cli and web import web and command-line frameworks" in broken
    assert "Only cli and web reach the application layer (civicflow.app)" in broken
    assert "Only app and the ledger's tables import SQLAlchemy" in broken
    assert "civicflow.privacy" in result.stdout


def test_sibling_domains_may_not_import_each_other(tmp_path: Path) -> None:
    src, config = _copy_tree(tmp_path)
    _plant(src, "privacy", "")
    _plant(src, "planning", "import civicflow.mining\nimport civicflow.privacy\n")
    result = _lint_imports(config, src, tmp_path)
    assert result.returncode != 0
    assert any(name.startswith("Layers") for name in _broken(result.stdout))
    assert "civicflow.planning -> civicflow.privacy" in result.stdout


def test_a_planted_domain_that_keeps_to_its_layer_passes(tmp_path: Path) -> None:
    # the two tests above fail for the planted imports, not for the copy itself
    src, config = _copy_tree(tmp_path)
    _plant(src, "fairness", "import civicflow.eventlog\nimport civicflow.mining\n")
    result = _lint_imports(config, src, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_unplaced_package_fails_placement(tmp_path: Path) -> None:
    src, config = _copy_tree(tmp_path)
    assert unplaced(src / "civicflow", config) == set()
    _plant(src, "simulation", "import civicflow.core\n")
    assert unplaced(src / "civicflow", config) == {"simulation"}
    result = _lint_imports(config, src, tmp_path)
    assert result.returncode != 0
    assert "civicflow.simulation" in result.stdout


@pytest.mark.parametrize("framework", ["click", "rich"])
def test_a_framework_absent_from_the_graph_is_still_caught(tmp_path: Path, framework: str) -> None:
    src, _ = _copy_tree(tmp_path)
    _plant(src, "governance", f"import {framework}\n")
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import tests.test_architecture as t; "
        "print(t.interface_framework_offenders())"
    )
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{ROOT}"}
    result = subprocess.run(
        [sys.executable, "-c", code, str(ROOT)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert f"civicflow.governance imports {framework}" in result.stdout
