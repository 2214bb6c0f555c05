"""Every third-party import of the shipped code is a core dependency, not only a test one.

A fresh clone's `pip install -e .` (the README's first command) installs only the core
dependencies; an import satisfied by the test extra would pass CI and fail for users.
"""

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("vaerdistrom", "flows", "mining", "connectors", "warehouse", "dashboards", "simulator")


def imported_top_level_modules() -> dict[str, str]:
    found: dict[str, str] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def test_runtime_imports_are_core_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    core = {d.split(">")[0].split("=")[0].split("<")[0].split("[")[0].strip().lower() for d in project["dependencies"]}
    dists = packages_distributions()
    missing = []
    for module, where in sorted(imported_top_level_modules().items()):
        if module in sys.stdlib_module_names or module in PACKAGES or module == "__future__":
            continue
        names = {d.lower() for d in dists.get(module, [])}
        if not names:
            pytest.fail(f"{module} (imported in {where}) belongs to no installed distribution")
        if not names & core:
            missing.append(f"{module} ({where}) from {sorted(names)}")
    assert not missing, f"imported at run time but not in [project].dependencies: {missing}"
