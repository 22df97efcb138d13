"""Whatever bytes a file holds, reading it gives a record with problems, never an exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REFERENCE_SCHEMA
from funnel.model.records import build_record
from funnel.model.schema import load_schema

SCHEMA = load_schema(REFERENCE_SCHEMA)

FRAGMENTS = st.sampled_from([
    "---\n", "id: d-aaaa0001\n", "stage: lead\n", "amount: 12.5\n", "history:\n", "  - {stage: lead, at: x}\n",
    "categories: [small, \n", "&a [*a]\n", "*b\n", "<<<<<<< HEAD\n", "=======\n", "? [a]\n: b\n", "\t\n",
    "created: 2026-02-30\n", "title: 'unterminated\n", "proposals:\n  - {price: }\n", "\ufeff", "\r\n", "- - - x\n",
    "acceptance_docs: [{path: ../x, sha256: 1}]\n", "contact: [a, b]\n", "loss_reason: {a: b}\n", "Пётр: «x»\n",
])


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(FRAGMENTS, max_size=12))
def test_record_like_text_never_raises(parts):
    record = build_record(SCHEMA, "deal", "deals/d-aaaa0001.md", "".join(parts).encode("utf-8"))
    for problem in record.problems:
        assert problem.line >= 1 and problem.column >= 1 and problem.code and problem.message


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(data):
    build_record(SCHEMA, "contact", "contacts/c-aaaa0001.md", b"---\n" + data + b"\n---\n")
    build_record(SCHEMA, "contact", "contacts/c-aaaa0001.md", data)
