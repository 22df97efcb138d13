"""`check` reads a workspace one record at a time (StreamingCheck) and must find exactly what judging the whole
workspace at once finds (check_workspace, which `check --staged` uses): the same problems, in the same order, at
the same positions — including the ones that need other records (a repeat client whose earlier deal is read
later, a dangling reference, duplicate ids)."""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path

import pytest

from conftest import benchmark_generators
from funnel.model.checks import check_workspace
from funnel.model.schema import load_schema
from funnel.store.paths import stray_files
from funnel.store.workspace import load_workspace
from funnel.views.checking import check_root

REPO = Path(__file__).resolve().parent.parent


def _edit(path: Path, change) -> None:
    path.write_text(change(path.read_text("utf-8")), "utf-8")


def _drop_lines(prefix: str):
    return lambda text: "".join(line for line in text.splitlines(keepends=True) if not line.startswith(prefix))


def _drop_history(text: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True)
                   if not line.startswith("history:") and not line.startswith("  - {stage:"))


def _swap_history(text: str) -> str:
    lines = text.split("\n")
    entries = [index for index, line in enumerate(lines) if line.startswith("  - {stage:")]
    if len(entries) >= 2:
        lines[entries[0]], lines[entries[1]] = lines[entries[1]], lines[entries[0]]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def broken_workspace(tmp_path_factory) -> Path:
    """A generated workspace with one or more files for every kind of problem `check` knows."""
    generate, _ = benchmark_generators()
    root = tmp_path_factory.mktemp("streaming") / "ws"
    generate(root, 160, 50, seed=11, attachments=True)
    shutil.copyfile(REPO / "schema.yaml", root / "schema.yaml")
    deals = sorted((root / "deals").glob("*.md"))
    contacts = sorted((root / "contacts").glob("*.md"))
    picks = iter(random.Random(5).sample(deals, 100))
    edits = [
        lambda t: t.replace("\ntitle:", "\ntitle: [unclosed\n  x:", 1),  # malformed YAML
        lambda t: t.replace("\nowner:", "\nowner: ivanov\nowner:", 1),  # duplicate key
        lambda t: t.replace("{stage: ", "{stage: lead, stage: ", 1),  # duplicate key in a history entry
        lambda t: t.replace("\nowner:", "\nonwer: x\nowner:", 1),  # unknown field
        lambda t: t.replace("\namount:", "\namount: abc\nxamount:", 1),  # not a number
        lambda t: t.replace("\ncreated:", "\ncreated: 2026-13-45\nxcreated:", 1),  # not a date
        lambda t: t.replace("at: 20", "at: x20", 1),  # not a timestamp, deep in history
        _swap_history,  # history out of order
        lambda t: t.replace("\nstage: ", "\nstage: nowhere\nxstage: ", 1),  # unknown stage
        _drop_lines("stage:"),
        _drop_lines("id:"),
        lambda t: t.replace("\nid: d-", "\nid: D_", 1),  # a bad id
        lambda t: t.replace("\nid: d-", "\nid: d-zz", 1),  # an id that is not the file name
        lambda t: t.replace("\ncontact: c-", "\ncontact: c-nobody", 1),  # a dangling reference
        lambda t: t.replace("\nowner: ", "\nowner: nobody\nxowner: ", 1),
        lambda t: t.replace("finance_check: approved", "finance_check: banned", 1),  # a rule
        lambda t: t.replace("\ntitle:", "\n<<<<<<< HEAD\ntitle:", 1).replace("\nowner:", "\n=======\nowner:", 1),
        lambda t: t.replace("\nowner:", "\n[a, b]: 1\nowner:", 1),  # a key that is no name
        lambda t: t.replace("{stage: lead", "{stage: leed", 1),
        lambda t: t[:t.rindex("\n---")] + "\n",  # front matter never closed
        lambda t: "\ufeff" + t.replace("\n", "\r\n").replace("\r\nowner:", "\r\nonwer: z\r\nowner:", 1),
    ]
    edits += [_drop_lines(name + ":") for name in ("finance_check", "legal_check", "debt_check", "amount",
                                                    "equipment", "install_address", "proposals", "title",
                                                    "created")]
    edits.append(_drop_history)
    for change in edits:
        for _ in range(2):
            _edit(next(picks), change)
    next(picks).write_text("")
    next(picks).write_text("no front matter\n")
    next(picks).write_text("---\n- a\n- b\n---\n")
    next(picks).write_text("---\nid: x\nv: " + "[" * 80 + "]" * 80 + "\n---\n")
    bad_bytes = next(picks)
    bad_bytes.write_bytes(bad_bytes.read_bytes().replace(b"\ntitle: ", b"\ntitle: \xc3(", 1))
    for index in range(3):
        shutil.copyfile(next(picks), root / "deals" / f"d-copy{index}xx.md")
    copied = next(picks)
    for index in range(4):
        shutil.copyfile(copied, root / "deals" / f"d-many{index}xx.md")
    # a repeat client whose earlier deal comes later in path order: judging the first needs the second
    first_contact = contacts[0].stem
    (root / "deals" / "d-0000late.md").write_text(
        f"---\nid: d-0000late\ntitle: Late\ncontact: {first_contact}\nstage: proposal\nowner: ivanov\n"
        "created: 2026-06-01\nfinance_check: approved\nlegal_check: passed\nhistory:\n"
        "  - {stage: lead, at: 2026-06-01T10:00:00+03:00}\n  - {stage: proposal, at: 2026-06-02T10:00:00+03:00}\n"
        "---\n", "utf-8")
    (root / "deals" / "d-zzzzearly.md").write_text(
        f"---\nid: d-zzzzearly\ntitle: Early\ncontact: {first_contact}\nstage: lead\nowner: ivanov\n"
        "created: 2026-01-01\nhistory:\n  - {stage: lead, at: 2026-01-01T10:00:00+03:00}\n---\n", "utf-8")
    for contact, change in zip(contacts[1:], [lambda t: t.replace("\nname:", "\nnmae: q\nname:", 1),
                                              lambda t: t.replace("\nsource: ", "\nsource: nowhere\nxsource: ", 1),
                                              _drop_lines("phone:"), lambda t: "---\nid: [\n---\n"]):
        _edit(contact, change)
    shutil.copyfile(contacts[6], root / "contacts" / "c-copy0xxx.md")
    if hasattr(os, "symlink"):
        os.symlink("/etc/passwd", root / "deals" / "d-link0001.md")
    (root / "deals" / "notes.txt").write_text("x")
    (root / "contacts" / "sub").mkdir()
    (root / "contacts" / "sub" / "c-sub00001.md").write_text("---\nid: c-sub00001\n---\n")
    folders = sorted(path for path in (root / "deals").iterdir() if path.is_dir() and any(path.iterdir()))
    sorted(folders[0].iterdir())[0].write_bytes(b"changed")
    sorted(folders[-1].iterdir())[0].unlink()
    return root


def whole_workspace_check(root: Path, only: set[str] | None = None):
    """What judging the whole workspace at once finds: every record in memory, one context."""
    workspace = load_workspace(root, load_schema(root / "schema.yaml"))
    workspace.strays.extend(stray_files(root, {record.stem for record in workspace.deals}))
    return check_workspace(workspace, only)


def test_every_kind_of_problem_is_there(broken_workspace):
    codes = {d.code for d in check_root(broken_workspace).diagnostics}
    assert {"yaml-syntax", "duplicate-key", "unknown-field", "type", "history-order", "unknown-stage",
            "missing-id", "bad-id", "id-mismatch", "duplicate-id", "dangling-reference", "gate", "gate-warning",
            "finance-ban-not-lost", "conflict-marker", "empty-file", "no-front-matter", "not-a-mapping",
            "too-deep", "encoding", "unterminated-front-matter", "missing-field", "missing-history",
            "attachment-hash", "attachment-missing", "stray-file"} <= codes


def test_reading_one_record_at_a_time_finds_what_the_whole_workspace_finds(broken_workspace):
    streamed = check_root(broken_workspace).diagnostics
    assert streamed == whole_workspace_check(broken_workspace)
    repeat = [d for d in streamed if d.path == "deals/d-0000late.md"]
    assert [d.message for d in repeat if "repeat client" in d.message] == [
        "debt_check (Debt check): must be clear (Clear) — repeat client: earlier deal d-zzzzearly "
        "(gate of stage 'proposal')"]


def test_paths_judge_against_the_whole_workspace(broken_workspace, monkeypatch):
    selected = {"deals/d-0000late.md", "deals/d-many0xx.md", "contacts/c-copy0xxx.md", "deals/d-link0001.md"}
    monkeypatch.chdir(broken_workspace)
    outcome = check_root(broken_workspace, sorted(selected))
    assert outcome.diagnostics == whole_workspace_check(broken_workspace, selected)
    assert outcome.checked == len(selected)
    assert {d.path for d in outcome.diagnostics} == selected


def test_the_command_prints_them_in_that_order(broken_workspace, run):
    expected = whole_workspace_check(broken_workspace)
    result = run("check", "--root", str(broken_workspace), "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == [d.as_json() for d in expected]


def test_a_record_file_is_read_as_the_regular_file_it_was_listed_as(tmp_path):
    from funnel.store.recordfiles import read_record_file

    record = tmp_path / "d-aaaa0001.md"
    record.write_bytes(b"---\r\nid: d-aaaa0001\r\n---\r\n" + "Ж".encode() * 100_000)
    assert read_record_file(str(record)) == record.read_bytes()
    if hasattr(os, "mkfifo"):
        pipe = tmp_path / "d-pipe0001.md"
        os.mkfifo(pipe)
        with pytest.raises(OSError, match="not a regular file"):
            read_record_file(str(pipe))  # at once: never waiting for a writer
    if hasattr(os, "O_NOFOLLOW"):
        link = tmp_path / "d-link0001.md"
        link.symlink_to(record)
        with pytest.raises(OSError):
            read_record_file(str(link))
