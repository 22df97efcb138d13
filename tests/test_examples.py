"""Every example in `--help` and in the README works when pasted into a shell (issue 15): `--where
stage>=contract` unquoted made bash create a file `=contract` and hand funnel half a condition.

Each example runs through a real bash in a copy of the demo workspace; it may fail for its own reasons (an
example id like d-7k3m is not in the demo), but the shell must not misread it: no file appears that the example
does not name as its output, and funnel never answers with a usage error (exit 2)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from conftest import REPO
from funnel.cli import main

SHELL_OPERATORS = {">", ">>", "|", "||", "&&", ";", "(", ")", "$(", "&"}


def help_examples() -> list[tuple[str, str]]:
    """(where, command line) of every example block in every command's --help."""
    found = []

    def walk(command: click.Command, path: list[str]) -> None:
        text = command.get_help(click.Context(command, info_name=" ".join(path)))
        lines = text.splitlines()
        for index, line in enumerate(lines):
            if re.match(r"\s*Examples?\b.*:\s*$", line):
                indent = len(line) - len(line.lstrip())
                for example in _block(lines[index + 1:], indent):
                    found.append((" ".join(path) + " --help", example))
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, path + [name])

    walk(main, ["funnel"])
    return found


def _block(lines: list[str], indent: int) -> list[str]:
    """The command lines of an example block (more indented than its heading), continuations joined."""
    commands, current = [], ""
    for line in lines:
        if not line.strip() or len(line) - len(line.lstrip()) <= indent:
            break
        text = line.strip()
        current = f"{current} {text}" if current else text
        if current.endswith("\\"):
            current = current[:-1].rstrip()
            continue
        if "funnel" in current:
            commands.append(re.split(r"\s{3,}", current)[0])  # "funnel check   validate …": the command only
        current = ""
    return commands


def readme_examples() -> list[tuple[str, str]]:
    """(where, command line) of every line of the README's ```sh blocks that runs funnel (the install step of
    the set-up commands left out: the test runs the funnel it has)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    found = []
    for block in re.findall(r"```(?:sh|bash|shell)\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"^pip install [^&]*&&\s*", "", line.strip())
            if "funnel" in line and not line.startswith("#"):
                found.append(("README.md", line))
    return found


EXAMPLES = help_examples() + readme_examples()


def test_examples_were_found():
    assert len(help_examples()) >= 25
    assert any("--where 'stage>=contract'" in line for _, line in EXAMPLES)


def shell_misreadings(line: str) -> list[str]:
    """Shell operators in `line` that a person did not mean: a `<`, `>=` or `<=` outside quotes."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    return [token for token in lexer if set(token) <= set("<>&|;()") and token not in SHELL_OPERATORS]


def intended_outputs(line: str) -> set[str]:
    """Files the example writes on purpose: `> FILE`, `-o FILE`, and what `funnel init DIR` makes."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    tokens = list(lexer)
    named = {tokens[i + 1] for i, token in enumerate(tokens[:-1]) if token in (">", ">>", "-o")}
    made = {tokens[i + 2] for i, token in enumerate(tokens[:-2]) if token == "funnel" and tokens[i + 1] == "init"}
    named |= {".gitignore" if name == "." else name for name in made}
    return {name.split("/")[0] for name in named}


def shell_for(line: str) -> str:
    """The shell an example is written for: zsh's and fish's completion lines are not bash."""
    for shell in ("zsh", "fish"):
        if f"completion {shell}" in line:
            return shell
    return "bash"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("examples") / "demo"
    root.mkdir()
    shutil.copy(REPO / "schema.yaml", root / "schema.yaml")
    shutil.copytree(REPO / "contacts", root / "contacts")
    shutil.copytree(REPO / "deals", root / "deals")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(git + ["init", "-q"], cwd=root, check=True)
    subprocess.run(git + ["add", "-A"], cwd=root, check=True)
    subprocess.run(git + ["commit", "-qm", "demo"], cwd=root, check=True)
    return root


def files_under(root: Path) -> set[str]:
    return {path.relative_to(root).as_posix() for path in root.rglob("*")
            if ".git" not in path.relative_to(root).parts}


@pytest.mark.parametrize("where, line", EXAMPLES, ids=[f"{where}: {line[:60]}" for where, line in EXAMPLES])
def test_an_example_pasted_into_a_shell_is_read_as_meant(demo, where, line):
    assert shell_misreadings(line) == [], f"{where}: quote it: {line}"
    shell = shell_for(line)
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")
    before = files_under(demo)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "FUNNEL_TODAY": "2026-11-27", "HOME": str(demo.parent), "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    done = subprocess.run([shell, "-c", line], cwd=demo, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=120)
    stray = {name for name in files_under(demo) - before
             if name.split("/")[0] not in {"contacts", "deals", ".gitattributes"} | intended_outputs(line)}
    assert stray == set(), f"{where}: {line} made {sorted(stray)}"
    assert done.returncode != 2, f"{where}: {line}: {done.stderr.decode(errors='replace')}"
