"""Files funnel did not write: links, subfolders, unreadable files, a killed write's leftovers, a half-made
init. Nothing outside the workspace is read or written; whatever is not read as a record is named."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import funnel

from conftest import CONTACT, REFERENCE_SCHEMA, deal, full_deal


def test_a_record_that_is_a_link_is_an_error_and_never_written_through(workspace, run, tmp_path):
    victim = tmp_path / "elsewhere" / "victim.md"
    victim.parent.mkdir()
    victim.write_text(full_deal("d-link0002", "proposal"), encoding="utf-8")
    before = victim.read_bytes()
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "proposal")})
    (root / "deals/d-link0002.md").symlink_to("../../elsewhere/victim.md")
    result = run("check", "--root", str(root))
    assert result.exit_code == 1
    assert result.stdout.startswith("deals/d-link0002.md:1:1: error: is a symbolic link (to ../../elsewhere/victim.md)")
    assert result.stdout.rstrip().endswith("[link]")
    for args in (("set", "d-link0002", "title=x"), ("move", "d-link0002", "contract"),
                 ("lose", "d-link0002", "--reason", "price", "--comment", "x")):
        refused = run(*args, "--root", str(root))
        assert refused.exit_code == 1
        assert "deals/d-link0002.md: cannot be read as a record" in refused.stderr
    board = run("board", "--root", str(root))
    assert board.exit_code == 0 and "d-link0002" not in board.stdout and "d-aaaa0001" in board.stdout
    assert "1 file skipped (invalid); run 'funnel check'" in board.stderr
    listed = run("list", "deals", "--root", str(root), "--format", "json")
    assert "d-link0002" not in listed.stdout
    assert victim.read_bytes() == before


@pytest.mark.parametrize("folder", ["deals", "contacts"])
def test_a_record_folder_that_leads_outside_is_not_read_or_written(workspace, run, tmp_path, folder):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "d-out00001.md").write_text(full_deal("d-out00001", "lead"), encoding="utf-8")
    (outside / "c-out00001.md").write_text(CONTACT.replace("c-ivanov01", "c-out00001"), encoding="utf-8")
    files = {"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "lead")}
    root = workspace({name: text for name, text in files.items() if not name.startswith(folder)})
    shutil.rmtree(root / folder)
    (root / folder).symlink_to(outside)
    result = run("check", "--root", str(root))
    assert result.exit_code == 1
    assert f"{folder}:1:1: error: is a symbolic link to {outside}, outside the workspace" in result.stdout
    assert "[link-outside]" in result.stdout and "out00001" not in result.stdout
    board = run("board", "--root", str(root))
    assert "out00001" not in board.stdout
    assert f"{folder}: is a symbolic link to {outside}, outside the workspace" in board.stderr
    listing = sorted(os.listdir(outside))
    added = run("contact", "add", "--root", str(root), "--set", "name=X", "--set", "phone=+7 912 345 67 89",
                "--set", "source=website", "--set", "equipment_preference=domestic", "--set", "client_type=end_customer")
    if folder == "contacts":
        assert added.exit_code == 1 and "contacts: leads outside the workspace" in added.stderr
    else:
        new = run("deal", "add", "--root", str(root), "--contact", "c-ivanov01", "--set", "title=t", "--set",
                  "owner=ivanov")
        assert new.exit_code == 1 and "deals: leads outside the workspace" in new.stderr
    assert sorted(os.listdir(outside)) == listing


def test_a_schema_that_is_a_link_outside_or_a_folder_is_refused(workspace, run, tmp_path):
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    (root / "schema.yaml").unlink()
    (root / "schema.yaml").symlink_to(REFERENCE_SCHEMA)
    for args in (("check",), ("board",), ("set", "c-ivanov01", "name=x")):
        result = run(*args, "--root", str(root))
        assert result.exit_code == 1
        assert f"schema.yaml: is a symbolic link to {REFERENCE_SCHEMA}, outside the workspace; funnel does not " \
               "follow it [link-outside]" in result.stderr
    (root / "schema.yaml").unlink()
    (root / "schema.yaml").mkdir()
    result = run("board", "--root", str(root))
    assert result.exit_code == 1 and "schema.yaml: is a directory, not the workspace's schema file" in result.stderr
    os.chdir(root / "contacts")
    result = run("board")
    assert result.exit_code == 1 and "is a directory, not the workspace's schema file" in result.stderr


def test_files_in_subfolders_and_other_names_are_named_by_check(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT,
                      "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "lead"),
                      "deals/d-aaaa0001/akt.pdf": b"%PDF",  # an attachment folder: not a stray
                      "deals/archive/d-old00001.md": "---\nid: d-old00001\nstage: nonsense\n---\n",
                      "contacts/team/c-x.md": "---\nid: c-x\n---\n",
                      "deals/notes.txt": "x",
                      "deals/.gitkeep": ""})
    result = run("check", "--root", str(root))
    lines = result.stdout.splitlines()
    assert "deals/archive/d-old00001.md:1:1: warning: in a subfolder of deals/, so not read as a record; funnel " \
           "does not validate or show it (records sit directly in the folder) [stray-file]" in lines
    assert any(line.startswith("contacts/team/c-x.md:1:1: warning: in a subfolder of contacts/") for line in lines)
    assert "deals/notes.txt:1:1: warning: not a record file (records are deals/<id>.md); funnel does not read it " \
           "[stray-file]" in lines
    assert not any("akt.pdf" in line or ".gitkeep" in line for line in lines)
    assert result.exit_code == 0  # warnings alone
    assert "0 errors, 3 warnings" in result.stderr


def test_a_killed_writes_temp_file_is_removed_by_the_next_write_and_ignored_by_git(tmp_path, run):
    root = tmp_path / "ws"
    assert run("init", str(root)).exit_code == 0
    assert ".*.tmp" in (root / ".gitignore").read_text(encoding="utf-8").splitlines()
    (root / "contacts/c-ivanov01.md").write_text(CONTACT, encoding="utf-8")
    leftover = root / "contacts/.c-ivanov01.md.0123456789ab.tmp"
    leftover.write_text("half a record", encoding="utf-8")
    foreign = root / "contacts/.notes.tmp"  # not our pattern: not ours to remove
    foreign.write_text("x", encoding="utf-8")
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=root,
                            capture_output=True, text=True).stdout
    assert ".c-ivanov01.md.0123456789ab.tmp" not in status
    assert run("set", "c-ivanov01", "name=Иванов П.", "--root", str(root)).exit_code == 0
    assert not leftover.exists() and foreign.exists()


def test_init_checks_before_writing_and_finishes_a_half_made_workspace(tmp_path, run):
    target = tmp_path / "ws"
    target.mkdir()
    (target / "contacts").write_text("a file where a folder goes", encoding="utf-8")
    refused = run("init", str(target))
    assert refused.exit_code == 1
    assert f"{target / 'contacts'}: exists and is not a directory; nothing written" in refused.stderr
    assert sorted(os.listdir(target)) == ["contacts"]
    (target / "contacts").unlink()
    (target / "schema.yaml").write_bytes(REFERENCE_SCHEMA.read_bytes())  # what an interrupted init left
    finished = run("init", str(target))
    assert finished.exit_code == 0, finished.output
    assert (target / "contacts").is_dir() and (target / "deals").is_dir() and (target / ".gitignore").is_file()
    again = run("init", str(target))
    assert again.exit_code == 1 and "already a funnel workspace; nothing written" in again.stderr


def test_init_where_nothing_can_be_made_is_one_clean_line(run):
    result = run("init", "/proc/funnel-test")
    assert result.exit_code == 1
    assert result.stderr == "Error: /proc/funnel-test: cannot create the workspace: No such file or directory\n"


# -- as a user who may not read everything (tests run as root: drop to 'nobody' in a subprocess) ----------------

def _as_nobody(root: Path, *args: str) -> subprocess.CompletedProcess:
    setpriv = shutil.which("setpriv")
    if setpriv is None or os.geteuid() != 0:
        pytest.skip("needs root and setpriv to drop privileges")  # tests run as root in CI
    # The package may be installed (editable) from a folder 'nobody' cannot read, as in CI's clone under /root:
    # give 'nobody' its own readable copy of the package, found first on the path.
    package_copy = root.parent / f"{root.name}-package"
    env = dict(os.environ, HOME=str(root), XDG_CACHE_HOME=str(root / ".cache"), PYTHONPATH=str(package_copy))
    command = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable]
    if not package_copy.exists():  # the first call of a test: copy, and ask once whether 'nobody' can run it
        shutil.copytree(Path(funnel.__file__).parent, package_copy / "funnel",
                        ignore=shutil.ignore_patterns("__pycache__"))
        for path in [package_copy, *package_copy.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        probe = subprocess.run([*command, "-c", "import click, yaml, funnel.cli"], capture_output=True, text=True,
                               env=env, cwd=root)
        if probe.returncode != 0:
            pytest.skip(f"'nobody' cannot run this Python: {probe.stderr.strip().splitlines()[-1:]}")
    return subprocess.run([*command, "-m", "funnel", *args, "--root", str(root)], capture_output=True, text=True,
                          env=env, cwd=root)


@pytest.fixture
def shared_workspace():
    """A workspace 'nobody' may read, outside pytest's private temp folder."""
    root = Path(tempfile.mkdtemp(prefix="funnel-nobody-"))
    try:
        (root / "contacts").mkdir()
        (root / "deals").mkdir()
        shutil.copy(REFERENCE_SCHEMA, root / "schema.yaml")
        (root / "contacts/c-ivanov01.md").write_text(CONTACT, encoding="utf-8")
        (root / "deals/d-aaaa0001.md").write_text(full_deal("d-aaaa0001", "proposal"), encoding="utf-8")
        (root / "deals/d-secret01.md").write_text(deal("d-secret01", "lead"), encoding="utf-8")
        for path in [root, *root.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        yield root
    finally:
        shutil.rmtree(root)
        shutil.rmtree(root.parent / f"{root.name}-package", ignore_errors=True)


def test_an_unreadable_record_is_one_line_and_a_check_error(shared_workspace):
    root = shared_workspace
    (root / "deals/d-secret01.md").chmod(0)
    check = _as_nobody(root, "check")
    assert check.returncode == 1, check.stderr
    assert "deals/d-secret01.md:1:1: error: cannot be read: Permission denied [unreadable]" in check.stdout
    assert "Traceback" not in check.stderr
    for args in (("board",), ("list", "deals"), ("report", "funnel")):
        done = _as_nobody(root, *args)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr and "1 file skipped (invalid); run 'funnel check'" in done.stderr
    shown = _as_nobody(root, "show", "d-secret01")
    assert shown.returncode == 1
    assert shown.stderr == "Error: deals/d-secret01.md: cannot be read as a record; run 'funnel check " \
                           "deals/d-secret01.md'\n"


def test_an_unreadable_folder_is_one_line_and_a_check_error(shared_workspace):
    root = shared_workspace
    (root / "deals").chmod(0)
    check = _as_nobody(root, "check")
    assert check.returncode == 1, check.stderr
    assert "deals:1:1: error: cannot be read: Permission denied [unreadable]" in check.stdout
    for args in (("board",), ("list", "deals"), ("show", "c-ivanov01")):
        done = _as_nobody(root, *args)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr and "deals: cannot be read: Permission denied; not read" in done.stderr


def test_check_of_a_linked_record_by_name_reports_the_link(workspace, run, tmp_path):
    (tmp_path / "victim.md").write_text(full_deal("d-link0002", "proposal"), encoding="utf-8")
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    (root / "deals/d-link0002.md").symlink_to(tmp_path / "victim.md")
    result = run("check", str(root / "deals/d-link0002.md"), "--root", str(root))
    assert result.exit_code == 1 and "[link]" in result.stdout


def test_a_fifo_named_like_a_record_is_named_and_never_opened(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    os.mkfifo(root / "deals/d-fifo0001.md")  # opening it to read would wait forever
    result = run("check", "--root", str(root))
    assert "deals/d-fifo0001.md:1:1: warning: not a regular file (a named pipe, socket or device); funnel does " \
           "not open it [stray-file]" in result.stdout
    assert run("board", "--root", str(root)).exit_code == 0


def test_a_killed_attachs_half_copy_is_removed_by_the_next_attach(workspace, run, tmp_path):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "acceptance"),
                      "deals/d-aaaa0001/.akt.pdf.0123456789ab.tmp": b"half a copy"})
    (tmp_path / "akt.pdf").write_bytes(b"%PDF-1.7")
    assert run("attach", "d-aaaa0001", str(tmp_path / "akt.pdf"), "--root", str(root)).exit_code == 0
    assert sorted(os.listdir(root / "deals/d-aaaa0001")) == ["akt.pdf"]


def test_a_file_name_that_is_not_utf8_is_named_and_not_read(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    with open(os.path.join(bytes(root), b"deals/d-bad\xff.md"), "wb") as handle:
        handle.write(b"---\nid: d-bad\nstage: lead\n---\n")
    board = run("board", "--root", str(root))  # the cache cannot store such a name: it is not read at all
    assert board.exit_code == 0
    result = run("check", "--root", str(root))
    assert result.exit_code == 1
    assert "deals/d-bad\\xff.md:1:1: error: the file name is not valid UTF-8, so it is no id; rename the file " \
           "(funnel does not read it) [file-name]" in result.stdout


def test_an_attachment_that_is_a_pipe_is_named_not_read(workspace, run):
    digest = "0" * 64
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": full_deal(
        "d-aaaa0001", "acceptance", extra=f"acceptance_docs:\n  - {{path: deals/d-aaaa0001/akt.pdf, sha256: {digest}}}\n")})
    (root / "deals/d-aaaa0001").mkdir()
    os.mkfifo(root / "deals/d-aaaa0001/akt.pdf")
    result = run("check", "--root", str(root))
    assert "acceptance_docs[1]: 'deals/d-aaaa0001/akt.pdf' is not a regular file (a folder, pipe or device) " \
           "[attachment-missing]" in result.stdout
