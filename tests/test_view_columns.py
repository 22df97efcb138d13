"""Views read whole columns of the cache: what they read that way is what reading each record says — JSON
rows from plain columns, tables measured column by column, summaries of histories."""

from __future__ import annotations

import json
import os
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import age_all, benchmark_generators
from funnel import output
from funnel.model.fieldtypes import TYPES
from funnel.model.records import record_data, records_data
from funnel.model.schema import load_schema
from funnel.store.cache import CachedFields, json_columns
from funnel.store.workspace import load_workspace


def generated(tmp_path, deals=120):
    generate, _ = benchmark_generators()
    root = tmp_path / "generated"
    generate(root, deals, None, seed=5, attachments=False)
    return root


def test_json_rows_from_plain_columns_are_what_each_record_gives(tmp_path):
    root = generated(tmp_path)
    load_workspace(root, cached=True)
    workspace = load_workspace(root, cached=True)  # from the snapshot
    for kind in ("deal", "contact"):
        records = [record for record in workspace.records if record.kind == kind]
        assert records and all(isinstance(record.fields, CachedFields) for record in records)
        expected = [output.json_text(record_data(record, workspace.schema)) for record in records]
        assert output.json_texts(records_data(records, workspace.schema, json_columns)) == expected
        # and with records read afresh (no cache): the same
        fresh = [record for record in load_workspace(root).records if record.kind == kind]
        assert output.json_texts(records_data(fresh, workspace.schema, json_columns)) == expected


def test_json_rows_of_records_partly_outside_the_snapshot_read_its_columns_still(tmp_path):
    """One deal changed since the snapshot (its row outside it) joins the snapshot's store as a row after the
    snapshot's, so every deal reads its values from the one store: the same JSON, and no column typed as a
    whole (at 100,000 deals the history column alone made a million objects)."""
    root = generated(tmp_path)
    age_all(root)
    load_workspace(root, cached=True)
    changed = sorted((root / "deals").glob("*.md"))[5]
    changed.write_text(changed.read_text(encoding="utf-8").replace("\n---\n", "\nnote: правка\n---\n", 1),
                       encoding="utf-8")
    moment = time.time() - 10
    os.utime(changed, (moment, moment))  # out of the racy window, as the others
    workspace = load_workspace(root, cached=True)
    deals = [record for record in workspace.records if record.kind == "deal"]
    store = deals[0].fields._store
    assert all(isinstance(deal.fields, CachedFields) and deal.fields._store is store for deal in deals)
    (edited,) = [deal for deal in deals if deal.path == f"deals/{changed.name}"]
    assert edited.fields._row == len(store.paths) and edited.unknown["note"] == "правка"  # a row after the snapshot's
    typed = set(store._columns)  # the columns loading typed (ids, ...)
    rows = output.json_texts(records_data(deals, workspace.schema, json_columns))
    assert set(store._columns) == typed  # the rest converted from their plain forms, row by row
    assert rows == [output.json_text(record_data(deal, workspace.schema)) for deal in deals]
    assert '"note": "правка"' in " ".join(rows) and '"history": [' in rows[0] and "history" not in typed


def test_every_type_that_says_its_plain_form_is_json_means_it(tmp_path):
    """json_column(plain) is to_json_value(typed) for every field of generated records."""
    root = generated(tmp_path, deals=60)
    schema = load_schema(root / "schema.yaml")
    workspace = load_workspace(root, schema)
    checked = set()
    for record in workspace.records:
        fields = schema.kind(record.kind).fields
        for name, value in record.fields.items():
            fieldtype = fields[name].fieldtype
            json_form = fieldtype.json_column([fieldtype.to_plain(value)])
            if json_form is not None:
                assert json_form == [output.to_json_value(value)], name
                checked.add(type(fieldtype).__name__)
    assert {"StringType", "DecimalType", "DateType", "HistoryType", "ChoiceType", "MultichoiceType"} <= checked
    assert {name for name, kind in TYPES.items() if kind.plain_is_json} >= {"string", "decimal", "date"}


def test_json_texts_escape_bytes_that_were_not_utf8_as_json_text_does():
    bad = b"caf\xff".decode("utf-8", "surrogateescape")
    items = [{"title": bad, "n": 1}, {"title": "ok"}]
    assert output.json_texts(items) == [output.json_text(item) for item in items]
    assert json.loads(output.json_texts(items)[0])["title"] == "caf\\xff"


def cell_by_cell_table(rows, headers=None, right=(), gap="  ", width=None, whole=()):
    """format_table as it was written before it went column by column: each cell escaped and measured alone
    (the oracle)."""
    table = [[output.terminal_safe(cell) for cell in row] for row in ([headers] if headers else []) + rows]
    if not table:
        return []
    count = max(len(row) for row in table)
    cell_widths = [[output.display_width(cell) for cell in row] for row in table]
    widths = [max((row[i] for row in cell_widths if i < len(row)), default=0) for i in range(count)]
    right = list(right) + [False] * (count - len(right))
    if width is not None:
        floors = [max(4, output.display_width(headers[i]) if headers and i < len(headers) else 0)
                  for i in range(count)]
        capped = output.shrunk_widths(widths, [not r and i not in whole for i, r in enumerate(right)], floors,
                                      width - output.display_width(gap) * (count - 1))
        if capped != widths:
            widths = capped
            table = [[output.truncate(cell, widths[i]) if cell_widths[r][i] > widths[i] else cell
                      for i, cell in enumerate(row)] for r, row in enumerate(table)]
            cell_widths = [[min(w, widths[i]) if w <= widths[i] else output.display_width(row[i])
                            for i, w in enumerate(row_widths)] for row, row_widths in zip(table, cell_widths)]
    lines = []
    for row, row_widths in zip(table, cell_widths):
        parts = []
        for i, cell in enumerate(row):
            fill = " " * (widths[i] - row_widths[i])
            parts.append(fill + cell if right[i] else cell + fill)
        lines.append(gap.join(parts).rstrip())
    return lines


CELLS = st.text(alphabet=st.sampled_from(list("ab Z1-…") + ["Ж", "水", "\u0301", "\x1b", "\u202e", "\t", "😀"]),
                max_size=12)


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.lists(CELLS, min_size=0, max_size=4), min_size=0, max_size=6),
       headers=st.one_of(st.none(), st.lists(CELLS, min_size=1, max_size=4)),
       right=st.lists(st.booleans(), max_size=4), width=st.one_of(st.none(), st.integers(10, 60)))
def test_a_table_measured_by_columns_is_the_table_measured_by_cells(rows, headers, right, width):
    assert output.format_table(rows, headers, right, width=width, whole=[0]) == \
        cell_by_cell_table(rows, headers, right, width=width, whole=[0])
