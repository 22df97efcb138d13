"""`--where` conditions (query.py): typed comparisons, schema order, contains, empty, contact.FIELD, refusals."""

from __future__ import annotations

from datetime import date

import pytest

from conftest import CONTACT, deal
from funnel.views.query import QueryError, WhereSyntaxError, ViewContext, column, parse_where, select
from funnel.store.workspace import load_workspace

FAIR_CONTACT = CONTACT.replace("c-ivanov01", "c-fair0001").replace("source: website", "source: exhibition")


def deal_with(deal_id: str, stage: str, contact: str, extra: str = "") -> str:
    return deal(deal_id, stage, f"title: Сделка {deal_id}\ncontact: {contact}\nowner: ivanov\ncreated: 2026-03-14\n"
                + extra)


@pytest.fixture
def context(workspace):
    root = workspace({
        "contacts/c-ivanov01.md": CONTACT,
        "contacts/c-fair0001.md": FAIR_CONTACT,
        "deals/d-small001.md": deal_with("d-small001", "lead", "c-ivanov01",
                                         "amount: 999999.99\ncategories: [small]\nnext_action_due: 2026-03-20\n"),
        "deals/d-big00001.md": deal_with("d-big00001", "contract", "c-fair0001",
                                         "amount: 1000000\ncategories: [small, large]\n"),
        "deals/d-huge0001.md": deal_with("d-huge0001", "invoice", "c-ivanov01", "amount: 12000000\n"),
        "deals/d-noamt001.md": deal_with("d-noamt001", "proposal", "c-fair0001"),
    })
    return ViewContext(load_workspace(root), date(2026, 3, 25))


def ids(context, *conditions: str) -> list[str]:
    wheres = [parse_where(text, context.schema, "deal") for text in conditions]
    deals = [record for record in context.workspace.records if record.kind == "deal"]
    return sorted(record.id for record in select(deals, wheres, context))


def test_amounts_compare_as_exact_decimals_not_text(context):
    assert ids(context, "amount>=1000000") == ["d-big00001", "d-huge0001"]
    assert ids(context, "amount<1000000") == ["d-small001"]  # "999999.99" > "1000000" as text
    assert ids(context, "amount=1000000.00") == ["d-big00001"]


def test_stage_follows_the_schema_order(context):
    assert ids(context, "stage>=contract") == ["d-big00001", "d-huge0001"]
    assert ids(context, "stage<proposal") == ["d-small001"]
    assert ids(context, "stage=proposal") == ["d-noamt001"]
    assert ids(context, "stage!=lead", "stage<=contract") == ["d-big00001", "d-noamt001"]


def test_contact_fields_are_read_through_the_deal(context):
    assert ids(context, "contact.source=exhibition") == ["d-big00001", "d-noamt001"]
    assert ids(context, "contact.source=exhibition", "amount>=1000000") == ["d-big00001"]


def test_multichoice_equals_means_contains(context):
    assert ids(context, "categories=small") == ["d-big00001", "d-small001"]
    assert ids(context, "categories=large,small") == ["d-big00001"]
    assert ids(context, "categories!=large") == ["d-huge0001", "d-noamt001", "d-small001"]


def test_an_empty_value_means_the_field_is_empty(context):
    assert ids(context, "amount=") == ["d-noamt001"]
    assert ids(context, "next_action_due!=") == ["d-small001"]
    assert ids(context, "categories=") == ["d-huge0001", "d-noamt001"]


def test_dates_and_computed_columns(context):
    assert ids(context, "next_action_due<2026-03-21") == ["d-small001"]
    assert ids(context, "overdue_days>=5") == ["d-small001"]
    assert ids(context, "days_in_stage>5") == ["d-small001"]  # in lead since 03-14; the others since 03-20
    assert ids(context, "id=d-huge0001") == ["d-huge0001"]
    assert ids(context, "client=ООО «Водоканал-Сервис»") == ["d-big00001", "d-huge0001", "d-noamt001",
                                                             "d-small001"]


def test_an_empty_field_meets_only_not_equal(context):
    assert "d-noamt001" not in ids(context, "amount<5")
    assert "d-noamt001" in ids(context, "amount!=5")


@pytest.mark.parametrize("condition, message", [
    ("sorce=website", "unknown field 'sorce' for deals; did you mean 'contact.source'?"),
    ("contact.sorce=website", "unknown field 'contact.sorce' for deals; did you mean 'contact.source'?"),
    ("amout>=5", "unknown field 'amout' for deals; did you mean 'amount'?"),
    ("amount>=1e6", "amount: '1e6' is not a decimal number"),
    ("amount>=", "an empty value goes only with = (is empty) or != (is not empty)"),
    ("created<yesterday", "created: 'yesterday' is not a date YYYY-MM-DD"),
    ("stage>=contrct", "stage: 'contrct' is not one of lead, needs"),
    ("contact.source=tv", "source: 'tv' is not one of website"),
    ("categories<small", "use = (contains) or != (does not contain)"),
    ("proposals=x", "proposals is a list; only proposals= (empty) and proposals!= (not empty) work on it"),
])
def test_refused_conditions_name_the_field(context, condition, message):
    with pytest.raises(QueryError) as raised:
        parse_where(condition, context.schema, "deal")
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_a_condition_without_an_operator_is_a_syntax_error(context):
    with pytest.raises(WhereSyntaxError):
        parse_where("amount", context.schema, "deal")


def test_contacts_have_no_contact_dot_fields(context):
    with pytest.raises(QueryError):
        column(context.schema, "contact", "contact.source")
    assert column(context.schema, "contact", "source").spec.type == "choice"
