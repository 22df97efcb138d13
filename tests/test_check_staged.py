"""`funnel check --staged` on real repositories: the index's content, judged as a whole, reported for what the
commit changes or causes."""

from __future__ import annotations

import json

import pytest

from conftest import CONTACT, deal, full_deal
from gitrepo import commit_all, git, isolated_git, make_repo  # noqa: F401

DEAL = "deals/d-staged01.md"
VALID = full_deal("d-staged01", "needs", drop=("amount",))


@pytest.fixture
def repo(workspace):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, DEAL: VALID})
    return make_repo(root)


def check_staged(run, root, *more):
    return run("check", "--staged", "--root", str(root), *more)


def test_nothing_staged_passes(repo, run):
    result = check_staged(run, repo)
    assert result.exit_code == 0 and "0 staged files checked" in result.stderr


def test_a_partly_staged_file_is_judged_by_its_staged_content(repo, run):
    path = repo / DEAL
    path.write_text(VALID.replace("stage: needs", "stage: nowhere"), encoding="utf-8")
    git(repo, "add", DEAL)
    path.write_text(VALID.replace("title: Насосная", "title: Станция"), encoding="utf-8")  # valid, unstaged
    result = check_staged(run, repo)
    assert result.exit_code == 1 and "unknown-stage" in result.stdout
    assert run("check", "--root", str(repo)).exit_code == 0  # the working file itself is valid

    git(repo, "add", DEAL)  # the valid version staged, an invalid edit left in the working file
    path.write_text(VALID.replace("stage: needs", "stage: nowhere"), encoding="utf-8")
    result = check_staged(run, repo)
    assert result.exit_code == 0, result.stdout
    assert "1 staged file checked: 0 errors" in result.stderr


def test_a_deleted_contact_still_referenced_fails(repo, run):
    git(repo, "rm", "-q", "contacts/c-ivanov01.md")
    result = check_staged(run, repo, "--format", "json")
    assert result.exit_code == 1
    problems = json.loads(result.stdout)
    assert [(p["path"], p["code"]) for p in problems] == [(DEAL, "dangling-reference")]


def test_old_problems_elsewhere_are_not_reported(repo, run):
    (repo / "deals/d-broken01.md").write_text(deal("d-broken01", "contract", "title: Старая\n"), encoding="utf-8")
    commit_all(repo, "an old invalid deal")
    assert run("check", "--root", str(repo)).exit_code == 1
    (repo / DEAL).write_text(VALID.replace("owner: ivanov", "owner: petrov"), encoding="utf-8")
    git(repo, "add", DEAL)
    result = check_staged(run, repo)
    assert result.exit_code == 0, result.stdout
    assert "d-broken01" not in result.stdout


def test_a_new_duplicate_id_is_reported_on_both_files(repo, run):
    (repo / "deals/d-staged02.md").write_text(VALID.replace("d-staged01", "d-staged02").replace(
        "id: d-staged02", "id: d-staged01"), encoding="utf-8")
    git(repo, "add", "deals/d-staged02.md")
    result = check_staged(run, repo, "--format", "json")
    assert result.exit_code == 1
    found = {(p["path"], p["code"]) for p in json.loads(result.stdout)}
    assert {(DEAL, "duplicate-id"), ("deals/d-staged02.md", "duplicate-id")} <= found


def test_a_new_deal_of_a_repeat_client_needs_the_debt_check(repo, run):
    (repo / DEAL).write_text(full_deal("d-staged01", "proposal", drop=("debt_check",)), encoding="utf-8")
    commit_all(repo, "first deal at proposal")
    later = full_deal("d-staged02", "proposal", drop=("debt_check",),
                      history="  - {stage: lead, at: 2026-04-01T10:00:00+03:00}\n"
                              "  - {stage: proposal, at: 2026-04-05T10:00:00+03:00}\n")
    (repo / "deals/d-staged02.md").write_text(later, encoding="utf-8")
    git(repo, "add", "deals/d-staged02.md")
    result = check_staged(run, repo)
    assert result.exit_code == 1 and "deals/d-staged02.md" in result.stdout and "d-staged01" in result.stdout


def test_right_after_init_everything_staged_is_judged(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, DEAL: VALID.replace("stage: needs", "stage: nowhere")})
    make_repo(root, commit=None)
    git(root, "add", "-A")
    result = check_staged(run, root)
    assert result.exit_code == 1 and "unknown-stage" in result.stdout
    assert "2 staged files checked" in result.stderr


def test_a_staged_schema_change_judges_every_record(repo, run):
    schema = (repo / "schema.yaml").read_text(encoding="utf-8")
    (repo / "schema.yaml").write_text(schema.replace("requires: [title, created]",
                                                     "requires: [title, created, amount]"), encoding="utf-8")
    git(repo, "add", "schema.yaml")
    result = check_staged(run, repo)
    assert result.exit_code == 1 and DEAL in result.stdout and "amount" in result.stdout


def test_outside_a_repository_it_is_one_line(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    result = check_staged(run, root)
    assert result.exit_code == 1 and "not inside a git repository" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_staged_and_paths_do_not_mix(repo, run):
    assert run("check", "--staged", DEAL, "--root", str(repo)).exit_code == 2


def test_imported_at_added_to_a_record_that_already_existed_fails(repo, run):
    # the exemption of `import --historical` cannot be hand-written onto a live deal
    path = repo / DEAL
    path.write_text(VALID.replace("history:", "imported_at: 2026-01-01T00:00:00+00:00\nhistory:"), encoding="utf-8")
    git(repo, "add", DEAL)
    result = check_staged(run, repo, "--format", "json")
    assert result.exit_code == 1
    assert [(p["path"], p["code"]) for p in json.loads(result.stdout)] == [(DEAL, "imported-at")]


def test_a_record_imported_with_historical_passes_staged(repo, run):
    rows = "title,contact,owner,stage\nСтарая сделка,c-ivanov01,ivanov,needs\n"
    assert run("import", "deals", "--historical", "--root", str(repo), input=rows).exit_code == 0
    git(repo, "add", "-A")
    result = check_staged(run, repo)
    assert result.exit_code == 0, result.stdout
