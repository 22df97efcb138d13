"""schema.yaml's parsed tree kept as JSON in funnel's own directory, so a command builds the Schema without
importing or running a YAML parser (importing PyYAML alone is a tenth of a warm view at 10,000 deals).

Keyed by the schema's bytes and the funnel version; only a schema without problems is kept. The file is funnel's
own (never in the working tree, so no clone brings one), opened as every own file is — no link, a regular file,
bounded in size — and read as JSON, which holds no code. Anything unexpected in it (another key, a shape YAML
never gives, bad JSON) means only: parse schema.yaml instead, and keep that.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .. import __version__
from ..model.schema import Schema, load_schema
from .owndir import ensure_own_directory, open_own_file, own_directory
from .paths import SCHEMA_FILE

TREE_FILE = "schema-tree.json"
MAX_TREE = 8 << 20  # far above any schema's tree, far below anything that could slow a command


def workspace_schema(root: Path) -> Schema:
    """The Schema of the workspace at `root` (SchemaError naming each problem of a schema that has some)."""
    return load_schema(root / SCHEMA_FILE, KeptTree(root))


def _key(data: bytes) -> str:
    return hashlib.sha256(f"{__version__}\0".encode() + data).hexdigest()


class KeptTree:
    """model.schema.TreeKeeper over the file TREE_FILE in funnel's own directory of `root`."""

    def __init__(self, root: Path):
        self.root = root

    def get(self, data: bytes) -> tuple[object, dict] | None:
        fd = open_own_file(own_directory(self.root) / TREE_FILE, max_size=MAX_TREE)
        if fd is None:
            return None
        try:
            with os.fdopen(fd, "rb") as handle:
                kept = json.loads(handle.read())
        except (OSError, ValueError):
            return None
        if not isinstance(kept, dict) or kept.get("key") != _key(data):
            return None
        tree, positions = kept.get("tree"), kept.get("positions")
        if not _yaml_shaped(tree) or not isinstance(positions, list):
            return None
        found = {}
        for item in positions:
            if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], list)
                    and all(type(part) in (str, int) for part in item[0])
                    and type(item[1]) is int and type(item[2]) is int):
                return None
            found[tuple(item[0])] = (item[1], item[2])
        return tree, found

    def put(self, data: bytes, tree: object, positions: dict) -> None:
        directory = ensure_own_directory(self.root)
        if directory is None:
            return
        text = json.dumps({"key": _key(data), "tree": tree,
                           "positions": [[list(path), line, column] for path, (line, column) in positions.items()]},
                          ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        from .atomic import _new_temp  # a command that finds its tree kept never writes

        try:
            temp, fd = _new_temp(str(directory), TREE_FILE)
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(text)
            os.replace(temp, directory / TREE_FILE)  # replaces whatever is there, a link itself never its target
        except OSError:
            try:
                os.unlink(temp)
            except OSError:
                pass


def _yaml_shaped(tree: object, depth: int = 0) -> bool:
    """Only what the YAML reader gives (mappings with text keys, lists, text, None), not too deep."""
    if tree is None or type(tree) is str:
        return True
    if depth > 64:
        return False
    if type(tree) is list:
        return all(_yaml_shaped(item, depth + 1) for item in tree)
    if type(tree) is dict:
        return all(type(key) is str and _yaml_shaped(value, depth + 1) for key, value in tree.items())
    return False
