"""Shell completion (issue 15): through click's completion machinery for ids, stages, fields and values, and the
bash script itself in a real bash, where `FIELD=VALUE` must survive bash splitting words at `=`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.shell_completion import get_completion_class

from conftest import CONTACT, deal
from funnel.cli import main

FILES = {
    "contacts/c-ivanov01.md": CONTACT,
    "deals/d-pump0001.md": deal("d-pump0001", "lead", "title: Насосная станция\ncontact: c-ivanov01\nowner: ivanov\ncreated: 2026-03-14\n"),
    "deals/d-pump0002.md": deal("d-pump0002", "lead", "title: Котельная\ncontact: c-ivanov01\nowner: petrova\ncreated: 2026-03-14\n"),
}


def complete(shell: str, args: list[str], incomplete: str, root: Path) -> list[tuple[str, str | None]]:
    """What `funnel ARGS INCOMPLETE<TAB>` offers in the workspace `root`, as (value, description) pairs."""
    completer = get_completion_class(shell)(main, {}, "funnel", "_FUNNEL_COMPLETE")
    return [(item.value, item.help) for item in completer.get_completions(args, incomplete)]


@pytest.fixture
def root(workspace, monkeypatch):
    made = workspace(FILES)
    monkeypatch.chdir(made)
    return made


def test_ids_complete_with_the_title_as_description(root):
    assert complete("zsh", ["show"], "d-pump", root) == [("d-pump0001", "Насосная станция"), ("d-pump0002", "Котельная")]
    assert complete("zsh", ["move"], "", root) == [("d-pump0001", "Насосная станция"), ("d-pump0002", "Котельная")]
    assert complete("zsh", ["deal", "add", "--contact"], "c-", root) == [("c-ivanov01", "Иванов Пётр Сергеевич")]


def test_stages_loss_reasons_and_owners(root):
    assert complete("zsh", ["move", "d-pump0001"], "pro", root) == [("proposal", "Proposal in preparation")]
    assert complete("zsh", ["lose", "d-pump0001", "--reason"], "fin", root) == [
        ("finance_ban", "Banned at the finance/legal check")]
    assert [value for value, _ in complete("zsh", ["board", "--owner"], "", root)] == ["ivanov", "petrova"]


def test_fields_then_values_for_set_and_where(root):
    assert ("amount=", "Amount") in complete("zsh", ["set", "d-pump0001"], "am", root)
    assert [v for v, _ in complete("zsh", ["set", "d-pump0001"], "categories=sm", root)] == ["categories=small"]
    assert [v for v, _ in complete("zsh", ["set", "d-pump0001"], "categories=small,", root)] == [
        "categories=small,ultra_small", "categories=small,standard", "categories=small,large"]
    assert [v for v, _ in complete("zsh", ["set", "c-ivanov01"], "sou", root)] == ["source="]  # a contact's fields
    assert [v for v, _ in complete("zsh", ["list", "deals", "--where"], "contact.source=ex", root)] == [
        "contact.source=exhibition"]
    assert [v for v, _ in complete("zsh", ["list", "deals", "--where"], "stage>=con", root)] == ["stage>=contract"]
    assert [v for v, _ in complete("zsh", ["list", "contacts", "--fields"], "id,na", root)] == ["id,name"]
    assert "contact.source" in [v for v, _ in complete("zsh", ["report", "funnel", "--by"], "contact.s", root)]


def test_a_workspace_that_cannot_be_read_completes_to_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert complete("zsh", ["show"], "d-", tmp_path) == []
    assert complete("bash", ["move", "d-x"], "", tmp_path) == []


def test_the_completion_command_prints_each_shells_script(run):
    for shell, marker in (("bash", "complete -o nosort -F"), ("zsh", "#compdef funnel"), ("fish", "complete")):
        result = run("completion", shell)
        assert result.exit_code == 0 and marker in result.stdout, shell


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completes_field_equals_value_although_it_splits_words_at_equals(root, run):
    script = run("completion", "bash").stdout
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    program = script + r'''
line='funnel set d-pump0001 categories=sm'
COMP_LINE="$line"; COMP_POINT=${#line}
COMP_WORDS=(funnel set d-pump0001 categories = sm); COMP_CWORD=5
_funnel_completion funnel
printf '%s\n' "${COMPREPLY[@]}"
line='funnel set d-pump0001 amo'
COMP_LINE="$line"; COMP_POINT=${#line}
COMP_WORDS=(funnel set d-pump0001 amo); COMP_CWORD=3; COMPREPLY=()
_funnel_completion funnel
printf '%s\n' "${COMPREPLY[@]}"
'''
    done = subprocess.run(["bash", "--norc", "-c", program], cwd=root, env=env, capture_output=True, text=True)
    assert done.stdout.split() == ["small", "amount="], done.stderr
