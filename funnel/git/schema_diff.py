"""What changed in schema.yaml between two versions: stages, fields, gates and loss reasons added, removed or
changed. Read from the YAML trees, so a schema that fails its own validation is still described."""

from __future__ import annotations

from ..frontmatter.reader import parse_yaml


def schema_diff(old_data: bytes | None, new_data: bytes | None) -> dict:
    """{"stages"|"fields"|"gates"|"loss_reasons": {"added": [...], "removed": [...], "changed": [...]}};
    a stage whose gate alone changed is a changed gate, not a changed stage."""
    old_tree, new_tree = _tree(old_data), _tree(new_data)
    old_fields = {f"{kind}.{name}": spec for kind in ("contacts", "deals")
                  for name, spec in _mapping(_mapping(old_tree.get(kind)).get("fields")).items()}
    new_fields = {f"{kind}.{name}": spec for kind in ("contacts", "deals")
                  for name, spec in _mapping(_mapping(new_tree.get(kind)).get("fields")).items()}
    return {
        "stages": _compare(_stages(old_tree), _stages(new_tree)),
        "fields": _compare(old_fields, new_fields),
        "gates": _compare(_gates(old_tree), _gates(new_tree)),
        "loss_reasons": _compare(_mapping(old_tree.get("loss_reasons")), _mapping(new_tree.get("loss_reasons"))),
    }


def _stages(tree: dict) -> dict:
    """Each stage's declaration but its gate, by stage id."""
    return {key: {name: value for name, value in stage.items() if name != "requires"}
            for key, stage in _by_id(tree.get("stages")).items()}


def _gates(tree: dict) -> dict:
    """Each stage's gate (`requires`) by stage id, and each kind's own requirements and rules."""
    gates = {key: value["requires"] for key, value in _by_id(tree.get("stages")).items() if value.get("requires")}
    for kind in ("contacts", "deals"):
        for name in ("requires", "rules"):
            value = _mapping(tree.get(kind)).get(name)
            if value:
                gates[f"{kind}.{name}"] = value
    return gates


def _tree(data: bytes | None) -> dict:
    if data is None:
        return {}
    try:
        tree, _, problems = parse_yaml(data.decode("utf-8", "replace").lstrip("\ufeff"))
    except Exception:  # noqa: BLE001 — a schema too broken to read is described as empty
        return {}
    return tree if isinstance(tree, dict) and not problems else {}


def _mapping(value) -> dict:
    return value if isinstance(value, dict) else {}


def _by_id(stages) -> dict:
    if not isinstance(stages, list):
        return {}
    return {item["id"]: item for item in stages if isinstance(item, dict) and isinstance(item.get("id"), str)}


def _compare(old: dict, new: dict) -> dict:
    return {"added": [key for key in new if key not in old],
            "removed": [key for key in old if key not in new],
            "changed": [key for key in new if key in old and old[key] != new[key]]}
