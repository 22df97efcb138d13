"""`--commit` on real repositories: the commit holds exactly the files written, its message reads as words and
trailers; anything that would make it wrong is refused before a byte is written."""

from __future__ import annotations

import hashlib
import json

import pytest

from conftest import CONTACT, full_deal
from gitrepo import commit_all, git, isolated_git, make_repo  # noqa: F401

DEAL = "deals/d-commit01.md"


def last_commit(root):
    subject = git(root, "log", "-1", "--format=%s").stdout.strip()
    files = git(root, "show", "--name-only", "--format=", "HEAD").stdout.split()
    trailers = dict(line.split(": ", 1) for line in
                    git(root, "log", "-1", "--format=%(trailers:only,unfold)").stdout.strip().splitlines())
    return subject, files, trailers


def commits(root) -> int:
    done = git(root, "rev-list", "--count", "HEAD", check=False)
    return int(done.stdout.strip()) if done.returncode == 0 else 0


@pytest.fixture
def repo(workspace):
    deal = full_deal("d-commit01", "approval", drop=("amount", "debt_check"))
    root = workspace({"contacts/c-ivanov01.md": CONTACT, DEAL: deal})
    return make_repo(root)


def test_every_command_commits_what_it_wrote_with_words_and_trailers(repo, run, tmp_path, monkeypatch):
    monkeypatch.setenv("FUNNEL_TODAY", "2026-04-01")
    root = str(repo)
    result = run("set", "c-ivanov01", "phone=+7 900 000-00-00", "email=new@example.ru", "--commit", "--root", root)
    assert result.exit_code == 0, result.stderr
    assert last_commit(repo) == ("contact c-ivanov01: phone, email", ["contacts/c-ivanov01.md"],
                                 {"Funnel-Record": "c-ivanov01"})
    assert "committed " in result.stderr and result.stdout == "c-ivanov01: phone, email\n"

    result = run("move", "d-commit01", "proposal", "--set", "amount=1250000", "--commit", "--root", root)
    assert result.exit_code == 0, result.stderr
    subject, files, trailers = last_commit(repo)
    assert subject == "deal d-commit01: Finance and legal check → Proposal in preparation"
    assert files == [DEAL] and trailers == {"Funnel-Record": "d-commit01", "Funnel-Stage": "proposal"}
    assert "Also set: amount." in git(repo, "log", "-1", "--format=%b").stdout

    assert run("set", "d-commit01", "next_action=позвонить", "--commit", "--root", root).exit_code == 0
    assert last_commit(repo)[0] == "deal d-commit01: next_action"
    assert last_commit(repo)[2]["Funnel-Stage"] == "proposal"

    result = run("lose", "d-commit01", "--reason", "finance_ban", "--comment", "Долг по прошлому договору",
                 "--commit", "--root", root)
    assert result.exit_code == 0, result.stderr
    assert last_commit(repo)[:2] == ("deal d-commit01 lost at proposal: finance_ban", [DEAL])
    assert last_commit(repo)[2]["Funnel-Stage"] == "lost"
    assert "Долг по прошлому договору" in git(repo, "log", "-1", "--format=%b").stdout

    result = run("contact", "add", "--set", "name=Петрова Анна", "--set", "email=anna@example.ru",
                 "--set", "source=referral", "--set", "equipment_preference=domestic",
                 "--set", "client_type=end_customer", "--commit", "--root", root)
    assert result.exit_code == 0, result.stderr
    contact_id = result.stdout.strip()
    assert last_commit(repo) == (f"contact {contact_id} added: Петрова Анна", [f"contacts/{contact_id}.md"],
                                 {"Funnel-Record": contact_id})

    result = run("deal", "add", "--contact", contact_id, "--set", "title=Котельная", "--set", "owner=petrova",
                 "--commit", "--root", root)
    assert result.exit_code == 0, result.stderr
    deal_id = result.stdout.strip()
    assert last_commit(repo) == (f"deal {deal_id} added: Котельная", [f"deals/{deal_id}.md"],
                                 {"Funnel-Record": deal_id, "Funnel-Stage": "lead"})

    scan = tmp_path / "akt.pdf"
    scan.write_bytes(b"%PDF-1.4 scan")
    result = run("attach", deal_id, str(scan), "--commit", "--root", root)
    assert result.exit_code == 0, result.stderr
    subject, files, _ = last_commit(repo)
    assert subject == f"deal {deal_id}: attached deals/{deal_id}/akt.pdf"
    assert sorted(files) == sorted([f"deals/{deal_id}.md", f"deals/{deal_id}/akt.pdf"])
    assert git(repo, "status", "--porcelain").stdout == ""  # everything written is committed


def test_win_commits_the_stage_change(workspace, run):
    scan = b"%PDF-1.4 signed acceptance"
    docs = f"acceptance_docs:\n  - {{path: deals/d-commit01/akt.pdf, sha256: {hashlib.sha256(scan).hexdigest()}}}\n"
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-commit01/akt.pdf": scan,
                      DEAL: full_deal("d-commit01", "postpayment", drop=("postpayment_paid_on",), extra=docs)})
    make_repo(root)
    result = run("win", "d-commit01", "--set", "postpayment_paid_on=2026-06-01", "--commit", "--root", str(root))
    assert result.exit_code == 0, result.stderr
    assert last_commit(root) == ("deal d-commit01: Final payment awaited → Won", [DEAL],
                                 {"Funnel-Record": "d-commit01", "Funnel-Stage": "won"})


def test_refused_with_other_changes_staged_writing_nothing(repo, run):
    (repo / "contacts/c-ivanov01.md").write_text(CONTACT.replace("source: website", "source: referral"),
                                                 encoding="utf-8")
    git(repo, "add", "contacts/c-ivanov01.md")
    before = (repo / DEAL).read_bytes()
    result = run("set", "d-commit01", "owner=petrov", "--commit", "--root", str(repo))
    assert result.exit_code == 1
    assert "other changes are already staged (contacts/c-ivanov01.md)" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert (repo / DEAL).read_bytes() == before and commits(repo) == 1


def test_refused_when_the_file_to_write_has_uncommitted_edits(repo, run):
    path = repo / DEAL
    path.write_text(path.read_text(encoding="utf-8") + "Заметка, ещё не закоммиченная.\n", encoding="utf-8")
    before = path.read_bytes()
    result = run("set", "d-commit", "owner=petrov", "--commit", "--root", str(repo))
    assert result.exit_code == 1 and f"{DEAL} has uncommitted edits" in result.stderr
    assert path.read_bytes() == before and commits(repo) == 1
    # an edit elsewhere does not stop it
    assert run("set", "c-ivanov01", "source=referral", "--commit", "--root", str(repo)).exit_code == 0
    assert last_commit(repo)[1] == ["contacts/c-ivanov01.md"]


def test_works_right_after_init_with_no_commits(tmp_path, run):
    root = tmp_path / "pipeline"
    assert run("init", str(root)).exit_code == 0
    git(root, "config", "user.name", "Анна")
    git(root, "config", "user.email", "anna@example.com")
    result = run("contact", "add", "--set", "name=Иванов Пётр", "--set", "phone=+7 912 345-67-89",
                 "--set", "source=website", "--set", "equipment_preference=domestic",
                 "--set", "client_type=end_customer", "--commit", "--root", str(root))
    assert result.exit_code == 0, result.stderr
    contact_id = result.stdout.strip()
    assert commits(root) == 1
    assert last_commit(root)[:2] == (f"contact {contact_id} added: Иванов Пётр", [f"contacts/{contact_id}.md"])


def test_a_missing_identity_is_one_line_and_writes_nothing(repo, run):
    git(repo, "config", "--unset", "user.name")
    git(repo, "config", "--unset", "user.email")
    git(repo, "config", "user.useConfigOnly", "true")  # never a name guessed from the host
    before = (repo / DEAL).read_bytes()
    result = run("set", "d-commit01", "owner=petrov", "--commit", "--root", str(repo))
    assert result.exit_code == 1 and "git does not know who you are" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert (repo / DEAL).read_bytes() == before


def test_outside_a_repository_it_is_refused(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    before = (root / "contacts/c-ivanov01.md").read_bytes()
    result = run("set", "c-ivanov01", "source=referral", "--commit", "--root", str(root))
    assert result.exit_code == 1 and "not inside a git repository" in result.stderr
    assert (root / "contacts/c-ivanov01.md").read_bytes() == before


def test_git_config_funnel_commit_makes_it_the_default_and_no_commit_overrides(repo, run):
    git(repo, "config", "funnel.commit", "true")
    assert run("set", "c-ivanov01", "source=referral", "--root", str(repo)).exit_code == 0
    assert commits(repo) == 2
    assert run("set", "c-ivanov01", "source=exhibition", "--no-commit", "--root", str(repo)).exit_code == 0
    assert commits(repo) == 2 and git(repo, "status", "--porcelain").stdout.strip() == "M contacts/c-ivanov01.md"


def test_the_hook_runs_on_the_commit_and_passes(repo, run):
    assert run("hooks", "install", "--root", str(repo)).exit_code == 0
    result = run("set", "d-commit01", "owner=petrov", "--commit", "--root", str(repo))
    assert result.exit_code == 0, result.stderr
    assert commits(repo) == 2 and last_commit(repo)[0] == "deal d-commit01: owner"


def test_json_output_stays_clean(repo, run):
    result = run("set", "d-commit01", "owner=petrov", "--commit", "--format", "json", "--root", str(repo))
    assert result.exit_code == 0 and json.loads(result.stdout)["owner"] == "petrov"
