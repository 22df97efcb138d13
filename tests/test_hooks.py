"""`funnel hooks install` on real repositories: the hooks git runs, the drivers, the attributes, uninstall."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CONTACT, full_deal
from gitrepo import commit_all, git, isolated_git, make_repo  # noqa: F401

DEAL = "deals/d-hooked01.md"
VALID = full_deal("d-hooked01", "needs", drop=("amount",))


@pytest.fixture
def repo(workspace):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, DEAL: VALID})
    return make_repo(root)


def install(run, root, *more):
    result = run("hooks", "install", "--root", str(root), *more)
    assert result.exit_code == 0, result.stdout + result.stderr
    return result


def commit(root, *args):
    return git(root, "commit", "-q", "-m", "change", *args, check=False)


def test_the_hook_blocks_an_invalid_deal_and_lets_a_valid_one_through(repo, run):
    install(run, repo)
    (repo / DEAL).write_text(VALID.replace("stage: needs", "stage: contract"), encoding="utf-8")
    git(repo, "add", DEAL)
    done = commit(repo)
    assert done.returncode != 0 and f"{DEAL}:" in done.stdout + done.stderr
    assert "[gate]" in done.stdout + done.stderr
    (repo / DEAL).write_text(VALID.replace("owner: ivanov", "owner: petrov"), encoding="utf-8")
    git(repo, "add", DEAL)
    done = commit(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert git(repo, "log", "-1", "--format=%s").stdout.strip() == "change"


def test_the_hook_judges_the_index_git_commit_a_makes(repo, run):
    install(run, repo)
    (repo / DEAL).write_text(VALID.replace("stage: needs", "stage: nowhere"), encoding="utf-8")
    done = commit(repo, "-a")  # nothing staged before: git hands the hook a temporary index
    assert done.returncode != 0 and "unknown-stage" in done.stdout + done.stderr


def test_install_is_idempotent_and_honours_core_hooks_path(repo, run):
    git(repo, "config", "core.hooksPath", "team-hooks")
    first = install(run, repo)
    assert (repo / "team-hooks/pre-commit").is_file() and (repo / "team-hooks/pre-merge-commit").is_file()
    assert not (repo / ".git/hooks/pre-commit").exists()
    again = install(run, repo)
    assert "nothing to change" in again.stdout and first.stdout != again.stdout
    config = git(repo, "config", "--local", "--list").stdout
    assert config.count("merge.funnel.driver=") == 1
    attributes = (repo / ".git/info/attributes").read_text()
    assert attributes.count("deals/*.md") == 1 and "merge=funnel" in attributes


def own_hook(repo: Path, script: str) -> Path:
    """A pre-commit hook the clone already had before funnel's."""
    hook = repo / ".git/hooks/pre-commit"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text(script)
    hook.chmod(0o755)
    return hook


def test_a_hook_already_there_is_kept_run_first_and_put_back(repo, run):
    hook = own_hook(repo, "#!/bin/sh\necho own hook ran >&2\nexit 0\n")
    install(run, repo)
    (repo / DEAL).write_text(VALID.replace("stage: needs", "stage: nowhere"), encoding="utf-8")
    git(repo, "add", DEAL)
    done = commit(repo)
    assert done.returncode != 0 and "own hook ran" in done.stderr and "unknown-stage" in done.stdout + done.stderr
    hook_text = hook.read_text()
    install(run, repo, "--uninstall")
    assert hook.read_text() == "#!/bin/sh\necho own hook ran >&2\nexit 0\n" and hook_text != hook.read_text()
    assert not (repo / ".git/hooks/pre-merge-commit").exists()
    assert "funnel" not in git(repo, "config", "--local", "--list").stdout
    assert "funnel" not in (repo / ".git/info/attributes").read_text()
    done = commit(repo)
    assert done.returncode == 0, done.stderr  # nothing of funnel's left to refuse it


def test_a_refusing_chained_hook_stands(repo, run):
    own_hook(repo, "#!/bin/sh\nexit 3\n")
    install(run, repo)
    (repo / DEAL).write_text(VALID.replace("owner: ivanov", "owner: petrov"), encoding="utf-8")
    git(repo, "add", DEAL)
    assert commit(repo).returncode != 0


def test_shared_writes_the_committed_gitattributes(repo, run):
    install(run, repo, "--shared")
    shared = (repo / ".gitattributes").read_text()
    assert "contacts/*.md" in shared and "merge=funnel" in shared
    assert "merge=funnel" not in (repo / ".git/info/attributes").read_text() if \
        (repo / ".git/info/attributes").exists() else True
    attribute = git(repo, "check-attr", "merge", "--", DEAL).stdout
    assert attribute.strip().endswith("merge: funnel")
    install(run, repo, "--uninstall")
    assert not (repo / ".gitattributes").exists()


def test_a_workspace_inside_a_repository(tmp_path, workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, DEAL: VALID})
    make_repo(tmp_path)  # the repository is the parent: the workspace is `ws/`
    install(run, root)
    assert "ws/deals/*.md" in (tmp_path / ".git/info/attributes").read_text()
    (root / DEAL).write_text(VALID.replace("stage: needs", "stage: nowhere"), encoding="utf-8")
    git(tmp_path, "add", "-A")
    done = commit(tmp_path)
    assert done.returncode != 0 and "unknown-stage" in done.stdout + done.stderr


def test_the_installed_merge_driver_merges_adjacent_fields(repo, run):
    install(run, repo)
    git(repo, "checkout", "-q", "-b", "a")
    (repo / DEAL).write_text(VALID.replace("owner: ivanov", "owner: petrov"), encoding="utf-8")
    commit_all(repo, "a")
    git(repo, "checkout", "-q", "-b", "b", "main")
    (repo / DEAL).write_text(VALID.replace("created: 2026-03-14", "created: 2026-03-15"), encoding="utf-8")
    commit_all(repo, "b")
    done = git(repo, "merge", "--no-edit", "a", check=False)  # the pre-merge-commit hook runs too
    assert done.returncode == 0, done.stdout + done.stderr
    text = (repo / DEAL).read_text(encoding="utf-8")
    assert "owner: petrov" in text and "created: 2026-03-15" in text


def test_outside_a_repository_install_refuses_in_one_line(workspace, run):
    root = workspace({})
    result = run("hooks", "install", "--root", str(root))
    assert result.exit_code == 1 and "not inside a git repository" in result.stderr


def test_right_after_init_with_the_hooks_installed_commit_works_and_a_refused_commit_stages_nothing(tmp_path, run):
    """A new user's first steps: init, hooks install, then `contact add --commit` before schema.yaml itself is
    committed. The hook judges by the working tree's schema (and says so); a commit the hook refuses leaves the
    written file unstaged, so the next --commit is not blocked by "other changes staged"."""
    root = tmp_path / "pipeline"
    assert run("init", str(root)).exit_code == 0
    git(root, "config", "user.name", "Анна Петрова")
    git(root, "config", "user.email", "anna@example.ru")
    install(run, root)
    added = run("contact", "add", "--set", "name=Иванов Пётр", "--set", "phone=+7 912 345-67-89",
                "--set", "source=website", "--set", "equipment_preference=domestic",
                "--set", "client_type=end_customer", "--commit", "--root", str(root))
    assert added.exit_code == 0, added.stderr
    assert git(root, "log", "-1", "--format=%s").stdout.startswith("contact c-")
    assert git(root, "diff", "--cached", "--name-only").stdout == ""
    # a commit the hook refuses while the write itself passes: the committed schema lists the team, the
    # working tree's (not staged) does not
    schema = (root / "schema.yaml").read_text(encoding="utf-8")
    (root / "schema.yaml").write_text(schema + "\nowners: [petrova]\n", encoding="utf-8")
    git(root, "add", "schema.yaml", ".gitignore")
    assert commit(root).returncode == 0
    (root / "schema.yaml").write_text(schema, encoding="utf-8")
    refused = run("deal", "add", "--contact", added.stdout.strip(), "--set", "title=Котельная",
                  "--set", "owner=ivanov", "--commit", "--root", str(root))
    assert refused.exit_code == 1 and "not committed" in refused.stderr and "unknown-owner" in refused.stderr
    assert git(root, "diff", "--cached", "--name-only").stdout == ""  # nothing left staged
    assert len(list((root / "deals").glob("d-*.md"))) == 1  # written, in the working tree
