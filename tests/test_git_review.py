"""history, diff, textconv and --at on real git repositories made in temp directories (the real git program)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CONTACT, deal, full_deal, write_files

LEAD = deal("d-pump0001", "lead", "title: Насосная станция\ncontact: c-ivanov01\nowner: ivanov\ncreated: 2026-03-14\n"
                                  "amount: 900000\n")
NEEDS_FIELDS = ("title: Насосная станция\ncontact: c-ivanov01\nowner: ivanov\ncreated: 2026-03-14\namount: 900000\n"
                "needs: Три насоса.\ncategories: [small]\n")
NEEDS = deal("d-pump0001", "needs", NEEDS_FIELDS, history=(
    "  - {stage: lead, at: 2026-03-14T10:02:00+03:00}\n  - {stage: needs, at: 2026-03-15T09:00:00+03:00}\n"))
APPROVAL = deal("d-pump0001", "approval", NEEDS_FIELDS.replace("900000", "990000"), history=(
    "  - {stage: lead, at: 2026-03-14T10:02:00+03:00}\n  - {stage: needs, at: 2026-03-15T09:00:00+03:00}\n"
    "  - {stage: approval, at: 2026-03-16T12:30:00+03:00}\n"))


def git(root: Path, *args: str, author: str = "Тест Тестов", when: str = "2026-03-20T12:00:00+03:00") -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": "a@example.com",
           "GIT_COMMITTER_NAME": author, "GIT_COMMITTER_EMAIL": "a@example.com",
           "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when, "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, env=env, check=True)
    return done.stdout.decode()


def commit(root: Path, files: dict, message: str, author: str = "Тест Тестов",
           when: str = "2026-03-20T12:00:00+03:00") -> None:
    write_files(root, files)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message, author=author, when=when)


@pytest.fixture
def repo(workspace):
    """A workspace in a fresh repository whose first commit holds the schema and one contact."""
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    git(root, "init", "-q", "-b", "main")
    commit(root, {}, "Start the pipeline", when="2026-03-13T09:00:00+03:00")
    return root


@pytest.fixture
def three_authors(repo):
    """d-pump0001 added by Анна, moved to needs by Борис, re-priced and moved to approval by Вера."""
    commit(repo, {"deals/d-pump0001.md": LEAD}, "New deal", "Анна Петрова", "2026-03-14T10:05:00+03:00")
    commit(repo, {"deals/d-pump0001.md": NEEDS}, "Needs identified", "Борис Сидоров", "2026-03-15T09:05:00+03:00")
    commit(repo, {"deals/d-pump0001.md": APPROVAL}, "To the finance check", "Вера Козлова",
           "2026-03-16T12:35:00+03:00")
    return repo


def json_of(result) -> dict:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


# -- history --------------------------------------------------------------------------------------------------

def test_history_shows_three_authors_with_their_changed_fields(three_authors, run):
    data = json_of(run("history", "d-pump", "--root", str(three_authors), "--format", "json"))
    assert data["id"] == "d-pump0001" and data["kind"] == "deal"
    commits = [entry for entry in data["entries"] if entry["source"] == "commit"]
    assert [entry["author"] for entry in commits] == ["Анна Петрова", "Борис Сидоров", "Вера Козлова"]
    assert [entry["subject"] for entry in commits] == ["New deal", "Needs identified", "To the finance check"]
    second = {change["field"]: change for change in commits[1]["changes"]}
    assert set(second) == {"stage", "needs", "categories", "history"}
    assert (second["stage"]["old"], second["stage"]["new"]) == ("lead", "needs")
    assert second["stage"]["label"] == "Stage"
    assert second["categories"] == {"field": "categories", "label": "Equipment categories", "old": None,
                                    "new": ["small"]}
    third = {change["field"]: change for change in commits[2]["changes"]}
    assert set(third) == {"stage", "amount", "history"}
    assert (third["amount"]["old"], third["amount"]["new"]) == ("900000", "990000")
    # newest last: history entries and commits merged by time
    sources = [(entry["source"], entry.get("stage") or entry.get("subject")) for entry in data["entries"]]
    assert sources == [("history", "lead"), ("commit", "New deal"), ("history", "needs"),
                       ("commit", "Needs identified"), ("history", "approval"), ("commit", "To the finance check")]
    assert set(data["entries"][0]) == {"source", "at", "stage", "changes"}
    assert set(commits[0]) == {"source", "at", "commit", "author", "subject", "changes"}

    text = run("history", "d-pump0001", "--root", str(three_authors)).stdout
    assert "Amount: 900 000 → 990 000" in text
    assert "Stage: Needs identified (needs) → Finance and legal check (approval)" in text
    assert "Вера Козлова: To the finance check" in text
    assert "Equipment categories: — → Small" in text


def test_history_shows_uncommitted_changes_last(three_authors, run):
    write_files(three_authors, {"deals/d-pump0001.md": APPROVAL.replace("990000", "1000000")})
    data = json_of(run("history", "d-pump", "--root", str(three_authors), "--format", "json"))
    last = data["entries"][-1]
    assert last["source"] == "working-tree"
    assert last["changes"] == [{"field": "amount", "label": "Amount", "old": "990000", "new": "1000000"}]


def test_history_follows_a_renamed_record(three_authors, run):
    renamed = APPROVAL.replace("id: d-pump0001", "id: d-pump0002")
    (three_authors / "deals/d-pump0001.md").unlink()
    commit(three_authors, {"deals/d-pump0002.md": renamed}, "Renumber the deal", "Анна Петрова",
           "2026-03-17T10:00:00+03:00")
    data = json_of(run("history", "d-pump0002", "--root", str(three_authors), "--format", "json"))
    commits = [entry for entry in data["entries"] if entry["source"] == "commit"]
    assert [entry["subject"] for entry in commits] == ["New deal", "Needs identified", "To the finance check",
                                                       "Renumber the deal"]
    assert commits[-1]["changes"] == [{"field": "id", "label": "Id", "old": "d-pump0001", "new": "d-pump0002"}]
    assert "renamed from deals/d-pump0001.md" in commits[-1]["notes"][0]


def test_history_outside_a_repository_shows_the_history_entries_and_says_why(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-pump0001.md": NEEDS})
    result = run("history", "d-pump0001", "--root", str(root))
    assert result.exit_code == 0
    assert "not inside a git repository" in result.stdout
    data = json_of(run("history", "d-pump0001", "--root", str(root), "--format", "json"))
    assert [entry["source"] for entry in data["entries"]] == ["history", "history"]
    assert [entry["stage"] for entry in data["entries"]] == ["lead", "needs"]


def test_history_of_a_record_never_committed(repo, run):
    write_files(repo, {"deals/d-pump0001.md": LEAD})
    data = json_of(run("history", "d-pump0001", "--root", str(repo), "--format", "json"))
    assert [entry["source"] for entry in data["entries"]] == ["history", "working-tree"]
    assert data["entries"][-1]["notes"] == ["not committed yet"]


def test_history_before_the_first_commit(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-pump0001.md": LEAD})
    git(root, "init", "-q", "-b", "main")
    result = run("history", "d-pump0001", "--root", str(root), "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json_of(result)
    assert [entry["source"] for entry in data["entries"]] == ["history", "working-tree"]
    assert data["entries"][-1]["notes"] == ["not committed yet"]
    gone = run("history", "d-gone0001", "--root", str(root))
    assert gone.exit_code == 1 and "Traceback" not in gone.output and "git log" not in gone.stderr


# -- diff -----------------------------------------------------------------------------------------------------

def test_diff_of_each_commit_shows_exactly_its_change(three_authors, run):
    root = str(three_authors)
    first = json_of(run("diff", "HEAD~3..HEAD~2", "--root", root, "--format", "json"))
    assert first["summary"] == {"moved": 0, "won": 0, "lost": 0, "new": 1, "removed": 0, "edited": 0,
                                "open_amount_change": "900000"}
    assert [(record["id"], record["change"]) for record in first["records"]] == [("d-pump0001", "added")]

    second = json_of(run("diff", "HEAD~2..HEAD~1", "--root", root, "--format", "json"))
    assert second["from"] == "HEAD~2" and second["to"] == "HEAD~1"
    assert second["summary"] == {"moved": 1, "won": 0, "lost": 0, "new": 0, "removed": 0, "edited": 0,
                                 "open_amount_change": "0"}
    assert second["records"] == [{
        "id": "d-pump0001", "kind": "deal", "change": "moved", "from_stage": "lead", "to_stage": "needs",
        "fields": [
            {"field": "stage", "label": "Stage", "old": "lead", "new": "needs"},
            {"field": "needs", "label": "Needs", "old": None, "new": "Три насоса."},
            {"field": "categories", "label": "Equipment categories", "old": None, "new": ["small"]},
            {"field": "history", "label": "History",
             "old": [{"stage": "lead", "at": "2026-03-14T10:02:00+03:00"}],
             "new": [{"stage": "lead", "at": "2026-03-14T10:02:00+03:00"},
                     {"stage": "needs", "at": "2026-03-15T09:00:00+03:00"}]},
        ]}]
    assert "schema" not in second

    third = run("diff", "HEAD~1..HEAD", "--root", root)
    assert third.exit_code == 0
    assert third.stdout.splitlines()[0] == "1 moved · open pipeline +90 000"
    assert "Needs identified (needs) → Finance and legal check (approval)" in third.stdout
    assert "    Amount: 900 000 → 990 000" in third.stdout
    assert run("diff", "HEAD~1..HEAD", "--root", root, "--stat").stdout == "1 moved · open pipeline +90 000\n"


def test_diff_summary_counts_moved_won_lost_new_edited(repo, run):
    commit(repo, {"deals/d-won00001.md": full_deal("d-won00001", "postpayment"),
                  "deals/d-lost0001.md": full_deal("d-lost0001", "proposal"),
                  "deals/d-move0001.md": full_deal("d-move0001", "proposal"),
                  "contacts/c-petrov01.md": CONTACT.replace("c-ivanov01", "c-petrov01")}, "Three deals")
    won = full_deal("d-won00001", "won")
    lost = full_deal("d-lost0001", "lost", extra="loss_reason: price\nloss_comment: Дорого.\nlost_at: proposal\n")
    moved = full_deal("d-move0001", "decision")
    commit(repo, {"deals/d-won00001.md": won, "deals/d-lost0001.md": lost, "deals/d-move0001.md": moved,
                  "deals/d-new00001.md": deal("d-new00001", "lead", "title: Котельная\ncontact: c-ivanov01\n"
                                                                   "owner: ivanov\ncreated: 2026-03-14\n"),
                  "contacts/c-petrov01.md": CONTACT.replace("c-ivanov01", "c-petrov01").replace("source: website",
                                                                                                 "source: referral")},
           "A busy day")
    result = run("diff", "HEAD~1..HEAD", "--root", str(repo))
    lines = result.stdout.splitlines()
    assert lines[0] == "1 moved · 1 won (1 250 000) · 1 lost: price · 1 new · 1 edited · open pipeline −2 500 000"
    assert "    Stage: — → New request (lead)" in lines and "    Lost at stage: — → Proposal in preparation (proposal)" in lines
    assert "    reason: Price did not suit (price)" in lines and "    comment: Дорого." in lines
    data = json_of(run("diff", "HEAD~1..HEAD", "--root", str(repo), "--format", "json"))
    assert [(record["id"], record["change"]) for record in data["records"]] == [
        ("d-move0001", "moved"), ("d-won00001", "won"), ("d-lost0001", "lost"), ("d-new00001", "added"),
        ("c-petrov01", "edited")]
    assert data["records"][2]["from_stage"] == "proposal" and data["records"][2]["to_stage"] == "lost"
    assert data["records"][4]["fields"] == [{"field": "source", "label": "Lead source", "old": "website",
                                             "new": "referral"}]


def test_default_diff_shows_an_untracked_new_deal_and_uncommitted_edits(three_authors, run):
    write_files(three_authors, {"deals/d-new00001.md": LEAD.replace("d-pump0001", "d-new00001"),
                                "deals/d-pump0001.md": APPROVAL.replace("Три насоса.", "Четыре насоса.")})
    data = json_of(run("diff", "--root", str(three_authors), "--format", "json"))
    assert data["from"] == "HEAD" and data["to"] == "working tree"
    assert [(record["id"], record["change"]) for record in data["records"]] == [("d-new00001", "added"),
                                                                              ("d-pump0001", "edited")]
    assert data["summary"]["new"] == 1 and data["summary"]["edited"] == 1
    assert data["records"][1]["fields"] == [{"field": "needs", "label": "Needs", "old": "Три насоса.",
                                             "new": "Четыре насоса."}]
    # a single revision: that revision against the working tree
    since = json_of(run("diff", "HEAD~1", "--root", str(three_authors), "--format", "json"))
    assert since["from"] == "HEAD~1" and since["summary"]["moved"] == 1 and since["summary"]["new"] == 1


def test_diff_three_dots_starts_where_the_branch_forked(three_authors, run):
    git(three_authors, "checkout", "-q", "-b", "side", "HEAD~1")
    commit(three_authors, {"deals/d-side0001.md": LEAD.replace("d-pump0001", "d-side0001")}, "Side deal")
    git(three_authors, "checkout", "-q", "main")
    data = json_of(run("diff", "main...side", "--root", str(three_authors), "--format", "json"))
    assert [(record["id"], record["change"]) for record in data["records"]] == [("d-side0001", "added")]
    two_dots = json_of(run("diff", "main..side", "--root", str(three_authors), "--format", "json"))
    assert {(record["id"], record["change"]) for record in two_dots["records"]} == {
        ("d-side0001", "added"), ("d-pump0001", "moved")}


def test_diff_describes_a_schema_change(three_authors, run):
    schema = (three_authors / "schema.yaml").read_text(encoding="utf-8")
    changed = (schema.replace("label: New request", "label: Fresh request")
               .replace("  other: Other\n\ncontacts:", "  other: Other\n  timing: Bad timing\n\ncontacts:")
               .replace("    notes: {type: text, label: Notes}\n", "")
               .replace("      - {field: legal_check, equals: passed}\n", ""))
    assert changed.count("\n") == schema.count("\n") - 1
    commit(three_authors, {"schema.yaml": changed}, "Rework the schema")
    data = json_of(run("diff", "HEAD~1..HEAD", "--root", str(three_authors), "--format", "json"))
    assert data["schema"] == {
        "stages": {"added": [], "removed": [], "changed": ["lead"]},
        "fields": {"added": [], "removed": ["contacts.notes"], "changed": []},
        "gates": {"added": [], "removed": [], "changed": ["proposal"]},
        "loss_reasons": {"added": ["timing"], "removed": [], "changed": []},
    }
    text = run("diff", "HEAD~1..HEAD", "--root", str(three_authors)).stdout
    assert "schema.yaml changed:" in text
    assert "    loss reasons added: timing" in text and "    gates changed: proposal" in text
    # labels come from the newer side's schema
    assert "Fresh request (lead)" in run("diff", "HEAD~3..HEAD", "--root", str(three_authors)).stdout


def test_diff_names_a_file_that_does_not_parse_on_one_side(three_authors, run):
    write_files(three_authors, {"deals/d-pump0001.md": "---\nid: d-pump0001\nstage: [unclosed\n---\n"})
    result = run("diff", "--root", str(three_authors))
    assert result.exit_code == 0
    assert "deals/d-pump0001.md (working tree): cannot be read:" in result.stdout
    data = json_of(run("diff", "--root", str(three_authors), "--format", "json"))
    assert data["problems"][0]["path"] == "deals/d-pump0001.md" and data["problems"][0]["side"] == "working tree"


def test_a_revision_never_becomes_a_git_option(three_authors, run, tmp_path):
    target = tmp_path / "written"
    root = str(three_authors)
    for args in (("diff", "--root", root, "--", f"--output={target}"),
                 ("diff", "--root", root, "--", f"--output={target}..HEAD"),
                 ("diff", "--root", root, "--", f"HEAD...--output={target}"),
                 ("board", "--root", root, f"--at=--output={target}")):
        result = run(*args)
        assert result.exit_code == 1 and "is not a commit of this repository" in result.stderr
    assert not target.exists()


def test_diff_before_the_first_commit_shows_everything_as_new(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-pump0001.md": LEAD})
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "contacts")  # staged or not, nothing is committed yet
    data = json_of(run("diff", "--root", str(root), "--format", "json"))
    assert data["from"] == "no commits yet" and data["to"] == "working tree"
    assert sorted((record["id"], record["change"]) for record in data["records"]) == [
        ("c-ivanov01", "added"), ("d-pump0001", "added")]
    assert data["summary"]["open_amount_change"] == "900000" and "problems" not in data
    named = run("diff", "HEAD", "--root", str(root))
    assert named.exit_code == 1 and named.stderr == "Error: 'HEAD' is not a commit of this repository\n"


def test_diff_outside_a_repository_is_one_clear_line(workspace, run):
    result = run("diff", "--root", str(workspace({})))
    assert result.exit_code == 1 and "not inside a git repository" in result.stderr


# -- --at -----------------------------------------------------------------------------------------------------

def tree_state(directory: Path) -> dict:
    return {str(path): (path.read_bytes() if path.is_file() else None, path.stat().st_mtime_ns)
            for path in sorted(directory.rglob("*"))}


def test_board_at_shows_an_old_commit_and_touches_nothing(three_authors, run):
    from funnel.store.owndir import own_directory

    root = three_authors
    write_files(root, {"deals/d-pump0001.md": APPROVAL.replace("990000", "5000000"),
                       "deals/d-new00001.md": LEAD.replace("d-pump0001", "d-new00001")})
    env = {"FUNNEL_TODAY": "2026-03-20"}
    assert run("board", "--root", str(root), env=env).exit_code == 0  # the working tree's cache exists
    before_tree = {path: state for path, state in tree_state(root).items() if "/.git/" not in path}
    before_cache = tree_state(own_directory(root))
    before_index = (root / ".git/index").read_bytes()

    data = json_of(run("board", "--at", "HEAD~2", "--root", str(root), "--format", "json", env=env))
    columns = {column["stage"]: column for column in data["columns"]}
    assert [deal["id"] for deal in columns["lead"]["deals"]] == ["d-pump0001"]
    assert columns["lead"]["amount"] == "900000"
    assert all(column["count"] == 0 for stage, column in columns.items() if stage != "lead")

    assert {path: state for path, state in tree_state(root).items() if "/.git/" not in path} == before_tree
    assert tree_state(own_directory(root)) == before_cache
    assert (root / ".git/index").read_bytes() == before_index

    now = json_of(run("board", "--root", str(root), "--format", "json", env=env))
    assert {column["stage"]: column["amount"] for column in now["columns"]}["approval"] == "5000000"


def test_at_a_date_and_today_is_the_commits_date(three_authors, run):
    root = str(three_authors)
    data = json_of(run("list", "deals", "--at", "2026-03-15", "--root", root, "--format", "json"))
    assert [(row["id"], row["stage"]) for row in data] == [("d-pump0001", "needs")]
    result = run("list", "deals", "--at", "2026-03-13", "--root", root)
    assert result.exit_code == 0 and "no deals" in result.stderr
    assert run("board", "--at", "2026-03-12", "--root", root).exit_code == 1
    # today: the commit's day (2026-03-15), so the deal has been in needs 0 days
    rows = run("list", "deals", "--at", "HEAD~1", "--fields", "id,days_in_stage", "--root", root,
               "--format", "csv", env={"FUNNEL_TODAY": ""}).stdout
    assert rows.splitlines()[1] == "d-pump0001,0"
    rows = run("list", "deals", "--at", "HEAD~1", "--fields", "id,days_in_stage", "--root", root,
               "--format", "csv", env={"FUNNEL_TODAY": "2026-03-25"}).stdout
    assert rows.splitlines()[1] == "d-pump0001,10"


def test_show_and_report_at_a_revision(three_authors, run):
    root = three_authors
    commit(root, {"deals/d-pump0001.md": APPROVAL + "Заметка из коммита.\n"}, "Notes")
    write_files(root, {"deals/d-pump0001.md": APPROVAL + "Заметка в рабочем дереве.\n"})
    card = run("show", "d-pump", "--at", "HEAD~3", "--root", str(root), env={"FUNNEL_TODAY": "2026-03-20"}).stdout
    assert "New request" in card and "900 000" in card and "Заметка" not in card
    card = run("show", "d-pump", "--at", "HEAD", "--root", str(root)).stdout
    assert "Заметка из коммита." in card and "рабочем" not in card
    report = json_of(run("report", "funnel", "--at", "HEAD~2", "--root", str(root), "--format", "json"))
    reached = {stage["stage"]: stage["reached"] for stage in report["stages"]}
    assert reached["needs"] == 1 and reached["approval"] == 0


def test_at_skips_links_in_the_commit(three_authors, run):
    (three_authors / "deals/d-link0001.md").symlink_to("/etc/passwd")
    commit(three_authors, {}, "A link")
    data = json_of(run("list", "deals", "--at", "HEAD", "--root", str(three_authors), "--format", "json"))
    assert [row["id"] for row in data] == ["d-pump0001"]


# -- textconv -------------------------------------------------------------------------------------------------

def test_textconv_prints_stable_label_lines(three_authors, run, tmp_path):
    copy = tmp_path / "XXXX_d-pump0001.md"  # git's temporary copy lies outside the workspace
    copy.write_text(APPROVAL + "Заметки.\n", encoding="utf-8")
    result = run("textconv", str(copy), "--root", str(three_authors))
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "Id: d-pump0001", "Stage: Finance and legal check (approval)", "Title: Насосная станция",
        "Contact: c-ivanov01", "Owner: ivanov", "Created: 2026-03-14", "Needs: Три насоса.",
        "Equipment categories:", "  - Small", "Amount: 990 000", "History:",
        "  - 2026-03-14 10:02+03:00  New request (lead)", "  - 2026-03-15 09:00+03:00  Needs identified (needs)",
        "  - 2026-03-16 12:30+03:00  Finance and legal check (approval)", "", "Заметки."]
    other = tmp_path / "notes.txt"
    other.write_bytes(b"not a record\x00\xff")
    assert run("textconv", str(other), "--root", str(three_authors)).stdout_bytes == b"not a record\x00\xff"


def test_textconv_shows_bidi_overrides_and_escapes_escaped(three_authors, run, tmp_path):
    """git shows textconv's lines on a terminal: the one escaper of every text view (output.terminal_safe)
    applies, bidi overrides included, not a narrower copy of it."""
    copy = tmp_path / "XXXX_d-pump0001.md"
    copy.write_text(APPROVAL.replace("title: Насосная станция", "title: \"Насос\\u202eная \\e[2J\""),
                    encoding="utf-8")
    lines = run("textconv", str(copy), "--root", str(three_authors)).stdout.splitlines()
    assert "Title: Насос\\u202eная \\x1b[2J" in lines


def test_git_diff_reads_records_through_textconv(three_authors):
    root = three_authors
    (root / ".gitattributes").write_text("deals/*.md diff=funnel\n", encoding="utf-8")
    git(root, "config", "diff.funnel.textconv", f"{sys.executable} -m funnel textconv")
    shown = git(root, "log", "-p", "-1", "--format=", "--", "deals/d-pump0001.md")
    assert "-Amount: 900 000\n+Amount: 990 000\n" in shown
    assert "+  - 2026-03-16 12:30+03:00  Finance and legal check (approval)" in shown


def test_a_workspace_in_a_folder_of_the_repository(tmp_path, run):
    top = tmp_path / "repo"
    root = top / "sales [eu]"  # a folder name with pathspec characters
    (root / "deals").mkdir(parents=True)
    (root / "contacts").mkdir()
    (root / "schema.yaml").write_bytes((Path(__file__).resolve().parent.parent / "schema.yaml").read_bytes())
    write_files(top, {"deals/d-other001.md": "not part of the workspace\n"})
    git(top, "init", "-q", "-b", "main")
    commit(root, {"contacts/c-ivanov01.md": CONTACT, "deals/d-pump0001.md": LEAD}, "Start")
    commit(root, {"deals/d-pump0001.md": NEEDS}, "Needs")
    data = json_of(run("diff", "HEAD~1..HEAD", "--root", str(root), "--format", "json"))
    assert [(record["id"], record["change"]) for record in data["records"]] == [("d-pump0001", "moved")]
    history = json_of(run("history", "d-pump0001", "--root", str(root), "--format", "json"))
    assert [entry["subject"] for entry in history["entries"] if entry["source"] == "commit"] == ["Start", "Needs"]
    listed = json_of(run("list", "deals", "--at", "HEAD~1", "--root", str(root), "--format", "json"))
    assert [(row["id"], row["stage"]) for row in listed] == [("d-pump0001", "lead")]


def test_a_clone_configured_for_people_still_reads_plainly(three_authors, run):
    for name, value in (("color.ui", "always"), ("color.diff", "always"), ("log.showSignature", "true"),
                        ("diff.relative", "true"), ("diff.noprefix", "true"), ("diff.mnemonicPrefix", "true")):
        git(three_authors, "config", name, value)
    write_files(three_authors, {"deals/d-new00001.md": LEAD.replace("d-pump0001", "d-new00001")})
    data = json_of(run("diff", "HEAD~2", "--root", str(three_authors), "--format", "json"))
    assert [(record["id"], record["change"]) for record in data["records"]] == [("d-pump0001", "moved"),
                                                                              ("d-new00001", "added")]
    history = json_of(run("history", "d-pump0001", "--root", str(three_authors), "--format", "json"))
    assert [entry["author"] for entry in history["entries"] if entry["source"] == "commit"] == [
        "Анна Петрова", "Борис Сидоров", "Вера Козлова"]


def test_history_of_a_removed_record(three_authors, run):
    (three_authors / "deals/d-pump0001.md").unlink()
    data = json_of(run("history", "d-pump0001", "--root", str(three_authors), "--format", "json"))
    assert data["entries"][-1] == {"source": "working-tree", "at": None, "changes": [],
                                   "notes": ["file removed (not committed yet)"]}
    git(three_authors, "commit", "-q", "-am", "Remove the deal")
    data = json_of(run("history", "d-pump0001", "--root", str(three_authors), "--format", "json"))
    last = data["entries"][-1]
    assert (last["source"], last["subject"], last["notes"]) == ("commit", "Remove the deal", ["file removed"])
    assert [entry["stage"] for entry in data["entries"] if entry["source"] == "history"] == [
        "lead", "needs", "approval"]
    result = run("history", "d-pump", "--root", str(three_authors))
    assert result.exit_code == 1 and "no record with id 'd-pump'" in result.stderr
