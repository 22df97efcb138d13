"""Whatever bytes a file holds, reading it gives a record with problems, never an exception.

Each test states what must hold of every record read (so it fails when that breaks), not only that nothing
raised: an unreadable record says why, problems point inside the file, typed fields are the schema's.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REFERENCE_SCHEMA
from funnel.frontmatter.reader import is_fence
from funnel.model.records import Record, build_record
from funnel.model.schema import load_schema

SCHEMA = load_schema(REFERENCE_SCHEMA)

FRAGMENTS = st.sampled_from([
    "---\n", "id: d-aaaa0001\n", "stage: lead\n", "amount: 12.5\n", "history:\n", "  - {stage: lead, at: x}\n",
    "categories: [small, \n", "&a [*a]\n", "*b\n", "<<<<<<< HEAD\n", "=======\n", "? [a]\n: b\n", "\t\n",
    "created: 2026-02-30\n", "title: 'unterminated\n", "proposals:\n  - {price: }\n", "\ufeff", "\r\n", "- - - x\n",
    "acceptance_docs: [{path: ../x, sha256: 1}]\n", "contact: [a, b]\n", "loss_reason: {a: b}\n", "Пётр: «x»\n",
])


def assert_sound(record: Record, data: bytes) -> None:
    """What every record read from `data` must satisfy, whatever the bytes."""
    assert isinstance(record, Record)
    assert record.readable or record.problems, "an unreadable record must say why"
    kind = SCHEMA.kind(record.kind)
    assert set(record.fields) <= set(kind.fields)
    assert not set(record.unknown) & set(kind.fields)
    assert record.invalid <= set(kind.fields)
    last_line = data.count(b"\n") + data.count(b"\r") + 1
    assert all(1 <= problem.line <= last_line and problem.column >= 1 and problem.code and problem.message
               for problem in record.problems), record.problems
    if record.invalid:
        assert any(problem.severity == "error" for problem in record.problems)


def first_line_is_a_fence(data: bytes) -> bool:
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    return is_fence(text.split("\n", 1)[0])


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(FRAGMENTS, max_size=12))
def test_record_like_text_never_raises(parts):
    data = "".join(parts).encode("utf-8")
    record = build_record(SCHEMA, "deal", "deals/d-aaaa0001.md", data)
    assert_sound(record, data)
    if not first_line_is_a_fence(data):
        assert not record.readable and record.problems


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(data):
    wrapped = b"---\n" + data + b"\n---\n"
    assert_sound(build_record(SCHEMA, "contact", "contacts/c-aaaa0001.md", wrapped), wrapped)
    record = build_record(SCHEMA, "contact", "contacts/c-aaaa0001.md", data)
    assert_sound(record, data)
    if not first_line_is_a_fence(data):
        assert not record.readable and record.problems


def test_the_fragments_reach_both_readable_records_and_each_kind_of_problem():
    """The fuzzed fragments are not wasted: they make valid records and the problems the reader names."""
    def codes(*parts):
        data = "".join(parts).encode("utf-8")
        record = build_record(SCHEMA, "deal", "deals/d-aaaa0001.md", data)
        assert_sound(record, data)
        return {problem.code for problem in record.problems}

    assert codes("---\n", "id: d-aaaa0001\n", "stage: lead\n", "---\n") == set()
    assert "no-front-matter" in codes("id: d-aaaa0001\n")
    assert "unterminated-front-matter" in codes("---\n", "id: d-aaaa0001\n")
    assert "conflict-marker" in codes("---\n", "<<<<<<< HEAD\n", "=======\n", "---\n")
    assert "type" in codes("---\n", "contact: [a, b]\n", "---\n")
    assert "type" in codes("---\n", "created: 2026-02-30\n", "---\n")
    assert "unknown-loss-reason" not in codes("---\n", "loss_reason: {a: b}\n", "---\n")
    assert codes("---\n", "title: 'unterminated\n", "---\n")
