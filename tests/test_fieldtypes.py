"""Field types: one object per type, the one place for reading, plain form, text, `--where` and equality."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from conftest import CONTACT, REFERENCE_SCHEMA, full_deal
from funnel.model.fieldtypes import DECLARABLE, TYPES, InvalidValue, parse_date, read_date
from funnel.model.schema import SchemaError, load_schema, parse_schema
from funnel.output import cell_text, json_text, to_json_value

MSK = timezone(timedelta(hours=3))


@pytest.fixture(scope="module")
def deals_kind():
    return load_schema(REFERENCE_SCHEMA).deals


# one typical value per field of the reference schema's deals, covering every type a deal can hold
SAMPLES = {
    "title": "Насосная станция",
    "needs": "Две строки\nтекста",
    "contact": "c-ivanov01",
    "categories": ["small", "standard"],
    "amount": Decimal("1250000.50"),
    "contract_signed_on": date(2026, 4, 2),
    "finance_check": "approved",
    "loss_reason": "finance_ban",
    "lost_at": "approval",
    "proposals": [{"option": "economy", "equipment": "Wilo COR-3", "price": Decimal("890000")}],
    "acceptance_docs": [{"path": "files/act.pdf", "sha256": "a" * 64}],
    "history": [{"stage": "lead", "at": datetime(2026, 3, 14, 10, 2, tzinfo=MSK)}],
    "imported_at": datetime(2026, 3, 20, 9, 30, tzinfo=MSK),
}


def test_every_type_the_schema_language_has_is_one_class():
    assert set(DECLARABLE) == {"string", "text", "integer", "decimal", "date", "email", "phone", "choice",
                               "multichoice", "contact", "objects", "attachments", "loss_reason", "stage"}
    assert set(TYPES) == set(DECLARABLE) | {"history", "timestamp"}  # built in: history, imported_at
    assert all(TYPES[name].name == name for name in TYPES)


def test_the_samples_cover_every_type_a_deal_holds(deals_kind):
    types = {deals_kind.fields[name].type for name in SAMPLES}
    assert types == {spec.type for spec in deals_kind.fields.values()}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_plain_form_round_trips_and_is_json(deals_kind, name):
    spec = deals_kind.fields[name]
    value = SAMPLES[name]
    plain = spec.fieldtype.to_plain(value)
    json.dumps(plain)  # JSON- (and marshal-) able
    back = spec.fieldtype.from_plain(plain)
    assert back == value
    assert spec.fieldtype.from_plain_column([plain, None]) == [value, None]
    assert spec.fieldtype.equal(back, value)


def test_equality_is_by_meaning(deals_kind):
    fields = deals_kind.fields
    assert fields["amount"].fieldtype.equal(Decimal("1250000.5"), Decimal("1250000.50"))
    assert not fields["amount"].fieldtype.equal(Decimal("1250000.5"), Decimal("1250000.51"))
    assert fields["categories"].fieldtype.equal(["small", "standard"], ["standard", "small"])
    assert not fields["categories"].fieldtype.equal(["small"], ["small", "standard"])
    assert not fields["categories"].fieldtype.equal(["small"], None)
    proposals = fields["proposals"].fieldtype
    assert proposals.equal([{"price": Decimal("1.0")}], [{"price": Decimal("1")}])
    assert not proposals.equal([{"price": Decimal("1")}], [{"price": Decimal("2")}])
    assert not fields["title"].fieldtype.equal("a", "a ")


@pytest.mark.parametrize("text", ["١٢٣", "１２３", "1e5", "1,5", "12.", ".5", " 12"])
def test_numbers_are_ascii_digits_only(deals_kind, text):
    with pytest.raises(InvalidValue, match="amount"):
        deals_kind.fields["amount"].fieldtype.parse(text)


@pytest.mark.parametrize("text", ["２０２６-03-05", "2026-3-5", "05.03.2026", "2026-02-30", "٢٠٢٦-03-05"])
def test_a_date_is_read_one_way(text):
    assert read_date(text) is None
    with pytest.raises(InvalidValue, match="--since: .* is not a date YYYY-MM-DD"):
        parse_date(text, "--since")
    assert parse_date("2026-03-05") == date(2026, 3, 5)


def test_non_ascii_digits_in_a_file_are_refused(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT,
                      "deals/d-1.md": full_deal("d-aaaa0001", "lead", drop=("amount",), extra="amount: ١٢٣\n")})
    result = run("check", "--root", str(root))
    assert result.exit_code == 1
    assert "amount: expected a decimal number like 1250000.50, not '١٢٣' [type]" in result.output


@pytest.mark.parametrize("value", [Decimal("1E-7"), Decimal("1.2E+28"), Decimal("-5E-3")])
def test_decimals_are_printed_in_positional_notation(value):
    expected = format(value, "f")
    assert "E" not in expected
    assert json_text({"a": value}) == json.dumps({"a": expected})
    assert to_json_value([value]) == [expected]
    assert cell_text(value) == expected


def test_the_reference_schema_refuses_a_negative_amount(workspace, run):
    root = workspace({"contacts/c-ivanov01.md": CONTACT,
                      "deals/d-1.md": full_deal("d-aaaa0001", "lead", drop=("amount",), extra="amount: -5\n")})
    result = run("check", "--root", str(root))
    assert result.exit_code == 1
    assert "amount: must be at least 0, not -5 [min]" in result.output
    result = run("set", "d-aaaa0001", "amount=-1", "--root", str(root))
    assert result.exit_code == 1
    assert "amount: must be at least 0, not -1" in result.output


def _schema_with(replace: str, by: str) -> bytes:
    text = REFERENCE_SCHEMA.read_text(encoding="utf-8")
    assert replace in text
    return text.replace(replace, by, 1).encode()


@pytest.mark.parametrize("replace, by, message", [
    ("rot_days: 3", "rot_days: -1", "rot_days must be at least 0, not -1"),
    ("rot_days: 3", "rot_days: ３", "rot_days must be a whole number, not '３'"),
    ("amount: {type: decimal, label: Amount, min: 0}", "amount: {type: decimal, label: Amount, min: x}",
     "field 'amount': min must be a decimal number, not 'x'"),
    ("install_address: {type: text, label: Installation address}",
     "install_address: {type: text, label: Installation address, min: 1}", "field 'install_address' of type text takes no min"),
])
def test_schema_validation_of_numbers(replace, by, message):
    with pytest.raises(SchemaError) as caught:
        parse_schema(_schema_with(replace, by))
    assert any(message in problem.message for problem in caught.value.problems), caught.value.problems
