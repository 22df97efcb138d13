"""schema.yaml is data and is validated like records: errors name its line."""

from __future__ import annotations

import pytest

from conftest import REFERENCE_SCHEMA
from funnel.model.schema import SchemaError, load_schema, parse_schema

MINIMAL = """\
stages:
  - {id: open, label: Open}
  - {id: won, terminal: won}
  - {id: lost, terminal: lost, requires: [loss_reason]}
loss_reasons: {price: Price}
contacts:
  fields:
    name: {type: string}
deals:
  fields:
    title: {type: string}
    loss_reason: {type: loss_reason}
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(SchemaError) as raised:
        parse_schema(text.encode("utf-8"))
    return [f"{p.line}:{p.column}: {p.message}" for p in raised.value.problems]


def test_reference_schema_is_the_pipeline_of_the_spec():
    schema = load_schema(REFERENCE_SCHEMA)
    assert [stage.id for stage in schema.stages] == [
        "lead", "needs", "approval", "proposal", "decision", "contract", "negotiation", "invoice", "delivery",
        "acceptance", "postpayment", "won", "lost"]
    assert [stage.id for stage in schema.stages if stage.optional] == ["negotiation"]
    assert schema.terminal_stage("won").id == "won" and schema.terminal_stage("lost").id == "lost"
    assert list(schema.loss_reasons) == ["price", "delivery_terms", "vanished", "other_supplier", "no_need",
                                         "finance_ban", "contract_terms", "other"]
    contact_fields = schema.contacts.fields
    assert list(contact_fields["source"].options) == ["website", "referral", "exhibition", "advertising",
                                                      "cold_call", "repeat", "other"]
    assert list(contact_fields["equipment_preference"].options) == ["domestic", "imported", "no_preference"]
    assert list(contact_fields["client_type"].options) == ["end_customer", "engineering_company"]
    deal_fields = schema.deals.fields
    for name in ("title", "contact", "owner", "created", "needs", "categories", "finance_check", "legal_check",
                 "debt_check", "proposals", "equipment", "amount", "install_address", "contract_type",
                 "contract_changes", "contract_signed_on", "prepayment_invoice", "prepayment_amount",
                 "prepayment_paid_on", "commissioned_on", "accepted_on", "acceptance_docs", "postpayment_amount",
                 "postpayment_paid_on", "next_action", "next_action_due", "loss_reason", "loss_comment", "lost_at"):
        assert name in deal_fields, name
    assert list(deal_fields["categories"].options) == ["ultra_small", "small", "standard", "large"]
    assert deal_fields["amount"].type == "decimal"
    assert deal_fields["acceptance_docs"].type == "attachments"
    assert all(0.0 <= stage.probability <= 1.0 for stage in schema.stages)


def test_minimal_schema_loads():
    schema = parse_schema(MINIMAL.encode())
    assert [stage.id for stage in schema.active_stages] == ["open"]


def test_unknown_keys_and_undeclared_names_are_errors_with_lines():
    text = MINIMAL.replace("  - {id: open, label: Open}", "  - {id: open, label: Open, requires: [titel], colour: red}")
    text = text.replace("    title: {type: string}", "    title: {type: strin}\n    kind: {type: choice, options: {a: A}}")
    text += "  card:\n    - title\n    - {field: amount, from: open}\n    - {field: title, from: nowhere}\n"
    text += "  rules:\n    - code: r\n      requires: [{field: kind, equals: b}]\n"
    assert problems_of(text) == [
        "2:40: deals: undeclared field 'titel'",
        "2:56: unknown key 'colour' in a stage (allowed: id, label, probability, rot_days, optional, terminal, "
        "requires)",
        "11:19: field 'title': unknown type 'strin' (one of attachments, choice, contact, date, decimal, email, "
        "integer, loss_reason, multichoice, objects, phone, stage, string, text)",
        "16:7: card shows undeclared field 'amount'",
        "17:28: card entry for 'title': unknown stage 'nowhere'",
        "20:18: 'b' is not an option of field 'kind'",
    ]


def test_duplicate_stage_ids_missing_terminals_and_bad_values():
    text = MINIMAL.replace("  - {id: won, terminal: won}", "  - {id: open, probability: 1.5}\n  - {id: won, optional: yes}")
    assert problems_of(text) == [
        "1:1: the pipeline needs a terminal stage with 'terminal: won'",
        "3:10: duplicate stage id 'open'",
        "3:29: probability must be between 0 and 1",
        "4:25: optional must be true or false",
    ]


def test_schema_yaml_itself_with_duplicate_keys_is_refused():
    assert problems_of(MINIMAL + "loss_reasons: {other: Other}\n") == ["13:1: duplicate key 'loss_reasons' (first on line 5)"]


def test_kind_answers_only_for_contacts_and_deals():
    from funnel.model.schema import load_schema
    from conftest import REFERENCE_SCHEMA

    schema = load_schema(REFERENCE_SCHEMA)
    assert schema.kind("deal") is schema.kind("deals") is schema.deals
    assert schema.kind("contact") is schema.kind("contacts") is schema.contacts
    with pytest.raises(ValueError, match="no kind of record called 'company'"):
        schema.kind("company")


def test_conditions_are_parsed_by_the_registry_beside_their_classes():
    from funnel.model import conditions as c

    assert {key: parse.__self__ for key, parse in c.PARSERS.items()} == {
        "any_of": c.AnyOf, "compare": c.Compare, "all": c.All, "any": c.AnyHolds, "not": c.Not,
        "prior_deal": c.PriorDeal}


def test_nested_conditions_and_an_unknown_one():
    from funnel.model import conditions as c
    from funnel.model.schema import SchemaError, parse_schema
    from conftest import REFERENCE_SCHEMA

    text = REFERENCE_SCHEMA.read_text(encoding="utf-8")
    rule = ("  rules:\n    - code: nested\n      when: {any: [{not: {field: owner}}, {all: [owner, {any_of: [title]}]}]}\n"
            "      requires: [title]\n")
    schema = parse_schema(text.replace("  rules:\n", rule + "    - code: x\n      requires: [title]\n", 1).encode())
    when = next(r for r in schema.deals.rules if r.code == "nested").when
    assert when == c.AnyHolds((c.Not(c.Present("owner")), c.All((c.Present("owner"), c.AnyOf(("title",))))))
    with pytest.raises(SchemaError) as caught:
        parse_schema(text.replace("  rules:\n", "  rules:\n    - code: y\n      requires: [{some: x}]\n", 1).encode())
    assert "unknown condition 'some' (field, any_of, compare, all, any, not, prior_deal)" in str(caught.value)
