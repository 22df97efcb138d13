"""The repository is itself a workspace: its demo must stay valid, and the README must stay true."""

from __future__ import annotations

import json
import re

from conftest import REPO


def test_the_demo_workspace_passes_check(run):
    result = run("check", "--root", str(REPO), "--format", "json")
    problems = json.loads(result.stdout)
    assert [p for p in problems if p["severity"] == "error"] == []
    assert result.exit_code == 0
    # the one planned warning: a deal with two proposal options instead of the usual three
    assert [p["code"] for p in problems] == ["gate-warning"]


def test_the_demo_populates_every_stage(run):
    data = json.loads(run("board", "--all", "--root", str(REPO), "--format", "json",
                          env={"FUNNEL_TODAY": "2026-11-27"}).stdout)
    counts = {column["stage"]: column["count"] for column in data["columns"]}
    assert all(count >= 2 for count in counts.values()), counts
    losses = json.loads(run("report", "losses", "--root", str(REPO), "--format", "json").stdout)
    assert losses["by_stage"]["approval"]["finance_ban"] >= 2
    assert len([reason for reason, count in losses["by_reason"].items() if count]) >= 5


def test_the_demo_reads_true_at_its_date(run):
    """Marks tell a manager something only when few cards carry them: at the demo's date most deals are on pace."""
    env = {"FUNNEL_TODAY": "2026-11-27"}
    open_deals = json.loads(run("list", "deals", "--root", str(REPO), "--format", "json", env=env).stdout)
    active = [d for d in open_deals if d["stage"] not in ("won", "lost")]
    stale = json.loads(run("list", "deals", "--stale", "--root", str(REPO), "--format", "json", env=env).stdout)
    due = json.loads(run("list", "deals", "--due", "--root", str(REPO), "--format", "json", env=env).stdout)
    assert len(active) >= 20
    assert 2 <= len(stale) <= len(active) // 5, [d["id"] for d in stale]
    assert 2 <= len(due) <= len(active) // 5, [d["id"] for d in due]


def test_every_command_is_in_the_readme():
    from funnel.cli import main

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    names = []
    for name, command in main.commands.items():
        subcommands = getattr(command, "commands", None)
        names += [f"{name} {sub}" for sub in subcommands] if subcommands else [name]
    for name in names:
        assert re.search(rf"`funnel {re.escape(name)}\b", readme), name


def test_the_readme_set_up_commands_are_what_ci_runs():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)\n```", readme, re.S)
    assert blocks[:2] == ["pip install -e . && FUNNEL_TODAY=2026-11-27 funnel board", "pip install -e '.[test]' && pytest"]
    assert blocks[1] in (REPO / ".ci" / "run").read_text(encoding="utf-8")
