"""Where records live in a workspace: schema.yaml, contacts/*.md, deals/*.md — names only, no reading.

A workspace may be a clone of someone else's repository, so nothing here trusts what it finds: a record file
is a regular file directly in contacts/ or deals/. A symbolic link in its place is listed (so the loaders can
report it) but never read; contacts/ or deals/ leading out of the workspace are not read at all; files that
are not records (in subfolders, other names) are named by `stray_files` so `check` can say so.
"""

from __future__ import annotations

import operator
import os
import re
from pathlib import Path
from typing import Iterable

from ..model.schema import KIND_OF_DIR
from ..valueclass import valueclass

# the name of atomic_write's temp file, `.NAME.<12 hex>.tmp`: dot-prefixed and ending in .tmp, so a reader
# globbing `*.md` never mistakes a leftover for a record, and .gitignore ignores it (`.*.tmp`)
TEMP_NAME = re.compile(r"\..+\.[0-9a-f]{12}\.tmp\Z")

SCHEMA_FILE = "schema.yaml"
KEEP_FILE = ".gitkeep"  # init's placeholder: git keeps no empty directory


@valueclass(frozen=True)
class Stray:
    """A file or folder of the workspace that funnel does not read as a record, and why."""

    path: str  # relative to the root, with '/'
    severity: str  # "error" | "warning"
    code: str
    message: str


def leads_outside(root: Path, relative: str) -> bool:
    """True when `root/relative` resolves (through any symbolic link on the way) to a place outside `root`."""
    try:
        return not Path(os.path.realpath(os.path.join(root, relative))).is_relative_to(os.path.realpath(root))
    except (OSError, ValueError):
        return True


def _link_target(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def folder_problems(root: Path) -> list[Stray]:
    """What keeps funnel from reading contacts/, deals/ or schema.yaml as they are: a link out of the
    workspace, a folder it may not list, a schema that is not a regular file. Cheap: no walk."""
    problems = []
    for directory in (SCHEMA_FILE, *KIND_OF_DIR):
        path = os.path.join(root, directory)
        if os.path.islink(path) and leads_outside(root, directory):
            problems.append(Stray(directory, "error", "link-outside",
                                  f"is a symbolic link to {_link_target(path)}, outside the workspace; funnel "
                                  "neither reads nor writes through it"))
        elif directory != SCHEMA_FILE and os.path.isdir(path) and not os.access(path, os.R_OK | os.X_OK):
            problems.append(Stray(directory, "error", "unreadable", "cannot be read: Permission denied"))
    return problems


def readable_folders(root: Path) -> list[tuple[str, str]]:
    """(directory, kind) of the record folders that may be read: not a link out of the workspace."""
    return [(directory, kind) for directory, kind in KIND_OF_DIR.items()
            if not (os.path.islink(os.path.join(root, directory)) and leads_outside(root, directory))]


def record_files(root: Path) -> Iterable[tuple[str, str, os.DirEntry]]:
    """(kind, relative path, directory entry) of every record file: `*.md` directly in contacts/ and deals/,
    no dot-files (a writer's temp file is dot-prefixed and never ends in .md), sorted by name. A symbolic
    link named like a record is listed too, for the loader to report (entry.is_symlink()), never to read."""
    for directory, kind in readable_folders(root):
        try:
            entries = [entry for entry in os.scandir(os.path.join(root, directory))
                       if entry.name.endswith(".md") and not entry.name.startswith(".")
                       and (entry.name.isascii() or _is_text(entry.name))
                       and (entry.is_symlink() or entry.is_file(follow_symlinks=False))]
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue  # a folder that cannot be listed is named by folder_problems
        entries.sort(key=_NAME)
        for entry in entries:
            yield kind, f"{directory}/{entry.name}", entry


def stray_files(root: Path, deal_ids: set[str]) -> list[Stray]:
    """Every file under contacts/ and deals/ that is not a record and not an attachment: files in subfolders
    (but for a deal's attachment folder deals/<id>/), other names, and links to folders. Warnings: funnel
    neither validates nor shows them, and says so. Temp files of a killed write are left to the next write."""
    found: list[Stray] = []
    for directory, kind in readable_folders(root):
        top = os.path.join(root, directory)
        try:
            entries = sorted(os.scandir(top), key=lambda entry: entry.name)
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
        for entry in entries:
            relative = f"{directory}/{entry.name}"
            if entry.name == KEEP_FILE or TEMP_NAME.match(entry.name):
                continue
            if not _is_text(entry.name):
                found.append(Stray(relative, "error", "file-name",
                                   "the file name is not valid UTF-8, so it is no id; rename the file "
                                   "(funnel does not read it)"))
                continue
            if entry.is_dir(follow_symlinks=False):
                if kind == "deal" and entry.name in deal_ids:
                    continue  # an attachment folder: `check` verifies the files the deal names
                found.extend(_files_under(root, relative))
            elif entry.is_symlink() and entry.name.endswith(".md"):
                continue  # reported with the records (a link where a record should be)
            elif entry.is_symlink():
                found.append(Stray(relative, "warning", "stray-file",
                                   "a symbolic link, not a record; funnel does not read it"))
            elif not entry.is_file(follow_symlinks=False):
                found.append(Stray(relative, "warning", "stray-file",
                                   "not a regular file (a named pipe, socket or device); funnel does not open it"))
            elif not entry.name.endswith(".md") or entry.name.startswith("."):
                found.append(Stray(relative, "warning", "stray-file",
                                   f"not a record file (records are {directory}/<id>.md); funnel does not read it"))
    return found


def _files_under(root: Path, folder: str) -> list[Stray]:
    found = []
    for current, folders, files in os.walk(os.path.join(root, folder), onerror=None):
        folders.sort()
        for name in sorted(files) + sorted(f for f in folders if os.path.islink(os.path.join(current, f))):
            relative = os.path.relpath(os.path.join(current, name), root).replace(os.sep, "/")
            found.append(Stray(relative, "warning", "stray-file",
                               f"in a subfolder of {folder.split('/')[0]}/, so not read as a record; funnel does "
                               "not validate or show it (records sit directly in the folder)"))
    return found


_NAME = operator.attrgetter("name")


def _is_text(name: str) -> bool:
    """False for a name that was not UTF-8 on disk (kept by Python as lone surrogates): no id is spelt so,
    and no text store (the cache, JSON) can hold it as it is."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def kind_of_path(relative: str) -> str | None:
    parts = relative.split("/")
    if len(parts) == 2 and parts[1].endswith(".md"):
        return KIND_OF_DIR.get(parts[0])
    return None
