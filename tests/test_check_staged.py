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


RELATED_CONTACT = CONTACT.replace("c-ivanov01", "c-petrov01").replace("Иванов Пётр Сергеевич", "Петров Иван")


def _starting(day: str, stage: str) -> str:
    return f"  - {{stage: lead, at: 2026-{day}T10:00:00+03:00}}\n  - {{stage: {stage}, at: 2026-04-20T10:00:00+03:00}}\n"


@pytest.fixture
def neighbours(workspace):
    """A company's deals, several with problems of their own, committed: the records a staged change of that
    company's deals makes `check --staged` judge again (before and after the commit)."""
    root = workspace({
        "contacts/c-ivanov01.md": CONTACT,
        "contacts/c-petrov01.md": RELATED_CONTACT,
        "contacts/c-sidorov01.md": CONTACT.replace("c-ivanov01", "c-sidorov01").replace("Водоканал", "Теплосеть"),
        # the company's first deal, in debt: a deal that starts earlier makes it a repeat client
        "deals/d-first01.md": full_deal("d-first01", "proposal", history=_starting("03-10", "proposal")).replace(
            "debt_check: clear", "debt_check: debt"),
        # a repeat client already (d-first01 is prior), with a proposals warning: old problems, at their fields
        "deals/d-later01.md": full_deal("d-later01", "decision", drop=("debt_check", "proposals"),
                                        extra="proposals:\n  - {option: one, equipment: X, price: 1}\n",
                                        history=_starting("04-01", "decision")).replace(
                                            "contact: c-ivanov01", "contact: c-petrov01"),
        # a rule broken since long ago, pointed at its field
        "deals/d-old01.md": full_deal("d-old01", "needs", history=_starting("04-02", "needs")).replace(
            "prepayment_amount: 625000", "prepayment_amount: 9999999"),
        # names a contact the commit deletes
        "deals/d-sid01.md": full_deal("d-sid01", "needs").replace("contact: c-ivanov01", "contact: c-sidorov01"),
        # its working file differs from what the index holds (read from git, not from the cache)
        "deals/d-dirty01.md": full_deal("d-dirty01", "proposal", drop=("debt_check",),
                                        history=_starting("03-12", "proposal")),
    })
    return make_repo(root)


@pytest.mark.parametrize("at_once", [2000, 2])
def test_what_a_change_causes_in_its_neighbours_is_pointed_at_exactly(neighbours, run, monkeypatch, at_once):
    # the neighbours are judged a part at a time (2,000 at once): in parts of 2 here, the same lines
    monkeypatch.setattr("funnel.git.staged.NEIGHBOURS_AT_ONCE", at_once)
    repo = neighbours
    # the records are read through the cache as the working tree holds them
    assert run("check", "--root", str(repo)).exit_code == 1
    dirty = repo / "deals/d-dirty01.md"
    dirty.write_text(dirty.read_text(encoding="utf-8") + "Неготовая заметка\n", encoding="utf-8")
    (repo / "deals/d-early01.md").write_text(
        full_deal("d-early01", "lead", history="  - {stage: lead, at: 2026-03-01T10:00:00+03:00}\n"),
        encoding="utf-8")
    (repo / "deals/d-copy01.md").write_text(full_deal("d-copy01", "needs").replace("id: d-copy01", "id: d-old01"),
                                            encoding="utf-8")
    git(repo, "add", "deals/d-early01.md", "deals/d-copy01.md")
    git(repo, "rm", "-q", "contacts/c-sidorov01.md")
    first = check_staged(run, repo)
    assert first.stdout == STAGED_NEIGHBOURS, first.stdout
    assert first.exit_code == 1 and first.stderr == "8 staged files checked: 7 errors, 0 warnings\n", first.stderr
    again = check_staged(run, repo)  # with every unchanged record from the cache now
    assert (again.stdout, again.stderr, again.exit_code) == (first.stdout, first.stderr, 1)


# what today's check --staged prints for the commit above: every position is the file's own (no 1:1 of a record
# read without positions), the old problems of the neighbours (d-later01's proposals, d-old01's prepayment) left out
STAGED_NEIGHBOURS = """\
deals/d-copy01.md:2:1: error: id 'd-old01' differs from the file name 'd-copy01.md' [id-mismatch]
deals/d-copy01.md:2:1: error: id 'd-old01' is also used by deals/d-old01.md [duplicate-id]
deals/d-dirty01.md:3:1: error: debt_check (Debt check): must be clear (Clear) — repeat client: earlier deal d-early01 (gate of stage 'proposal') [gate]
deals/d-first01.md:14:1: error: debt_check (Debt check): must be clear (Clear) — repeat client: earlier deal d-early01 (gate of stage 'proposal') [gate]
deals/d-later01.md:3:1: error: debt_check (Debt check): must be clear (Clear) — repeat client: earlier deal d-early01 (gate of stage 'proposal') [gate]
deals/d-old01.md:2:1: error: id 'd-old01' is also used by deals/d-copy01.md [duplicate-id]
deals/d-sid01.md:5:10: error: contact: no contact with id 'c-sidorov01' [dangling-reference]
"""
