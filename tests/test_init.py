"""`funnel init`: the reference schema shipped in the package, record folders, .gitignore, git init; refuses
an existing workspace and writes nothing then."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import REFERENCE_SCHEMA
from funnel.writing.scaffold import reference_schema

PACKAGED_SCHEMA = Path(__file__).resolve().parent.parent / "funnel" / "data" / "schema.yaml"


def test_the_packaged_schema_is_the_repositorys_own_byte_for_byte():
    assert PACKAGED_SCHEMA.read_bytes() == REFERENCE_SCHEMA.read_bytes()
    assert reference_schema() == REFERENCE_SCHEMA.read_bytes()


def test_the_package_data_is_declared_for_packaging():
    pyproject = (REFERENCE_SCHEMA.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert '[tool.setuptools.package-data]\nfunnel = ["data/*.yaml"]' in pyproject


def test_init_makes_a_workspace_and_a_git_repository(tmp_path, run):
    target = tmp_path / "pipeline"
    result = run("init", str(target))
    assert result.exit_code == 0, result.output
    assert (target / "schema.yaml").read_bytes() == REFERENCE_SCHEMA.read_bytes()
    assert (target / "contacts").is_dir() and (target / "deals").is_dir()
    assert (target / ".gitignore").read_text(encoding="utf-8") == ".*.tmp\n"
    assert (target / ".git").is_dir()
    assert f"funnel workspace in {target}: schema.yaml, contacts/, deals/, .gitignore" in result.stdout
    # a fresh clone keeps the empty record folders
    assert (target / "contacts/.gitkeep").exists() and (target / "deals/.gitkeep").exists()


def test_the_new_workspace_checks_clean_and_shows_an_empty_board(tmp_path, run):
    target = tmp_path / "pipeline"
    assert run("init", str(target)).exit_code == 0
    assert run("check", "--root", str(target)).exit_code == 0
    board = run("board", "--root", str(target), "--format", "json")
    assert board.exit_code == 0
    assert all(column["count"] == 0 for column in json.loads(board.stdout)["columns"])


def test_inside_a_repository_no_nested_repository_is_made(tmp_path, run):
    subprocess.run(["git", "init", "--quiet", str(tmp_path)], check=True)
    target = tmp_path / "crm"
    result = run("init", str(target), "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"root": str(target), "created": ["schema.yaml", "contacts/", "deals/",
                                                                          ".gitignore"], "git_init": False}
    assert not (target / ".git").exists()


def test_an_existing_gitignore_gains_the_temp_file_line_once(tmp_path, run):
    target = tmp_path / "crm"
    target.mkdir()
    (target / ".gitignore").write_text("*.pyc", encoding="utf-8")
    assert run("init", str(target)).exit_code == 0
    assert (target / ".gitignore").read_text(encoding="utf-8") == "*.pyc\n.*.tmp\n"


def test_init_refuses_an_existing_workspace_and_writes_nothing(tmp_path, run):
    target = tmp_path / "crm"
    target.mkdir()
    (target / "schema.yaml").write_text("version: 1\n# mine\n", encoding="utf-8")
    before = sorted(path.name for path in target.iterdir())
    result = run("init", str(target))
    assert result.exit_code == 1
    assert "already a funnel workspace" in result.stderr and result.stderr.count("\n") == 1
    assert sorted(path.name for path in target.iterdir()) == before
    assert (target / "schema.yaml").read_text(encoding="utf-8") == "version: 1\n# mine\n"


def test_init_without_dir_uses_the_current_directory(tmp_path, run, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("init").exit_code == 0
    assert (tmp_path / "schema.yaml").exists()
    assert run("init").exit_code == 1


import pytest  # noqa: E402


@pytest.mark.parametrize("command", ["init", "show", "list", "board"])
def test_each_view_command_has_an_example_and_a_readme_row(run, command):
    assert "Example" in run(command, "--help").stdout
    readme = (REFERENCE_SCHEMA.parent / "README.md").read_text(encoding="utf-8")
    assert f"| `funnel {command} " in readme
