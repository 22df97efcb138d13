"""`funnel list`: rows for people and pipelines, in every format, exact for a small workspace."""

from __future__ import annotations

import json

import pytest

from conftest import CONTACT, deal

TODAY = {"FUNNEL_TODAY": "2026-03-25"}
FAIR_CONTACT = """\
---
id: c-fair0001
name: Петрова Анна
phone: "+7 900 000-00-01"
source: exhibition
equipment_preference: imported
client_type: engineering_company
---
"""


def deal_with(deal_id: str, stage: str, contact: str, owner: str, extra: str = "", **kwargs) -> str:
    return deal(deal_id, stage, f"title: Сделка {deal_id[2:6]}\ncontact: {contact}\nowner: {owner}\n"
                                f"created: 2026-03-14\n{extra}", **kwargs)


FILES = {
    "contacts/c-ivanov01.md": CONTACT,
    "contacts/c-fair0001.md": FAIR_CONTACT,
    # lead since 03-14: 11 days, rot_days 3 -> stale by 8; next action due 03-20 -> overdue by 5
    "deals/d-aaaa0001.md": deal_with("d-aaaa0001", "lead", "c-ivanov01", "ivanov",
                                     "amount: 500000\nnext_action: Позвонить\nnext_action_due: 2026-03-20\n"),
    # contract since 03-20: 5 days, rot_days 10 -> not stale
    "deals/d-bbbb0001.md": deal_with("d-bbbb0001", "contract", "c-fair0001", "petrova",
                                     "amount: 1250000.50\ncategories: [small, large]\n"),
    # needs since 03-20: 5 days, rot_days 7 -> not stale; due today -> not overdue
    "deals/d-cccc0001.md": deal_with("d-cccc0001", "needs", "c-fair0001", "ivanov",
                                     "next_action_due: 2026-03-25\n"),
}


@pytest.fixture
def root(workspace, monkeypatch):
    made = workspace(FILES)
    monkeypatch.chdir(made)
    return made


def test_text_rows_in_pipeline_order_with_default_columns(root, run):
    result = run("list", "deals", env={**TODAY, "COLUMNS": "100"})
    assert (result.exit_code, result.stderr) == (0, "")
    # amounts as every text view shows them (board, show, reports); JSON and CSV keep plain numbers
    assert result.stdout == """\
id          stage     title        client                  owner          amount  days
d-aaaa0001  lead      Сделка aaaa  ООО «Водоканал-Сервис»  ivanov        500 000    11
d-cccc0001  needs     Сделка cccc  Петрова Анна            ivanov                    5
d-bbbb0001  contract  Сделка bbbb  Петрова Анна            petrova  1 250 000.50     5
"""


def test_the_text_table_fits_the_terminal_shrinking_the_widest_text_columns_first(root, run):
    narrow = run("list", "deals", env={**TODAY, "COLUMNS": "75"}).stdout.splitlines()
    assert all(len(line) <= 75 for line in narrow), narrow
    assert narrow[1].startswith("d-aaaa0001  lead ")  # ids are never cut
    assert "ООО «Водок…" in narrow[1] and "500 000" in narrow[1]  # the widest text gave way; numbers did not
    assert "Сделка aaaa" in narrow[1]  # narrower text columns kept whole


def test_no_headers_and_chosen_fields_with_contact_fields(root, run):
    result = run("list", "deals", "--fields", "id,contact.source,amount", "--no-headers", env=TODAY)
    assert result.stdout == """\
d-aaaa0001  website          500 000
d-cccc0001  exhibition
d-bbbb0001  exhibition  1 250 000.50
"""


def test_csv_and_tsv(root, run):
    csv = run("list", "deals", "--format", "csv", "--where", "owner=ivanov", env=TODAY)
    assert csv.stdout == ("id,stage,title,client,owner,amount,days_in_stage\n"
                          "d-aaaa0001,lead,Сделка aaaa,ООО «Водоканал-Сервис»,ivanov,500000,11\n"
                          "d-cccc0001,needs,Сделка cccc,Петрова Анна,ivanov,,5\n")
    tsv = run("list", "deals", "--format", "tsv", "--fields", "id,categories", "--where", "categories=small")
    assert tsv.stdout == "id\tcategories\nd-bbbb0001\tsmall,large\n"


def test_json_is_an_array_of_show_json_objects(root, run):
    result = run("list", "deals", "--format", "json", "--where", "stage>=contract")
    rows = json.loads(result.stdout)
    assert rows == [json.loads(run("show", "d-bbbb0001", "--format", "json").stdout)]
    assert rows[0]["amount"] == "1250000.50"


def test_json_and_jsonl_restricted_to_the_fields_asked(root, run):
    result = run("list", "deals", "--format", "json", "--fields", "id,amount,contact.name",
                 "--where", "amount>=1000000")
    assert json.loads(result.stdout) == [{"id": "d-bbbb0001", "amount": "1250000.50", "contact.name": "Петрова Анна"}]
    lines = run("list", "deals", "--format", "jsonl", "--fields", "id,stage").stdout.splitlines()
    assert [json.loads(line) for line in lines] == [{"id": "d-aaaa0001", "stage": "lead"},
                                                    {"id": "d-cccc0001", "stage": "needs"},
                                                    {"id": "d-bbbb0001", "stage": "contract"}]


def test_contacts(root, run):
    result = run("list", "contacts", env={"COLUMNS": "120"})
    assert result.stdout == """\
id          name                   company                 phone               email
c-fair0001  Петрова Анна                                   +7 900 000-00-01
c-ivanov01  Иванов Пётр Сергеевич  ООО «Водоканал-Сервис»  +7 (912) 345-67-89  ivanov@vodokanal.ru
"""
    assert run("list", "contacts", "--where", "company=", "--fields", "id", "--no-headers").stdout == "c-fair0001\n"
    assert run("list", "contacts", "--format", "csv", "--where", "source=website", "--fields", "id,source").stdout \
        == "id,source\nc-ivanov01,website\n"


def test_stale_lists_deals_past_rot_days_with_days_over(root, run):
    result = run("list", "deals", "--stale", "--fields", "id,stage,days_in_stage,stale_days", env=TODAY)
    assert result.stdout == "id          stage  days  stale_days\nd-aaaa0001  lead     11           8\n"
    data = json.loads(run("list", "deals", "--stale", "--format", "json", env=TODAY).stdout)
    assert [(row["id"], row["stale_days"]) for row in data] == [("d-aaaa0001", 8)]
    early = run("list", "deals", "--stale", env={"FUNNEL_TODAY": "2026-03-16"})
    assert (early.exit_code, early.stdout, early.stderr) == (0, "", "no deals to list\n")
    assert run("list", "deals", "--stale", "--format", "csv", env={"FUNNEL_TODAY": "2026-03-16"}).stdout == \
        "id,stage,title,client,owner,amount,days_in_stage,stale_days\n"


def test_due_lists_deals_whose_next_action_is_past(root, run):
    result = run("list", "deals", "--due", "--format", "csv", env=TODAY)
    assert result.stdout == ("id,stage,title,client,owner,amount,days_in_stage,next_action,next_action_due,"
                             "overdue_days\n"
                             "d-aaaa0001,lead,Сделка aaaa,ООО «Водоканал-Сервис»,ivanov,500000,11,Позвонить,"
                             "2026-03-20,5\n")
    later = run("list", "deals", "--due", "--fields", "id,overdue_days", "--format", "csv",
                env={"FUNNEL_TODAY": "2026-03-30"})
    assert later.stdout == "id,overdue_days\nd-aaaa0001,10\nd-cccc0001,5\n"


def test_owner_filter(root, run):
    assert run("list", "deals", "--owner", "petrova", "--fields", "id", "--no-headers").stdout == "d-bbbb0001\n"


def test_an_invalid_file_is_skipped_and_stdout_stays_data_only(root, run):
    (root / "deals/d-bad00001.md").write_text(FILES["deals/d-aaaa0001.md"].replace("d-aaaa0001", "d-bad00001")
                                              .replace("amount: 500000", "amount: lots"), encoding="utf-8")
    result = run("list", "deals", "--format", "csv", "--fields", "id")
    assert result.exit_code == 0
    assert result.stdout == "id\nd-aaaa0001\nd-cccc0001\nd-bbbb0001\n"
    assert result.stderr == "1 file skipped (invalid); run 'funnel check'\n"


def test_unknown_fields_and_bad_values_are_refused(root, run):
    unknown = run("list", "deals", "--where", "sorce=website")
    assert unknown.exit_code == 1 and unknown.stdout == ""
    assert unknown.stderr == "Error: unknown field 'sorce' for deals; did you mean 'contact.source'?\n"
    assert run("list", "deals", "--fields", "id,amout").exit_code == 1
    bad = run("list", "deals", "--where", "amount>=many")
    assert bad.exit_code == 1 and "amount: 'many' is not a decimal number" in bad.stderr
    assert run("list", "deals", "--where", "amount").exit_code == 2
    assert run("list", "contacts", "--stale").exit_code == 2
    assert run("list", "things").exit_code == 2


def test_rows_kept_column_by_column_read_as_rows_of_dicts():
    from funnel.views.listing import ColumnRows

    rows = ColumnRows(["id", "amount"], {"id": ["d-1", "d-2", "d-3"], "amount": [1, None, 3]}, 3)
    assert list(rows) == [{"id": "d-1", "amount": 1}, {"id": "d-2", "amount": None}, {"id": "d-3", "amount": 3}]
    assert rows[-1] == rows[2] == {"id": "d-3", "amount": 3} and rows[1:] == list(rows)[1:] and len(rows) == 3
    assert rows.column("amount") == [1, None, 3] and rows.column("title") == [None, None, None]
    with pytest.raises(IndexError):
        rows[3]
    assert list(ColumnRows([], {}, 2)) == [{}, {}]


from decimal import Decimal  # noqa: E402

from hypothesis import given, strategies as st  # noqa: E402

CELL_VALUES = st.one_of(st.none(), st.text(max_size=5), st.integers(-10**6, 10**6), st.booleans(),
                        st.decimals(allow_nan=False, allow_infinity=False, places=2),
                        st.lists(st.text(max_size=3), max_size=2))


@given(st.lists(CELL_VALUES, max_size=12) | st.lists(st.text(max_size=4) | st.none(), max_size=12)
       | st.lists(st.integers() | st.none(), max_size=12) | st.lists(st.decimals(allow_nan=False,
                                                                                 allow_infinity=False), max_size=12))
def test_a_column_converted_at_once_is_each_cell_converted(values):
    """output._cell_texts's map over a column of one type gives what converting each cell gives."""
    from funnel.model.fieldtypes import grouped_amount
    from funnel.output import _cell_texts, cell_text, plain_decimal

    for amount in (plain_decimal, grouped_amount):
        each = [value if type(value) is str else "" if value is None else str(value) if type(value) is int
                else amount(value) if isinstance(value, Decimal) else cell_text(value) for value in values]
        assert _cell_texts(list(values), amount) == each
