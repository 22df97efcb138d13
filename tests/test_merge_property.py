"""Property: two sides that edit disjoint fields, list items and history merge with no conflict and keep every
one-sided change (the driver's function, without git, so many examples run quickly).

CI runs the default number of examples; `FUNNEL_MERGE_EXAMPLES=10000 pytest tests/test_merge_property.py` runs more.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import REFERENCE_SCHEMA
from funnel.frontmatter.reader import parse_record_bytes
from funnel.git.merge import merge_records
from funnel.model.schema import load_schema

SCHEMA = load_schema(REFERENCE_SCHEMA)
START = datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=3)))
EXAMPLES = int(os.environ.get("FUNNEL_MERGE_EXAMPLES", "100"))

WORDS = ["насос", "станция", "Wilo", "Grundfos", "ЖК", "Северный", "звонок", "pump", "alpha", "КП", "смета"]
TEXT_FIELDS = ["title", "owner", "next_action", "equipment", "install_address", "loss_comment"]
NUMBER_FIELDS = {"amount": "decimal", "next_action_due": "date"}
SCALARS = TEXT_FIELDS + list(NUMBER_FIELDS)

text_values = st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join)
amounts = st.integers(0, 10**9).map(lambda cents: f"{cents // 100}.{cents % 100:02d}" if cents % 3 else str(cents))
dates = st.integers(0, 3650).map(lambda days: (date(2024, 1, 1) + timedelta(days=days)).isoformat())


def value_for(name):
    return {"amount": amounts, "next_action_due": dates}.get(name, text_values)


@st.composite
def proposal(draw, option):
    return {"option": option, "equipment": draw(text_values), "price": draw(amounts)}


@st.composite
def scenario(draw):
    present = draw(st.lists(st.sampled_from(SCALARS), unique=True, max_size=len(SCALARS)))
    ancestor = {name: draw(value_for(name)) for name in present}
    options = draw(st.lists(st.sampled_from(WORDS), unique=True, max_size=4))
    proposals = [draw(proposal(option)) for option in options]
    times = sorted(draw(st.lists(st.integers(0, 10_000), unique=True, min_size=1, max_size=5)))
    history = [{"stage": "lead", "at": at} for at in times]
    # every edit target goes to ours, to theirs or to nobody: the two sides' edits are disjoint
    owners = {}
    for target in [("field", name) for name in SCALARS] + [("proposal", i) for i in range(len(proposals))] \
            + [("history", i) for i in range(len(history))]:
        owners[target] = draw(st.sampled_from(["ours", "theirs", None]))
    sides = {}
    for side in ("ours", "theirs"):
        fields = dict(ancestor)
        for name in SCALARS:
            if owners[("field", name)] == side:
                if name in fields and draw(st.booleans()):
                    del fields[name]
                else:
                    fields[name] = draw(value_for(name).filter(lambda v, old=fields.get(name): v != old))
        items = []
        for index, item in enumerate(proposals):
            if owners[("proposal", index)] != side:
                items.append(item)
            elif draw(st.booleans()):  # edited
                items.append({**item, "price": str(Decimal(item["price"]) + 1)})
            # else deleted
        for option in draw(st.lists(st.sampled_from(WORDS), unique=True, max_size=2)):
            items.append(draw(proposal(f"{side}-{option}")))
        entries = [entry for index, entry in enumerate(history) if owners[("history", index)] != side]
        added = sorted(draw(st.lists(st.integers(0, 20_000), unique=True, max_size=3)))  # appended in time order
        entries += [{"stage": "needs", "at": at + (0 if side == "ours" else 30_000)} for at in added]
        body_edit = draw(st.booleans()) and side == draw(st.sampled_from(["ours", "theirs"]))
        sides[side] = (fields, items, entries, body_edit)
    styles = (draw(st.booleans()), draw(st.booleans()))  # block items in ours, in theirs
    return ancestor, proposals, history, sides, styles


def stamp(minutes: int) -> str:
    return (START + timedelta(minutes=minutes)).isoformat()


def render(fields, proposals, history, body_edit=False, block_items=False) -> bytes:
    lines = ["---", "# заметка руками: не трогать", "id: d-prop0001", "stage: lead"]
    for name in SCALARS:
        if name in fields:
            lines.append(f"{name}: {fields[name]}")
    if proposals:
        lines.append("proposals:")
        for item in proposals:
            if block_items:
                lines += [f"  - option: {item['option']}", f"    equipment: {item['equipment']}",
                          f"    price: {item['price']}"]
            else:
                lines.append(f"  - {{option: {item['option']}, equipment: {item['equipment']}, price: {item['price']}}}")
    if history:
        lines.append("history:")
        lines += [f"  - {{stage: {entry['stage']}, at: {stamp(entry['at'])}}}" for entry in history]
    lines += ["---", "Заметки о сделке." + (" Дополнено." if body_edit else "")]
    return ("\n".join(lines) + "\n").encode("utf-8")


def expected(ancestor, proposals, history, sides):
    ours, theirs = sides["ours"], sides["theirs"]
    fields = dict(ancestor)
    for side in (ours, theirs):
        for name in SCALARS:
            if side[0].get(name) != ancestor.get(name):
                if name in side[0]:
                    fields[name] = side[0][name]
                else:
                    fields.pop(name, None)
    key = lambda item: (item["option"], item["equipment"], Decimal(item["price"]))  # noqa: E731
    kept = {key(item) for item in proposals if key(item) in {key(i) for i in ours[1]}
            and key(item) in {key(i) for i in theirs[1]}}
    items = kept | {key(item) for side in (ours, theirs) for item in side[1]
                    if key(item) not in {key(i) for i in proposals}}
    kept_history = [entry["at"] for entry in history if entry in ours[2] and entry in theirs[2]]
    added = sorted({e["at"] for side in (ours, theirs) for e in side[2] if e not in history})
    return fields, items, [stamp(at) for at in kept_history], [stamp(at) for at in added]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                         HealthCheck.data_too_large])
@given(scenario())
def test_disjoint_edits_merge_cleanly_and_keep_every_change(case):
    ancestor, proposals, history, sides, (ours_block, theirs_block) = case
    base = render(ancestor, proposals, history)
    ours = render(*sides["ours"][:3], sides["ours"][3], ours_block)
    theirs = render(*sides["theirs"][:3], sides["theirs"][3], theirs_block)
    result = merge_records(base, ours, theirs, SCHEMA, "deal")
    assert not result.conflicts and result.textual is None, result.data.decode()
    parsed = parse_record_bytes(result.data)
    assert not parsed.problems
    tree = parsed.tree
    fields, items, kept_history, added_history = expected(ancestor, proposals, history, sides)
    for name in SCALARS:
        if name in fields:
            got = tree.get(name)
            assert got == fields[name] or (name == "amount" and Decimal(got) == Decimal(fields[name]))
        else:
            assert name not in tree
    got_items = {(i["option"], i["equipment"], Decimal(i["price"])) for i in tree.get("proposals") or []}
    assert got_items == items
    got_history = [entry["at"] for entry in tree.get("history") or []]
    assert got_history[:len(kept_history)] == kept_history
    assert got_history[len(kept_history):] == added_history  # in time order
    assert "# заметка руками: не трогать\n" in result.data.decode()
    edited_body = any(side[3] for side in sides.values())
    assert result.data.decode().endswith("Заметки о сделке." + (" Дополнено." if edited_body else "") + "\n")
