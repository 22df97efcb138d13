"""Which fields a card shows at a deal's stage (cards.py), judged on real files."""

from __future__ import annotations

import pytest

from conftest import CONTACT, deal, full_deal
from funnel.views.cards import card_fields
from funnel.store.workspace import load_workspace


def shown(workspace, text: str, show_all: bool = False) -> list[str]:
    root = workspace({"contacts/c-ivanov01.md": CONTACT, "deals/d-card0001.md": text})
    loaded = load_workspace(root)
    record = next(record for record in loaded.records if record.id == "d-card0001")
    return [item.spec.name for item in card_fields(record, loaded.schema, show_all)]


ALWAYS = ["title", "contact", "owner", "created", "amount", "next_action", "next_action_due"]


def test_a_new_deal_shows_only_the_fields_of_its_first_stage(workspace):
    assert shown(workspace, full_deal("d-card0001", "lead")) == ALWAYS


@pytest.mark.parametrize("stage, appears", [
    ("needs", ["needs", "categories"]),
    ("approval", ["finance_check", "legal_check", "debt_check"]),
    ("proposal", ["proposals"]),
    ("contract", ["equipment", "install_address", "contract_type"]),
    ("invoice", ["contract_signed_on", "prepayment_invoice", "prepayment_amount", "postpayment_amount"]),
    ("delivery", ["prepayment_paid_on"]),
])
def test_a_field_appears_once_the_deal_reaches_its_stage(workspace, stage, appears):
    fields = shown(workspace, full_deal("d-card0001", stage))
    assert set(appears) <= set(fields)
    assert "install_address" in fields if stage in ("contract", "invoice", "delivery") else \
        "install_address" not in fields


def test_install_address_is_hidden_before_contract_even_when_filled(workspace):
    at_proposal = shown(workspace, full_deal("d-card0001", "proposal"))
    assert "install_address" not in at_proposal and "equipment" not in at_proposal
    assert "install_address" in shown(workspace, full_deal("d-card0001", "contract"))


def test_loss_fields_only_on_a_lost_deal_judged_at_its_lost_at_stage(workspace):
    lost = full_deal("d-card0001", "lost",
                     extra="loss_reason: finance_ban\nloss_comment: Банк отказал\nlost_at: approval\n")
    fields = shown(workspace, lost)
    assert fields[-3:] == ["loss_reason", "loss_comment", "lost_at"]
    assert "finance_check" in fields  # reached approval
    assert "proposals" not in fields and "install_address" not in fields  # never reached them
    assert "loss_reason" not in shown(workspace, full_deal("d-card0001", "contract"))


def test_a_won_deal_shows_every_entry_that_holds_a_value_but_no_loss_fields(workspace):
    fields = shown(workspace, full_deal("d-card0001", "won"))
    assert "postpayment_paid_on" in fields and "install_address" in fields
    assert not {"loss_reason", "loss_comment", "lost_at"} & set(fields)
    # closed: nothing left to fill in, so empty fields are left out
    assert "next_action" not in fields and "acceptance_docs" not in fields and "contract_changes" not in fields


def test_an_open_deal_keeps_relevant_empty_fields_to_show_what_is_left_to_fill(workspace):
    fields = shown(workspace, deal("d-card0001", "needs", "title: Насос\n"))
    assert fields == ALWAYS + ["needs", "categories"]


def test_an_optional_stage_field_shows_only_when_the_deal_went_through_it(workspace):
    skipped = full_deal("d-card0001", "invoice")
    assert "contract_changes" not in shown(workspace, skipped)
    through = full_deal("d-card0001", "invoice", history=(
        "  - {stage: lead, at: 2026-03-14T10:02:00+03:00}\n"
        "  - {stage: negotiation, at: 2026-03-20T10:00:00+03:00}\n"
        "  - {stage: invoice, at: 2026-03-25T10:00:00+03:00}\n"))
    assert "contract_changes" in shown(workspace, through)
    assert "contract_changes" in shown(workspace, full_deal("d-card0001", "negotiation"))


def test_all_shows_every_schema_field_in_schema_order(workspace):
    fields = shown(workspace, full_deal("d-card0001", "lead"), show_all=True)
    assert fields[:3] == ["title", "contact", "owner"] and fields[-1] == "history"
    assert "loss_reason" in fields and "install_address" in fields and "id" not in fields
