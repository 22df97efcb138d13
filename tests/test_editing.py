"""funnel.editing: byte-exact edits of record front matter.

Most tests compare the EXACT resulting text with a hand-written expectation: the promise is that an edit
changes the edited key's lines and nothing else.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funnel.frontmatter.editing import EditError, append_item, render_record, set_field, unset_field

MSK = dt.timezone(dt.timedelta(hours=3))

ORDER = [
    "id", "title", "contact", "stage", "owner", "created", "needs", "categories", "finance_check",
    "legal_check", "debt_check", "proposals", "equipment", "amount", "install_address", "contract_type",
    "contract_changes", "next_action", "next_action_due", "loss_reason", "loss_comment", "lost_at", "history",
]

LONG = (
    "Wilo COR-3 Helix V 1605/SKw-EB-R, three pumps, frequency converters on each pump, dry-run protection, "
    "stainless steel collectors, control cabinet with a touch panel and remote dispatch over Modbus TCP"
)

# A hand-edited record: comments everywhere, both quote styles, a long line, Cyrillic, a 4-space block list,
# an unknown key, a `|` block whose text holds `---`, and a body with `---` lines.
RECORD = f"""\
---
# Deal record, edited by hand: keep the comments
id: d-7k3m9x2q
title: 'Booster pump station, North residential complex'  # as in the tender
contact: c-4f8h2k1z
stage: proposal
owner: ivanov
created: 2026-03-14
needs: |
  Three-pump pressure booster station, delivery before summer.
  ---
  Contact person: Иванов Пётр.
categories: [small, standard]
# money
equipment: {LONG}
amount: 1250000  # without VAT
install_address: "г. Москва, ул. Ленина, д. 5"
history:
    - {{stage: lead, at: 2026-03-14T10:02:00+03:00}}
    - {{stage: needs, at: 2026-03-15T09:00:00+03:00}}
x_crm_import: amo-123  # unknown to the schema, kept
---
# Notes

Call Иванов Пётр on Monday.
---
title: not front matter
"""

BODY = RECORD[RECORD.index("---\n# Notes"):]


def test_fixture_has_a_long_line():
    assert max(len(line) for line in RECORD.splitlines()) > 200


def test_replace_scalar_keeps_trailing_comment():
    out = set_field(RECORD, "amount", Decimal("1250000.10"), ORDER)
    assert out == RECORD.replace("amount: 1250000  # without VAT", "amount: 1250000.10  # without VAT")


def test_replace_plain_with_value_needing_quotes():
    out = set_field(RECORD, "owner", "no", ORDER)
    assert out == RECORD.replace("owner: ivanov\n", "owner: 'no'\n")


def test_replace_single_quoted_keeps_single_quotes_and_comment():
    out = set_field(RECORD, "title", "Booster station, it's North", ORDER)
    assert out == RECORD.replace(
        "title: 'Booster pump station, North residential complex'  # as in the tender",
        "title: 'Booster station, it''s North'  # as in the tender",
    )


def test_replace_single_quoted_with_value_needing_escapes_goes_double():
    out = set_field(RECORD, "title", "tab\there", ORDER)
    assert out == RECORD.replace(
        "title: 'Booster pump station, North residential complex'  # as in the tender",
        'title: "tab\\there"  # as in the tender',
    )


def test_replace_double_quoted_keeps_double_quotes_cyrillic_unescaped():
    out = set_field(RECORD, "install_address", "г. Москва, ул. Ленина, д. 7", ORDER)
    assert out == RECORD.replace('"г. Москва, ул. Ленина, д. 5"', '"г. Москва, ул. Ленина, д. 7"')


def test_replace_long_line():
    out = set_field(RECORD, "equipment", LONG + " and spare parts", ORDER)
    assert out == RECORD.replace(LONG, LONG + " and spare parts")


def test_replace_flow_list():
    out = set_field(RECORD, "categories", ["small", "large"], ORDER)
    assert out == RECORD.replace("categories: [small, standard]", "categories: [small, large]")


def test_flow_list_with_unsafe_item_becomes_block_list_in_file_indentation():
    out = set_field(RECORD, "categories", ["small", "0123"], ORDER)
    assert out == RECORD.replace("categories: [small, standard]\n", "categories:\n    - small\n    - '0123'\n")


def test_replace_block_list_keeps_its_indentation():
    history = [
        {"stage": "lead", "at": dt.datetime(2026, 3, 14, 10, 2, tzinfo=MSK)},
        {"stage": "approval", "at": dt.datetime(2026, 3, 16, 12, 30, tzinfo=MSK)},
    ]
    out = set_field(RECORD, "history", history, ORDER)
    assert out == RECORD.replace(
        "    - {stage: needs, at: 2026-03-15T09:00:00+03:00}\n",
        "    - {stage: approval, at: 2026-03-16T12:30:00+03:00}\n",
    )


def test_replace_literal_block():
    out = set_field(RECORD, "needs", "One pump.\nСрочно: до лета.\n", ORDER)
    assert out == RECORD.replace(
        "needs: |\n"
        "  Three-pump pressure booster station, delivery before summer.\n"
        "  ---\n"
        "  Contact person: Иванов Пётр.\n",
        "needs: |\n  One pump.\n  Срочно: до лета.\n",
    )


def test_replace_literal_block_with_one_line_value():
    out = set_field(RECORD, "needs", "pumps", ORDER)
    assert out == RECORD.replace(
        "needs: |\n"
        "  Three-pump pressure booster station, delivery before summer.\n"
        "  ---\n"
        "  Contact person: Иванов Пётр.\n",
        "needs: pumps\n",
    )


def test_multiline_without_final_newline_is_strip_block():
    out = set_field(RECORD, "next_action", "call\nwrite", ORDER)
    assert "next_action: |-\n  call\n  write\n" in out


def test_multiline_that_a_block_cannot_hold_is_double_quoted():
    out = set_field(RECORD, "next_action", "trailing  \nspaces", ORDER)
    assert 'next_action: "trailing  \\nspaces"\n' in out
    out = set_field(RECORD, "next_action", " indented\nfirst", ORDER)
    assert 'next_action: " indented\\nfirst"\n' in out


def test_same_value_returns_text_unchanged():
    for key, value in [
        ("amount", Decimal("1250000")),
        ("amount", 1250000),
        ("created", dt.date(2026, 3, 14)),
        ("created", "2026-03-14"),
        ("title", "Booster pump station, North residential complex"),
        ("categories", ["small", "standard"]),
        ("needs", "Three-pump pressure booster station, delivery before summer.\n---\nContact person: Иванов Пётр.\n"),
        ("history", [
            {"stage": "lead", "at": dt.datetime(2026, 3, 14, 10, 2, tzinfo=MSK)},
            {"stage": "needs", "at": "2026-03-15T09:00:00+03:00"},
        ]),
    ]:
        assert set_field(RECORD, key, value, ORDER) is RECORD, key


def test_insert_in_schema_order_middle():
    out = set_field(RECORD, "finance_check", "approved", ORDER)
    assert out == RECORD.replace(
        "categories: [small, standard]\n", "categories: [small, standard]\nfinance_check: approved\n"
    )


def test_insert_after_whole_block_of_predecessor():
    out = set_field(RECORD, "next_action", "ask finance about restrictions", ORDER)
    assert out == RECORD.replace('д. 5"\n', 'д. 5"\nnext_action: ask finance about restrictions\n')
    # after a `|` block (the predecessor's continuation lines stay with it)
    text = RECORD.replace("categories: [small, standard]\n", "")
    assert set_field(text, "categories", ["large"], ORDER) == RECORD.replace("[small, standard]", "[large]")
    # after a block list, before the unknown key that follows it
    out = set_field(RECORD, "zz", "1", ORDER + ["zz"])
    assert out == RECORD.replace("x_crm_import", "zz: '1'\nx_crm_import")


def test_insert_key_last_in_order_goes_after_its_predecessor():
    text = "---\nid: d-1\nstage: lead\nx_other: 1\n---\n"
    out = set_field(text, "history", [{"stage": "lead", "at": dt.datetime(2026, 3, 14, 10, 2, tzinfo=MSK)}], ORDER)
    assert out == (
        "---\nid: d-1\nstage: lead\nhistory:\n  - {stage: lead, at: 2026-03-14T10:02:00+03:00}\nx_other: 1\n---\n"
    )


def test_insert_unknown_key_at_end():
    out = set_field(RECORD, "x_note", "a: b", ORDER)
    assert out == RECORD.replace(
        "x_crm_import: amo-123  # unknown to the schema, kept\n",
        "x_crm_import: amo-123  # unknown to the schema, kept\nx_note: 'a: b'\n",
    )


def test_insert_before_nearest_following_key():
    text = "---\n# header comment\ntitle: X\nowner: ivanov\n---\n"
    assert set_field(text, "id", "d-1", ORDER) == "---\n# header comment\nid: d-1\ntitle: X\nowner: ivanov\n---\n"


def test_insert_into_empty_front_matter():
    assert set_field("---\n---\nbody\n", "id", "d-1", ORDER) == "---\nid: d-1\n---\nbody\n"
    assert set_field("---\n# only a comment\n---\n", "id", "d-1", ORDER) == "---\n# only a comment\nid: d-1\n---\n"


def test_insert_block_list_uses_file_list_indentation():
    out = set_field(RECORD, "proposals", [{"option": "economy", "equipment": "Wilo COR-3", "price": Decimal("890000")}],
                    ORDER)
    assert out == RECORD.replace(
        "# money\n", "proposals:\n    - {option: economy, equipment: Wilo COR-3, price: 890000}\n# money\n"
    )


def test_insert_mapping_value():
    out = set_field("---\nid: d-1\n---\n", "x_map", {"a": "1", "b": ["x", "on"]}, ORDER)
    assert out == "---\nid: d-1\nx_map:\n  a: '1'\n  b: [x, 'on']\n---\n"


def test_unset_removes_whole_block_only():
    out = unset_field(RECORD, "needs")
    assert out == RECORD.replace(
        "needs: |\n"
        "  Three-pump pressure booster station, delivery before summer.\n"
        "  ---\n"
        "  Contact person: Иванов Пётр.\n",
        "",
    )
    assert unset_field(RECORD, "history") == RECORD.replace(
        "history:\n"
        "    - {stage: lead, at: 2026-03-14T10:02:00+03:00}\n"
        "    - {stage: needs, at: 2026-03-15T09:00:00+03:00}\n",
        "",
    )
    assert unset_field(RECORD, "amount") == RECORD.replace("amount: 1250000  # without VAT\n", "")


def test_unset_absent_key_is_identity():
    assert unset_field(RECORD, "loss_reason") is RECORD


def test_append_history_four_space_style():
    item = {"stage": "approval", "at": dt.datetime(2026, 3, 16, 12, 30, tzinfo=MSK)}
    out = append_item(RECORD, "history", item, ORDER)
    assert out == RECORD.replace(
        "    - {stage: needs, at: 2026-03-15T09:00:00+03:00}\n",
        "    - {stage: needs, at: 2026-03-15T09:00:00+03:00}\n"
        "    - {stage: approval, at: 2026-03-16T12:30:00+03:00}\n",
    )


def test_append_history_two_space_and_zero_indent_styles():
    item = {"stage": "needs", "at": dt.datetime(2026, 3, 15, 9, 0, tzinfo=MSK)}
    two = "---\nid: d-1\nhistory:\n  - {stage: lead, at: 2026-03-14T10:02:00+03:00}\n# end\n---\nbody\n"
    assert append_item(two, "history", item, ORDER) == (
        "---\nid: d-1\nhistory:\n  - {stage: lead, at: 2026-03-14T10:02:00+03:00}\n"
        "  - {stage: needs, at: 2026-03-15T09:00:00+03:00}\n# end\n---\nbody\n"
    )
    zero = "---\nhistory:\n- {stage: lead, at: 2026-03-14T10:02:00+03:00}\n---\n"
    assert append_item(zero, "history", item, ORDER) == (
        "---\nhistory:\n- {stage: lead, at: 2026-03-14T10:02:00+03:00}\n"
        "- {stage: needs, at: 2026-03-15T09:00:00+03:00}\n---\n"
    )


def test_append_history_absent_key_creates_it():
    text = "---\nid: d-1\nstage: lead\ncreated: 2026-03-14\n---\n"
    item = {"stage": "lead", "at": dt.datetime(2026, 3, 14, 10, 2, tzinfo=MSK)}
    assert append_item(text, "history", item, ORDER) == (
        "---\nid: d-1\nstage: lead\ncreated: 2026-03-14\n"
        "history:\n  - {stage: lead, at: 2026-03-14T10:02:00+03:00}\n---\n"
    )
    assert append_item("---\nhistory:\n---\n", "history", item, ORDER) == (
        "---\nhistory:\n  - {stage: lead, at: 2026-03-14T10:02:00+03:00}\n---\n"
    )


def test_append_block_mapping_items_keep_their_style():
    text = "---\nproposals:\n  - option: economy\n    price: 890000\n---\n"
    out = append_item(text, "proposals", {"option": "premium", "price": Decimal("1600000")}, ORDER)
    assert out == "---\nproposals:\n  - option: economy\n    price: 890000\n  - option: premium\n    price: 1600000\n---\n"


def test_append_to_flow_list_rewrites_only_that_value():
    text = "---\ncategories: [ small, standard ]  # sizes\n---\n"
    assert append_item(text, "categories", "large", ORDER) == "---\ncategories: [ small, standard, large ]  # sizes\n---\n"
    assert append_item("---\ncategories: []\n---\n", "categories", "large", ORDER) == "---\ncategories: [large]\n---\n"


def test_append_to_scalar_is_refused():
    with pytest.raises(EditError):
        append_item(RECORD, "owner", "x", ORDER)


def test_bom_and_crlf_are_kept():
    crlf = "\ufeff" + RECORD.replace("\n", "\r\n")
    out = set_field(crlf, "amount", Decimal("1250000.10"), ORDER)
    assert out.encode("utf-8") == ("\ufeff" + RECORD.replace("amount: 1250000 ", "amount: 1250000.10 ")).replace(
        "\n", "\r\n").encode("utf-8")
    out = set_field(crlf, "next_action", "line one\nline two\n", ORDER)
    assert out == crlf.replace('д. 5"\r\n', 'д. 5"\r\nnext_action: |\r\n  line one\r\n  line two\r\n')
    item = {"stage": "approval", "at": dt.datetime(2026, 3, 16, 12, 30, tzinfo=MSK)}
    out = append_item(crlf, "history", item, ORDER)
    assert out == crlf.replace(
        "x_crm_import", "    - {stage: approval, at: 2026-03-16T12:30:00+03:00}\r\nx_crm_import")
    assert unset_field(crlf, "amount") == crlf.replace("amount: 1250000  # without VAT\r\n", "")


def test_key_line_comment_kept_when_block_value_replaced():
    text = "---\nhistory:  # stage log\n  - {stage: lead, at: x}\nid: d-1\n---\n"
    out = set_field(text, "history", [{"stage": "needs", "at": "z"}], ORDER)
    assert out == "---\nhistory:  # stage log\n  - {stage: needs, at: z}\nid: d-1\n---\n"


def test_empty_value_is_filled_in_place():
    text = "---\nowner:   # who\nid: d-1\n---\n"
    assert set_field(text, "owner", "ivanov", ORDER) == "---\nowner: ivanov   # who\nid: d-1\n---\n"


@pytest.mark.parametrize("value, rendered", [
    ("no", "'no'"), ("on", "'on'"), ("Yes", "'Yes'"), ("y", "'y'"), ("0123", "'0123'"), ("1:30", "'1:30'"),
    ("2026-03-14", "'2026-03-14'"), ("null", "'null'"), ("~", "'~'"), ("123", "'123'"), ("1e3", "'1e3'"),
    ("0x1F", "'0x1F'"), (".inf", "'.inf'"), ("- x", "'- x'"), ("a: b", "'a: b'"), ("#x", "'#x'"),
    ("a #b", "'a #b'"), (" lead", "' lead'"), ("lead ", "'lead '"), ("", "''"), ("<<", "'<<'"), ("=", "'='"),
    ("it's", "it's"), ('"q"', "'\"q\"'"), ("---", "'---'"), ("a\tb", '"a\\tb"'), ("bell\x07", '"bell\\a"'),
    ("Иванов Пётр", "Иванов Пётр"), ("г. Москва, ул. Ленина, д. 5", "г. Москва, ул. Ленина, д. 5"),
    ("+7 (912) 345-67-89", "+7 (912) 345-67-89"), ("ivanov@vodokanal.ru", "ivanov@vodokanal.ru"),
    ("ЛС\u2028x", '"ЛС\\Lx"'), ("\ufeffbom", '"\\uFEFFbom"'),
    (Decimal("1250000.10"), "1250000.10"), (1250000, "1250000"), (dt.date(2026, 3, 14), "2026-03-14"),
    (dt.datetime(2026, 3, 14, 10, 2, tzinfo=MSK), "2026-03-14T10:02:00+03:00"),
])
def test_scalar_rendering(value, rendered):
    assert set_field("---\nid: d-1\n---\n", "x", value, ORDER) == f"---\nid: d-1\nx: {rendered}\n---\n"


def test_list_rendering():
    assert render_record([("a", ["x", Decimal("1.50"), dt.date(2026, 1, 2)]), ("b", []), ("c", ["a,b", "y"])]) == (
        "---\na: [x, 1.50, 2026-01-02]\nb: []\nc:\n  - a,b\n  - 'y'\n---\n"
    )


def test_render_record():
    text = render_record(
        [
            ("id", "d-7k3m9x2q"),
            ("title", "Booster pump station, North residential complex"),
            ("contact", "c-4f8h2k1z"),
            ("stage", "lead"),
            ("owner", "ivanov"),
            ("created", dt.date(2026, 3, 14)),
            ("amount", Decimal("1250000")),
            ("install_address", "г. Москва, ул. Ленина, д. 5"),
            ("categories", ["small", "standard"]),
            ("needs", "Three-pump pressure booster station,\ndelivery before summer.\n"),
            ("history", [{"stage": "lead", "at": dt.datetime(2026, 3, 14, 10, 2, tzinfo=MSK)}]),
        ],
        "Notes.\n---\n",
    )
    assert text == (
        "---\n"
        "id: d-7k3m9x2q\n"
        "title: Booster pump station, North residential complex\n"
        "contact: c-4f8h2k1z\n"
        "stage: lead\n"
        "owner: ivanov\n"
        "created: 2026-03-14\n"
        "amount: 1250000\n"
        "install_address: г. Москва, ул. Ленина, д. 5\n"
        "categories: [small, standard]\n"
        "needs: |\n"
        "  Three-pump pressure booster station,\n"
        "  delivery before summer.\n"
        "history:\n"
        "  - {stage: lead, at: 2026-03-14T10:02:00+03:00}\n"
        "---\n"
        "Notes.\n"
        "---\n"
    )


def test_render_record_empty_and_duplicate():
    assert render_record([]) == "---\n---\n"
    with pytest.raises(ValueError):
        render_record([("a", "1"), ("a", "2")])


@pytest.mark.parametrize("text, fragment", [
    ("no front matter\n", "first line"),
    ("---\nid: d-1\n", "not closed"),
    ("---\nid: [unclosed\n---\n", "not valid YAML"),
    ("---\n- a\n- b\n---\n", "block mapping"),
    ("---\n{id: d-1}\n---\n", "block mapping"),
    ("---\nbase: &b x\nother: *b\n---\n", "aliases"),
    ("---\nid: a\nid: b\n---\n", "duplicate key"),
    ("---\n? [complex, key]\n: v\n---\n", "simple one-line keys"),
    ("---\nid: a\rb\n---\n", "line break"),
    ("---\nid: a\n...\n---\n", "cannot tell which key"),
])
def test_refused_inputs(text, fragment):
    with pytest.raises(EditError, match=fragment):
        set_field(text, "id", "x", ORDER)


def test_unsupported_values_are_refused():
    with pytest.raises(TypeError):
        set_field(RECORD, "x", True, ORDER)
    with pytest.raises(TypeError):
        set_field(RECORD, "x", 1.5, ORDER)
    with pytest.raises(ValueError):
        set_field(RECORD, "x", dt.datetime(2026, 1, 1), ORDER)


# ---------------------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------------------

TRICKY = ["no", "on", "off", "yes", "y", "n", "0123", "1:30", "2026-03-14", "null", "~", "123", "- x", "a: b",
          "#x", " lead", "trail ", "", "0o17", "1e3", "1_000", ".5", "<<", "=", "[x]", "{a: b}", "x?y", "a,b",
          "---", "...", "'", '"', "@x", "`x", "%x", "!x", "&x", "*x", "|", ">", "Иванов Пётр",
          "г. Москва, ул. Ленина, д. 5", "line\nline", "end\n", "two\n\n", "\n", "\nlead", " x\ny", "a  \nb",
          "tab\tx", "\t", "x\r\ny", "\x85", "\u2028", "\ufeff"]

scalars = st.one_of(
    st.text(),
    st.sampled_from(TRICKY),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.integers(),
    st.dates(),
    st.datetimes(timezones=st.integers(-1439, 1439).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))),
)
keys = st.one_of(st.sampled_from(["stage", "at", "option", "price"]), st.text(min_size=1, max_size=8))
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=4),
    st.lists(st.dictionaries(keys, scalars, max_size=3), max_size=3),
    st.dictionaries(keys, st.one_of(scalars, st.lists(scalars, max_size=2)), max_size=3),
)
FIELDS = ["amount", "title", "install_address", "needs", "categories", "history", "owner", "next_action", "x_new",
          "id"]


def untyped(value):
    """The string form a CBaseLoader reader must get back (written independently of the module)."""
    if isinstance(value, list):
        return [untyped(v) for v in value]
    if isinstance(value, dict):
        return {k: untyped(v) for k, v in value.items()}
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")  # decimals are written positionally: 1E-7 is no number to a reader
    return str(value)


def front_matter(text):
    lines = text.lstrip("\ufeff").split("\n")
    end = lines.index("---", 1) if "---" in lines[1:] else [l.rstrip("\r") for l in lines].index("---", 1)
    return "\n".join(lines[1:end]) + "\n", "\n".join(lines[end:])


def parsed(text):
    fm, rest = front_matter(text)
    node = yaml.compose(fm, Loader=yaml.CBaseLoader)
    return {k.value: tree(v) for k, v in node.value}, rest


def tree(node):
    if isinstance(node, yaml.ScalarNode):
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [tree(n) for n in node.value]
    return {k.value: tree(v) for k, v in node.value}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(FIELDS), value=values, crlf=st.booleans())
def test_set_field_round_trips(key, value, crlf):
    original = "\ufeff" + RECORD.replace("\n", "\r\n") if crlf else RECORD
    out = set_field(original, key, value, ORDER)
    before, body_before = parsed(original)
    after, body_after = parsed(out)
    assert after[key] == untyped(value)
    before.pop(key, None)
    after.pop(key)
    assert after == before
    assert body_after == body_before
    assert out.startswith("\ufeff") == crlf
    if crlf:
        assert "\n" not in out.replace("\r\n", "")
    # Every other line is untouched: removing the key from both leaves the same bytes.
    assert unset_field(out, key) == unset_field(original, key)
    # Idempotent: the same value again changes no byte.
    assert set_field(out, key, value, ORDER) is out


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(st.text(), st.sampled_from(TRICKY), st.lists(st.one_of(st.text(), st.sampled_from(TRICKY)),
                                                                      max_size=4)))
def test_yaml_1_1_readers_read_the_same_strings(value):
    text = render_record([("k", value)])
    fm, _ = front_matter(text)
    assert yaml.safe_load(fm) == {"k": value}  # PyYAML's pure-Python scanner and YAML 1.1 resolvers


@settings(max_examples=200, deadline=None)
@given(items=st.lists(st.dictionaries(keys, scalars, min_size=1, max_size=3), min_size=1, max_size=4),
       indent=st.sampled_from(["", "  ", "    "]))
def test_append_item_round_trips(items, indent):
    text = f"---\nid: d-1\nhistory:\n{indent}- {{stage: lead, at: x}}\nowner: me\n---\nbody\n"
    expected = [{"stage": "lead", "at": "x"}]
    for item in items:
        text = append_item(text, "history", item, ORDER)
        expected.append(untyped(item))
    after, rest = parsed(text)
    assert after == {"id": "d-1", "history": expected, "owner": "me"}
    assert rest == "---\nbody\n"
    assert all(line.startswith(indent + "- {") for line in text.split("\n")[3:3 + len(expected)])


@settings(max_examples=500)
@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=12)
       | st.sampled_from(["\x1f", "\x20", "\x7e", "\x7f", "\x9f", "\xa0", "\u2027", "\u2028", "\u2029", "\u202a",
                          "\ud7ff", "\ud800", "\udfff", "\ue000", "\ufefe", "\ufeff", "\uff00", "\ufffd", "\ufffe",
                          "\uffff", "\U00010000", "\U0010ffff", '"', "\\", "a\x00b"]))
def test_the_loud_class_is_exactly_the_complement_of_the_quiet_one(text):
    """editing.py matches the characters YAML allows unescaped by the complement of their class (cheap to
    compile): the same answers as the class itself, for every code point."""
    import re

    from funnel.frontmatter import editing

    assert editing._quiet(text) == (re.fullmatch(f"[{editing._QUIET}]*", text) is not None)
    assert editing._NEEDS_ESCAPE.findall(text) == re.findall(f'[^{editing._QUIET}]|["\\\\]', text)
