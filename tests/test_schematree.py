"""schema.yaml's parsed tree kept in funnel's own directory (store/schematree.py): a warm command imports no YAML
parser, the kept tree always answers for the schema's current bytes, and nothing a person or a clone puts in its
place is trusted: a link, a FIFO, other JSON — each means parsing schema.yaml again."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import CONTACT, full_deal
from funnel.model import schema as schema_module
from funnel.model.schema import SchemaError, parse_schema
from funnel.store.owndir import own_directory
from funnel.store.schematree import TREE_FILE, workspace_schema


@pytest.fixture(autouse=True)
def fresh_process_memo():
    """Each call parses as a new command would: the in-process memo of load_schema is emptied."""
    schema_module._parsed.clear()
    yield
    schema_module._parsed.clear()


def kept_file(root):
    return own_directory(root) / TREE_FILE


def loads_without_yaml(root) -> bool:
    """True when workspace_schema(root), in a new process, neither imports PyYAML nor reads with it."""
    code = ("import sys; from pathlib import Path; from funnel.store.schematree import workspace_schema; "
            "workspace_schema(Path(sys.argv[1])); print('yaml' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True, check=True,
                          env={**os.environ})
    return done.stdout.strip() == "False"


def test_a_kept_tree_builds_the_same_schema_without_a_yaml_parser(workspace):
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    first = workspace_schema(root)  # parses schema.yaml and keeps its tree
    assert kept_file(root).is_file()
    schema_module._parsed.clear()
    again = workspace_schema(root)
    assert again == first == parse_schema((root / "schema.yaml").read_bytes(), str(root / "schema.yaml"))
    assert loads_without_yaml(root)


def test_an_edited_schema_is_parsed_again_and_its_tree_kept(workspace):
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    workspace_schema(root)
    path = root / "schema.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("label: Full name", "label: ФИО"), encoding="utf-8")
    schema_module._parsed.clear()
    edited = workspace_schema(root)
    assert edited.contacts.fields["name"].label == "ФИО"
    assert loads_without_yaml(root)  # the new bytes' tree was kept
    schema_module._parsed.clear()
    assert workspace_schema(root).contacts.fields["name"].label == "ФИО"


def test_a_broken_schema_is_never_kept_and_still_named_with_its_line(workspace):
    root = workspace({"contacts/c-ivanov01.md": CONTACT})
    path = root / "schema.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("rot_days: 14", "rot_days: seven", 1),
                    encoding="utf-8")
    for _ in range(2):
        schema_module._parsed.clear()
        with pytest.raises(SchemaError) as raised:
            workspace_schema(root)
        assert "rot_days" in str(raised.value) and raised.value.problems[0].line > 1
    assert not kept_file(root).exists()


@pytest.mark.parametrize("planted", ["link", "fifo", "other key", "not json", "a number in the tree",
                                     "bad positions", "a tree that does not build"])
def test_anything_else_in_its_place_means_parsing_schema_yaml(workspace, tmp_path, planted):
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-aaaa0001.md": full_deal("d-aaaa0001", "lead")})
    expected = workspace_schema(root)
    kept = kept_file(root)
    stored = json.loads(kept.read_text(encoding="utf-8"))
    forged = json.loads(json.dumps(stored))  # right key, other tree: read through a link, it would show
    forged["tree"]["stages"][0]["label"] = "ПОДМЕНА"
    victim = tmp_path / "victim.json"
    victim.write_text(json.dumps(forged), encoding="utf-8")
    kept.unlink()
    if planted == "link":  # even a link to a tree that would be right is not followed
        kept.symlink_to(victim)
    elif planted == "fifo":
        os.mkfifo(kept)
    else:
        if planted == "other key":
            stored["key"] = "0" * 64
        elif planted == "not json":
            stored = None
        elif planted == "a number in the tree":
            stored["tree"]["stages"][0]["rot_days"] = 7
        elif planted == "bad positions":
            stored["positions"] = [["stages", 1, 1]]
        else:  # YAML-shaped, but not a schema: it would build with problems
            stored["tree"]["stages"] = "none"
        kept.write_text("{" if stored is None else json.dumps(stored), encoding="utf-8")
    schema_module._parsed.clear()
    victim_before = victim.read_bytes()
    assert workspace_schema(root) == expected  # schema.yaml was parsed (a FIFO would hang here: it must not)
    assert victim.read_bytes() == victim_before  # a link is replaced, its target never written
    assert not kept.is_symlink() and kept.is_file()  # the real schema's tree in its place
    schema_module._parsed.clear()
    assert loads_without_yaml(root)
