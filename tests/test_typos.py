"""Typos that used to fail silently (issue 15): a filter value nobody holds, a new owner, the team list, and the
owner a new deal gets when the command does not say."""

from __future__ import annotations

import json
import subprocess

from conftest import CONTACT, deal

DEALS = {
    "contacts/c-ivanov01.md": CONTACT,
    "deals/d-first001.md": deal("d-first001", "lead", "title: Первая\ncontact: c-ivanov01\nowner: ivanov\ncreated: 2026-03-14\n"),
    "deals/d-third001.md": deal("d-third001", "lead", "title: Третья\ncontact: c-ivanov01\nowner: ivanov\ncreated: 2026-03-14\n"),
    "deals/d-second01.md": deal("d-second01", "lead", "title: Вторая\ncontact: c-ivanov01\nowner: petrova\ncreated: 2026-03-14\n"),
}


def test_a_filter_value_nobody_holds_is_named_with_a_suggestion(workspace, run):
    root = workspace(DEALS)
    board = run("board", "--owner", "ivanovv", "--root", str(root))
    assert board.exit_code == 0
    assert "no deals of owner 'ivanovv'; did you mean 'ivanov'?" in board.stderr
    listed = run("list", "deals", "--where", "title=Перввая", "--root", str(root))
    assert "no deals with title 'Перввая'; did you mean 'Первая'?" in listed.stderr


def test_a_filter_that_matches_says_nothing_and_an_empty_match_of_a_known_value_says_nothing(workspace, run):
    root = workspace(DEALS)
    assert run("board", "--owner", "ivanov", "--root", str(root)).stderr == ""
    # a value some deal holds, combined with another filter that excludes it: not a typo
    quiet = run("list", "deals", "--owner", "ivanov", "--where", "title=Вторая", "--root", str(root))
    assert "did you mean" not in quiet.stderr and "of owner" not in quiet.stderr


def test_a_new_owner_gets_a_note_not_a_refusal(workspace, run):
    root = workspace(DEALS)
    result = run("set", "d-first001", "owner=ivanof", "--root", str(root))
    assert result.exit_code == 0
    assert "'ivanof' is new: no other deal has this owner; did you mean 'ivanov'?" in result.stderr
    assert "owner: ivanof\n" in (root / "deals/d-first001.md").read_text(encoding="utf-8")
    again = run("set", "d-first001", "title=Первая сделка", "--root", str(root))
    assert "is new" not in again.stderr  # only when the owner changes


def test_a_declared_team_makes_an_unknown_owner_an_error(workspace, run):
    schema = (workspace().parent / "ws" / "schema.yaml").read_text(encoding="utf-8")
    root = workspace(DEALS, schema=schema + "\nowners: [ivanov, petrova]\n")
    assert run("check", "--root", str(root)).exit_code == 0
    refused = run("set", "d-first001", "owner=ivanof", "--root", str(root))
    assert refused.exit_code == 1 and "'ivanof' is not one of the team (ivanov, petrova)" in refused.stderr
    (root / "deals/d-first001.md").write_text(DEALS["deals/d-first001.md"].replace("owner: ivanov", "owner: sidorov"),
                                              encoding="utf-8")
    check = json.loads(run("check", "--root", str(root), "--format", "json").stdout)
    assert [(p["code"], p["line"]) for p in check] == [("unknown-owner", 6)]


def test_the_team_list_is_validated(workspace, run):
    schema = (workspace().parent / "ws" / "schema.yaml").read_text(encoding="utf-8")
    root = workspace(DEALS, schema=schema + "\nowners: [ivanov, ivanov, '']\n")
    result = run("check", "--root", str(root))
    assert result.exit_code == 1
    assert "owner 'ivanov' is listed twice" in result.stdout and "must not be blank" in result.stdout


def test_deal_add_takes_its_owner_from_funnel_owner_else_git(workspace, run):
    root = workspace(DEALS)
    made = run("deal", "add", "--contact", "c-ivanov01", "--set", "title=Новая", "--root", str(root),
               env={"FUNNEL_OWNER": "petrova"})
    assert made.exit_code == 0, made.stderr
    assert "owner: petrova\n" in (root / f"deals/{made.stdout.strip()}.md").read_text(encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "config", "user.name", "ivanov"], check=True)
    made = run("deal", "add", "--contact", "c-ivanov01", "--set", "title=Ещё одна", "--root", str(root),
               env={"FUNNEL_OWNER": ""})
    assert made.exit_code == 0, made.stderr
    assert "owner: ivanov\n" in (root / f"deals/{made.stdout.strip()}.md").read_text(encoding="utf-8")
    given = run("deal", "add", "--contact", "c-ivanov01", "--set", "title=Третья", "--set", "owner=petrova",
                "--root", str(root), env={"FUNNEL_OWNER": "ivanov"})
    assert "owner: petrova\n" in (root / f"deals/{given.stdout.strip()}.md").read_text(encoding="utf-8")
