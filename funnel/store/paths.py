"""Where records live in a workspace: schema.yaml, contacts/*.md, deals/*.md — names only, no reading."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from ..model.schema import KIND_OF_DIR

SCHEMA_FILE = "schema.yaml"


def record_files(root: Path) -> Iterable[tuple[str, str, os.DirEntry]]:
    """(kind, relative path, directory entry) of every record file: `*.md` directly in contacts/ and deals/,
    no dot-files (a writer's temp file is dot-prefixed and never ends in .md), sorted by name."""
    for directory, kind in KIND_OF_DIR.items():
        try:
            entries = [entry for entry in os.scandir(os.path.join(root, directory))
                       if entry.name.endswith(".md") and not entry.name.startswith(".") and entry.is_file()]
        except FileNotFoundError:
            continue
        entries.sort(key=lambda entry: entry.name)
        for entry in entries:
            yield kind, f"{directory}/{entry.name}", entry



def kind_of_path(relative: str) -> str | None:
    parts = relative.split("/")
    if len(parts) == 2 and parts[1].endswith(".md"):
        return KIND_OF_DIR.get(parts[0])
    return None
