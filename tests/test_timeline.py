"""A deal's visits to stages: one reading of a history for aging, cards, gates and reports."""

from __future__ import annotations

from datetime import date

import pytest

from conftest import REFERENCE_SCHEMA
from funnel.model.records import build_record
from funnel.model.schema import load_schema
from funnel.model.timeline import entered_current_stage, lost_from, timeline

SCHEMA = load_schema(REFERENCE_SCHEMA)


def record(stage: str, history: list[tuple[str, str]], extra: str = ""):
    lines = "".join(f"  - {{stage: {s}, at: 2026-{day}T10:00:00+03:00}}\n" for s, day in history)
    text = f"---\nid: d-aaaa0001\nstage: {stage}\n{extra}history:\n{lines}---\n"
    return build_record(SCHEMA, "deal", "deals/d-aaaa0001.md", text.encode())


@pytest.mark.parametrize("history, extra, expected", [
    ([("lead", "01-05"), ("needs", "01-06"), ("lost", "01-09")], "lost_at: approval\n", "approval"),
    ([("lead", "01-05"), ("needs", "01-06"), ("lost", "01-09")], "", "needs"),
    # reopened and lost again: the stage before the last `lost` entry
    ([("lead", "01-05"), ("lost", "01-06"), ("lead", "01-07"), ("needs", "01-08"), ("lost", "01-09")], "", "needs"),
    ([("lost", "01-09")], "", None),
    # lost_at naming a terminal stage says nothing: the history does
    ([("lead", "01-05"), ("lost", "01-09")], "lost_at: won\n", "lead"),
])
def test_lost_from_is_derived_once(history, extra, expected):
    deal = record("lost", history, extra)
    stage = lost_from(deal, SCHEMA)
    assert (stage.id if stage else None) == expected
    assert timeline(deal, SCHEMA).lost_from == expected


def test_a_visit_is_consecutive_entries_of_one_stage():
    deal = record("needs", [("lead", "01-05"), ("needs", "01-06"), ("needs", "01-08")])
    assert entered_current_stage(deal) == date(2026, 1, 6)
    visits = timeline(deal, SCHEMA).visits
    assert [(v.stage.id, v.entered.day, v.left.day if v.left else None) for v in visits] == [
        ("lead", 5, 6), ("needs", 6, None)]
    assert visits[0].days() == 1.0
    assert visits[1].days(date(2026, 1, 16)) == 10


def test_a_backward_move_enters_the_stage_anew():
    deal = record("lead", [("lead", "01-05"), ("needs", "01-06"), ("lead", "01-10")])
    assert entered_current_stage(deal) == date(2026, 1, 10)
    assert [v.stage.id for v in timeline(deal, SCHEMA).visits] == ["lead", "needs", "lead"]
