"""The `check` command's contract: exit codes, formats, paths, workspace discovery."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

from conftest import CONTACT, deal, full_deal
from funnel.cli import main

BAD_CONTACT = CONTACT.replace("id: c-ivanov01", "id: c-bad00001").replace("source: website", "source: tv")


def test_json_format_lists_every_problem(workspace, run, monkeypatch):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "contacts/c-bad00001.md": BAD_CONTACT})
    monkeypatch.chdir(root)
    result = run("check", "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == [{
        "path": "contacts/c-bad00001.md", "line": 7, "column": 9, "severity": "error", "code": "choice",
        "message": "source: 'tv' is not one of website, referral, exhibition, advertising, cold_call, repeat, other",
    }]


def test_json_format_of_a_clean_workspace_is_an_empty_array(workspace, run, monkeypatch):
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    monkeypatch.chdir(root)
    result = run("check", "--format", "json")
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])


def test_paths_limit_what_is_reported(workspace, run, monkeypatch):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "contacts/c-bad00001.md": BAD_CONTACT,
                      "deals/d-good0001.md": full_deal("d-good0001", "lead")})
    monkeypatch.chdir(root)
    assert run("check", "contacts/c-ivanov01.md", "deals").exit_code == 0
    result = run("check", "contacts")
    assert result.exit_code == 1
    assert result.stdout.startswith("contacts/c-bad00001.md:7:9: error:")
    missing = run("check", "deals/d-nothere1.md")
    assert missing.exit_code == 1
    assert missing.stderr == "Error: deals/d-nothere1.md: no such file or directory\n"


def test_workspace_is_found_upwards_or_given_by_root_or_environment(workspace, run, monkeypatch, tmp_path):
    root = workspace({"contacts/c-bad00001.md": BAD_CONTACT})
    monkeypatch.chdir(root / "deals")
    assert run("check").stdout.startswith("../contacts/c-bad00001.md:7:9:")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert run("check", "--root", str(root)).exit_code == 1
    assert run("check", env={"FUNNEL_ROOT": str(root)}).exit_code == 1
    nowhere = run("check")
    assert nowhere.exit_code == 1
    assert nowhere.stderr.startswith("Error: not inside a funnel workspace")
    assert "Traceback" not in nowhere.output


def test_usage_errors_exit_2(workspace, run, monkeypatch):
    root = workspace({})
    monkeypatch.chdir(root)
    assert run("check", "--format", "yaml").exit_code == 2
    assert run("check", "--no-such-flag").exit_code == 2


def test_a_broken_schema_is_reported_with_its_line(workspace, run, monkeypatch):
    root = workspace({"contacts/c-ivanov01.md": CONTACT}, schema="stages: [}\n")
    monkeypatch.chdir(root)
    result = run("check")
    assert result.exit_code == 1
    assert result.stdout.startswith("schema.yaml:1:")
    assert "[yaml-syntax]" in result.stdout


def _command_paths(group, prefix=()):
    for name, command in group.commands.items():
        yield prefix + (name,)
        if isinstance(command, click.Group):
            yield from _command_paths(command, prefix + (name,))


COMMANDS = list(_command_paths(main))


def test_the_help_test_sees_every_command():
    assert {("contact", "add"), ("deal", "add"), ("check",), ("set",), ("report",)} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_an_example(run, command):
    result = run(*command, "--help")
    assert result.exit_code == 0, result.output
    assert "Example" in result.stdout


def test_installed_console_script_runs_check(workspace):
    root = workspace({"contacts/c-bad00001.md": BAD_CONTACT})
    completed = subprocess.run([sys.executable, "-m", "funnel", "check", "--root", str(root)],
                               capture_output=True, text=True, cwd=root)
    assert completed.returncode == 1
    assert completed.stdout.startswith("contacts/c-bad00001.md:7:9: error: source: 'tv'")
    assert "1 files checked" not in completed.stderr and "1 file checked: 1 error, 0 warnings" in completed.stderr


def test_null_words_and_an_empty_value_mean_no_value_in_every_reader(workspace, run):
    """`key:`, `key: ~` and `key: null` are YAML's "no value"; a quoted 'null' is the text. Both readers (the
    simple one and libyaml, which a comment sends the file to) agree."""
    fields = ("title: Насос\ncontact: c-ivanov01\nowner: ivanov\ncreated: 2026-03-14\n"
              "amount: ~\nnext_action: null\nnext_action_due:\ncategories: [small, ~]\n")
    quoted = fields.replace("next_action: null", "next_action: 'null'").replace("categories: [small, ~]\n", "")
    root = workspace({"contacts/c-ivanov01.md": CONTACT,
                      "deals/d-null0001.md": deal("d-null0001", "lead", fields),
                      "deals/d-null0002.md": deal("d-null0002", "lead", "# a comment: libyaml reads this one\n" + fields),
                      "deals/d-null0003.md": deal("d-null0003", "lead", quoted)})
    result = run("check", "--root", str(root), "--format", "json")
    problems = json.loads(result.stdout)
    assert sorted((problem["path"], problem["line"], problem["column"], problem["message"]) for problem in problems) \
        == [("deals/d-null0001.md", 11, 21, "categories: item 2 is empty; expected one of the options"),
            ("deals/d-null0002.md", 12, 21, "categories: item 2 is empty; expected one of the options")]
    for deal_id in ("d-null0001", "d-null0002"):
        shown = json.loads(run("show", deal_id, "--root", str(root), "--format", "json").stdout)
        assert shown.get("amount") is None and shown.get("next_action") is None
        assert shown.get("next_action_due") is None
    assert json.loads(run("show", "d-null0003", "--root", str(root), "--format", "json").stdout)["next_action"] == "null"
