"""Documentation that cannot go stale: the parameter tables, the README's commands."""

from pathlib import Path

import typer.main

from flows.cli import app
from simulator.docs import DOC, render

ROOT = Path(__file__).resolve().parents[1]


def test_simulator_doc_is_generated_from_the_templates():
    assert DOC.read_text(encoding="utf-8") == render(), "run: python -m simulator.docs"


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```sh\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert len(block) == 2
    assert block[0].endswith("vaerdistrom demo") and "pip install -e ." in block[0]
    assert block[1].endswith(".venv/bin/python -m pytest -n 2")
    assert block[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "test:\n\t$(BIN)/python -m pytest -n 2\n" in makefile


def test_every_cli_command_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in typer.main.get_command(app).commands:
        assert f"`vaerdistrom {name}" in readme, name


def test_mining_doc_is_generated_from_the_marts():
    from mining.docs import DOC, render

    assert DOC.read_text(encoding="utf-8") == render(), "run: python -m mining.docs"


def test_architecture_doc_names_every_module_of_every_layer():
    """docs/architecture.md's tables list each folder's modules: a module added without a line there fails."""
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    tables = {}
    for part in doc.split("\n**`")[1:]:
        folder, _, body = part.partition("`**")
        tables[folder.rstrip("/")] = {line.split("`")[1] for line in body.splitlines() if line.startswith("| `")}
    tops = ("vaerdistrom", "connectors", "warehouse", "mining", "flows", "dashboards", "simulator")
    packages = {p.parent.relative_to(ROOT).as_posix() for top in tops for p in (ROOT / top).rglob("__init__.py")}
    assert set(tables) == packages
    for folder in packages:
        assert tables[folder] == {p.name for p in (ROOT / folder).glob("*.py")}, folder
